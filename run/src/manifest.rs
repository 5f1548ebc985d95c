//! The run manifest: what was read, decided and written. Written last, so its presence means the
//! outputs it lists are complete.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use extractor::source::ApiReport;
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::zoom::users_summary::UsersSummary;
use extractor::{SourceReport, UserStatus};
use serde::{Deserialize, Serialize};
use sinks::OutputReceipt;
use transform::{RejectReason, Table, TransformStats};

use crate::config::{ExtractConfig, SourceConfig};
use crate::reconcile::Reconciliation;

/// Version of the manifest's own layout.
pub const MANIFEST_VERSION: u32 = 1;

/// The manifest document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of this document.
    pub manifest_version: u32,
    /// The run id stamped on every row.
    pub run_id: String,
    /// Tool name and version.
    pub tool: Tool,
    /// Version of the license and rejects schemas.
    pub schema_version: u32,
    /// Where the pages came from.
    pub source: Source,
    /// When the run started.
    pub started_at: String,
    /// When the run finished.
    pub finished_at: String,
    /// The `extracted_at` stamped on every row.
    pub extracted_at: String,
    /// Pages read.
    pub pages_read: u64,
    /// Pages, users received and Zoom's `total_records`, per status.
    #[serde(default)]
    pub statuses: BTreeMap<UserStatus, StatusCounts>,
    /// User records read, repeats included.
    pub users_seen: u64,
    /// Rows in the license table.
    pub rows_written: u64,
    /// Records left out, per reason (every reason listed, zeros included).
    pub rejects: BTreeMap<String, u64>,
    /// Records dropped because their user key was already seen.
    pub duplicates: u64,
    /// Rows per plan.
    pub by_plan: BTreeMap<String, u64>,
    /// Rows per status.
    pub by_status: BTreeMap<String, u64>,
    /// Requests, retries, rate limits and page size (live runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiReport>,
    /// The account's groups read (runs with `--with groups`): seen, written, repeats, malformed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<transform::directory::ListStats>,
    /// The account's roles read (runs with `--with roles`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<transform::directory::ListStats>,
    /// The users' add-ons (runs that read their settings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<AddonsSection>,
    /// The sign-in report's window and counts (runs that read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivitySection>,
    /// The active-hosts report's window and counts (runs that read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosting: Option<HostingSection>,
    /// Zoom's own counts (`GET /users/summary`) beside the extract's (live runs whose app may
    /// read them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
    /// The hive partition written (partitioned output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionInfo>,
    /// The files written.
    pub outputs: Outputs,
}

/// Pages and users of one status's sweep of `GET /users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusCounts {
    /// Pages read.
    pub pages: u64,
    /// User records received (after a restart, those of the last pass only).
    pub users_received: u64,
    /// `total_records` as Zoom last reported it, when it did.
    pub total_records: Option<u64>,
    /// Times the sweep restarted from its first page (an expired page token).
    pub restarts: u64,
    /// How many fewer users were received than `total_records` said (0 when as many or more):
    /// Zoom's count can change while a sweep runs, so a shortfall is a warning, not a failure.
    pub short_of_total: u64,
}

/// A hive partition's keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// The partition's date.
    pub dt: chrono::NaiveDate,
    /// `account=`.
    pub account: String,
}

/// Tool identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// `zoom-licenses`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Tool {
    /// This build of the tool.
    pub fn this() -> Self {
        Tool {
            name: crate::TOOL.into(),
            version: crate::VERSION.into(),
        }
    }
}

/// The page source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    /// `replay` or `zoom`.
    pub kind: String,
    /// The recording replayed, or the API base URL.
    pub path: Option<String>,
    /// Where the pages were recorded (live runs with `--record`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_to: Option<String>,
    /// The Zoom account, when known.
    pub account_id: Option<String>,
    /// The account's name in the --config file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// The extra user fields the users were asked for (`include_fields`); `custom_attributes` is
    /// null in every row unless it is listed.
    pub include_fields: Vec<String>,
}

/// The data outputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outputs {
    /// Output format.
    pub format: String,
    /// CSV written with `--csv-raw` (formula-like cells kept as they are); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub csv_raw: bool,
    /// What was written to each table, by its manifest name: `licenses`, `rejects`, and with the
    /// options `signin_events`, `user_activity`, `user_addons`, `groups`, `roles`.
    #[serde(flatten, deserialize_with = "known_tables")]
    pub tables: BTreeMap<Table, OutputReceipt>,
}

/// The tables of a manifest's outputs that this version knows; one a later version added is not
/// read (so not checked either).
fn known_tables<'de, D: serde::Deserializer<'de>>(
    outputs: D,
) -> Result<BTreeMap<Table, OutputReceipt>, D::Error> {
    let mut named = BTreeMap::<String, serde_json::Value>::deserialize(outputs)?;
    let mut tables = BTreeMap::new();
    for table in Table::ALL {
        if let Some(receipt) = named.remove(table.manifest_name()) {
            let receipt = OutputReceipt::deserialize(receipt).map_err(serde::de::Error::custom)?;
            tables.insert(table, receipt);
        }
    }
    Ok(tables)
}

impl Outputs {
    /// The path written for `table` (`-` for stdout), if the run wrote it.
    pub fn path(&self, table: Table) -> Option<&str> {
        self.tables.get(&table).map(|r| r.path.as_str())
    }
}

/// The users' settings as the run read them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddonsSection {
    /// Users whose settings were asked for.
    pub users_asked: u64,
    /// Of those, users deleted since the list (Zoom: 404, code 1001), skipped.
    pub users_gone: u64,
    /// Users whose id is not one Zoom gives (`../x`, `a?b`): their settings cannot be asked for,
    /// so they are skipped and counted.
    pub users_skipped: u64,
    /// Users read, with add-ons, add-on rows, and settings without a `feature` object.
    #[serde(flatten)]
    pub counts: transform::addons::AddonStats,
}

/// The sign-in report as the run read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActivitySection {
    /// The window's first day.
    pub window_start: String,
    /// The window's last day (inclusive).
    pub window_end: String,
    /// Events read, written, repeats dropped, matched to users, without a time; users signed in.
    #[serde(flatten)]
    pub counts: transform::ActivityStats,
}

/// The active-hosts report as the run read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostingSection {
    /// The window's first day.
    pub window_start: String,
    /// The window's last day (inclusive).
    pub window_end: String,
    /// Ranges read, hosts read, matched (by id, by email), unmatched, repeats; users hosting.
    #[serde(flatten)]
    pub counts: transform::hosting::HostingStats,
}

/// The windows (first and last day) of the reports a run read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportWindows {
    /// The sign-in report's.
    pub activity: Option<(NaiveDate, NaiveDate)>,
    /// The active-hosts report's.
    pub hosting: Option<(NaiveDate, NaiveDate)>,
}

/// A time as manifests write it: RFC 3339 in UTC, to the microsecond.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Manifest {
    /// Assembles the manifest of a run finished now, with its partition, the windows of the
    /// reports it read, and Zoom's own counts when it could.
    pub fn new(
        cfg: &ExtractConfig,
        report: &SourceReport,
        stats: &TransformStats,
        tables: BTreeMap<Table, OutputReceipt>,
        partition: Option<PartitionInfo>,
        windows: ReportWindows,
        zoom_counts: Option<UsersSummary>,
    ) -> Self {
        use RejectReason::{Deactivated, InvalidRecord, UnsupportedPlan};
        let rejected = |reason| stats.rejects.get(&reason).copied().unwrap_or(0);
        let (kind, path, recorded_to) = match &cfg.source {
            SourceConfig::Replay(dir) => ("replay", dir.display().to_string(), None),
            SourceConfig::Live(live) => {
                let recorded_to = live.record.as_ref().map(|d| d.display().to_string());
                ("zoom", live.client.api_url.to_string(), recorded_to)
            }
        };
        let statuses = statuses(report);
        // Users received per status read, reconciled with Zoom's counts.
        let received = statuses
            .iter()
            .map(|(s, c)| (*s, c.users_received))
            .collect();
        let day = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
        Manifest {
            manifest_version: MANIFEST_VERSION,
            run_id: cfg.run_id.clone(),
            tool: Tool::this(),
            schema_version: transform::SCHEMA_VERSION,
            source: Source {
                kind: kind.into(),
                path: Some(path),
                recorded_to,
                account_id: report.account_id.clone(),
                account_name: cfg.account_name().map(str::to_owned),
                include_fields: include_fields(report),
            },
            started_at: rfc3339(cfg.started_at),
            finished_at: rfc3339(Utc::now()),
            extracted_at: rfc3339(cfg.extracted_at),
            pages_read: report.pages,
            statuses,
            users_seen: stats.users_seen,
            rows_written: stats.rows,
            rejects: [Deactivated, UnsupportedPlan, InvalidRecord]
                .map(|reason| (reason.as_str().to_string(), rejected(reason)))
                .into(),
            duplicates: stats.duplicates,
            by_plan: stats.by_plan.clone(),
            by_status: stats.by_status.clone(),
            api: report.api.clone(),
            addons: addons(report, stats, &tables),
            groups: stats.groups.clone(),
            roles: stats.roles.clone(),
            activity: windows
                .activity
                .zip(stats.activity.clone())
                .map(|((from, to), counts)| ActivitySection {
                    window_start: day(from),
                    window_end: day(to),
                    counts,
                }),
            hosting: windows
                .hosting
                .zip(stats.hosting.clone())
                .map(|((from, to), counts)| HostingSection {
                    window_start: day(from),
                    window_end: day(to),
                    counts,
                }),
            reconciliation: zoom_counts.map(|zoom| Reconciliation::new(&zoom, stats, &received)),
            partition,
            outputs: Outputs {
                format: cfg.format.to_string(),
                csv_raw: cfg.csv_raw && cfg.format == sinks::Format::Csv,
                tables,
            },
        }
    }

    /// Records left out, all reasons together.
    pub fn rejected(&self) -> u64 {
        self.rejects.values().sum()
    }
}

/// The add-ons section, when the run read users' settings.
fn addons(
    report: &SourceReport,
    stats: &TransformStats,
    tables: &BTreeMap<Table, OutputReceipt>,
) -> Option<AddonsSection> {
    let settings = report
        .sweeps
        .iter()
        .filter(|s| s.request.endpoint == &USER_SETTINGS);
    let (asked, gone) = settings.fold((0, 0), |(a, g), s| (a + 1, g + u64::from(s.gone)));
    let counts = stats.addons.clone();
    // Whenever the run wrote the table, even for no user (none was licensed).
    let wrote = tables.contains_key(&Table::UserAddons);
    (wrote || asked > 0 || counts.is_some()).then(|| AddonsSection {
        users_asked: asked,
        users_gone: gone,
        users_skipped: report.unaskable,
        counts: counts.unwrap_or_default(),
    })
}

/// The `include_fields` the users sweeps asked for, each once.
fn include_fields(report: &SourceReport) -> Vec<String> {
    let users = report
        .sweeps
        .iter()
        .filter(|s| s.request.endpoint.lists_users());
    let asked = users.filter_map(|s| s.request.param("include_fields"));
    let fields: std::collections::BTreeSet<&str> = asked.flat_map(|f| f.split(',')).collect();
    fields.into_iter().map(str::to_owned).collect()
}

/// The users sweeps of a report, by status (sweeps of one status added up).
fn statuses(report: &SourceReport) -> BTreeMap<UserStatus, StatusCounts> {
    let mut statuses: BTreeMap<UserStatus, StatusCounts> = BTreeMap::new();
    let users = report
        .sweeps
        .iter()
        .filter(|s| s.request.endpoint.lists_users());
    for sweep in users {
        let Ok(status) = UserStatus::of(&sweep.request) else {
            continue;
        };
        let counts = statuses.entry(status).or_default();
        counts.pages += sweep.pages;
        counts.users_received += sweep.records_received;
        counts.restarts += sweep.restarts;
        counts.total_records = match (counts.total_records, sweep.total_records) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        let total = sweep.total_records.unwrap_or(0);
        counts.short_of_total += total.saturating_sub(sweep.records_received);
    }
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table a later version added to `outputs` is skipped, not refused; the known ones are read.
    #[test]
    fn outputs_read_the_tables_this_version_knows() {
        let receipt = r#"{"path": "u.parquet", "rows": 2, "bytes": 10, "sha256": "ab"}"#;
        let text = format!(
            r#"{{"format": "parquet", "licenses": {receipt}, "webinar_attendance": {receipt}}}"#
        );
        let outputs: Outputs = serde_json::from_str(&text).unwrap();
        assert_eq!(outputs.format, "parquet");
        assert!(!outputs.csv_raw);
        assert_eq!(
            outputs.tables.keys().collect::<Vec<_>>(),
            [&Table::Licenses]
        );
        assert_eq!(outputs.tables[&Table::Licenses].rows, 2);
    }
}
