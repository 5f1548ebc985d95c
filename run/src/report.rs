//! One day's license report gathered from the runs' outputs: each account's extract, its
//! `reclaim` and `changes` of the day when they ran (and were made from that extract), and the
//! earlier partitions' manifests for the trend. The page itself is the `report` crate's; it is
//! written here, atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{Schema, SchemaRef};
use chrono::NaiveDate;
use report::{
    AccountDay, Candidate, ChangeRow, ChangesDay, Missing, Money, ReclaimDay, Report, TrendPoint,
    Usage,
};
use serde::Deserialize;
use serde_json::Value;
use sinks::Destination;
use transform::Table;
use transform::reclaim::{AddonsHeld, SeatUse};

use crate::config::{beside, partition_manifest_of};
use crate::exit::Failure;
use crate::runs::{
    DerivedRun, RunOutputs, TableFile, accounts_on, dates_of, derived_summary, partition_manifest,
};

/// The file name of a report.
pub const REPORT_FILE: &str = "zoom_licenses_report.html";
/// Rows of the changes table shown per account.
const CHANGE_ROWS: usize = 10;

/// The report of one run per account (`manifests`), with the trend over the `days` days up to
/// `date` read from the partitions under `root` (of `account` only, when given; a file run has
/// only its own day).
pub fn gather(
    manifests: &[PathBuf],
    root: Option<&Path>,
    account: Option<&str>,
    date: Option<NaiveDate>,
    days: u32,
) -> Result<Report, Failure> {
    let mut accounts = Vec::new();
    let mut date = date;
    for manifest in manifests {
        let run = RunOutputs::load(manifest)?;
        date = date.or(Some(run.extracted_at.date_naive()));
        accounts.push(account_day(&run)?);
    }
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    let trend = match (root, date) {
        (Some(root), Some(date)) => trend(root, account, date, days)?,
        // A file run: its own day, one point.
        (_, Some(date)) => vec![TrendPoint {
            date,
            licensed: accounts.iter().map(|a| plan(a, "licensed")).sum(),
            basic: accounts.iter().map(|a| plan(a, "basic")).sum(),
            pending: accounts.iter().map(|a| a.pending_invitations).sum(),
            reclaimable: accounts
                .iter()
                .map(|a| a.reclaim.as_ref().map(|r| r.candidates))
                .sum(),
        }],
        (_, None) => Vec::new(),
    };
    Ok(Report {
        date,
        accounts,
        trend,
        trend_days: days,
        partitioned: root.is_some(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// Rows of `plan` in an account's day.
fn plan(account: &AccountDay, plan: &str) -> u64 {
    account.by_plan.get(plan).copied().unwrap_or(0)
}

/// Where `table` derived from `run` is published by default: its partition, or beside the run's
/// license file.
fn derived_manifest(run: &RunOutputs, licenses: &TableFile, table: Table) -> PathBuf {
    match (run.partition_root(), &run.partition) {
        (Some(root), Some((date, account))) => {
            partition_manifest_of(&root, table.folder(), *date, account)
        }
        _ => {
            let file = Destination::File(licenses.path().to_path_buf());
            beside(&file, &format!("{}_manifest.json", table.file_suffix()))
        }
    }
}

/// The day's `table` derived from `run` (in the role `role`), when it exists and was made from it.
fn derived_of(
    run: &RunOutputs,
    licenses: &TableFile,
    table: Table,
    role: &str,
) -> Result<Option<DerivedRun>, Failure> {
    let path = derived_manifest(run, licenses, table);
    DerivedRun::load(&path, table, role, &run.run_id)
}

/// One account's day: its plans, and its reclaim (with how its licensed seats are used) and
/// changes when they ran.
fn account_day(run: &RunOutputs) -> Result<AccountDay, Failure> {
    // Checked like reclaim checks it (a table changed since its run is refused), and where the
    // derived tables of a file run are found.
    let licenses = run.table(Table::Licenses)?;
    let reclaimed = derived_of(run, &licenses, Table::ReclaimCandidates, "run")?;
    let changed = derived_of(run, &licenses, Table::UserChanges, "to")?;
    let mut sources = vec![format!("zoom_users ({})", run.manifest.display())];
    let mut missing = Vec::new();
    for (table, shows, flag) in [
        (
            Table::UserActivity,
            "sign-ins counted as use",
            "--with activity",
        ),
        (Table::HostUsage, "who hosts meetings", "--with hosting"),
    ] {
        if !run.has(table) {
            missing.push(Missing {
                table: table.folder().into(),
                shows: shows.into(),
                flag: flag.into(),
            });
        }
    }
    let (usage, licensed_seats) = match &reclaimed {
        Some(derived) => {
            let summary = &derived.summary;
            // A reclaim by an earlier version counted no use: not known, rather than zeros.
            let used = SeatUse::deserialize(&summary["seat_use"]).ok();
            let usage = used.map(|used| Usage {
                pending: used.pending,
                hosting: used.hosting,
                seen: used.seen,
                idle: used.idle,
                never_logged_in: used.never_logged_in,
                idle_days: summary["idle_days"].as_u64().unwrap_or(0) as u32,
                with_activity: summary["with_activity"].as_bool().unwrap_or(false),
            });
            (usage, summary["licensed_seats"].as_u64().unwrap_or(0))
        }
        None => (None, run.by_plan.get("licensed").copied().unwrap_or(0)),
    };
    let reclaim = match &reclaimed {
        Some(derived) => {
            sources.push(format!(
                "zoom_reclaim_candidates ({})",
                derived.manifest.display()
            ));
            Some(reclaim_day(run, derived, &mut sources)?)
        }
        None => None,
    };
    let changes = match &changed {
        Some(derived) => {
            sources.push(format!(
                "zoom_user_changes ({})",
                derived.manifest.display()
            ));
            Some(changes_day(derived)?)
        }
        None => None,
    };
    Ok(AccountDay {
        account: run.account_label(),
        run_id: run.run_id.clone(),
        extracted_at: crate::manifest::rfc3339(run.extracted_at),
        by_plan: run.by_plan.clone(),
        pending_invitations: run.by_status.get("pending").copied().unwrap_or(0),
        licensed_seats,
        usage,
        missing,
        reclaim,
        changes,
        sources,
    })
}

/// The columns `names` of `table`'s schema.
fn columns_of(table: Table, names: &[&str]) -> Result<SchemaRef, Failure> {
    let schema = table.schema();
    let indices: Result<Vec<usize>, _> = names.iter().map(|n| schema.index_of(n)).collect();
    let projected = schema.project(&indices.map_err(Failure::failed)?);
    Ok(Arc::new(projected.map_err(Failure::failed)?) as Arc<Schema>)
}

/// A text column's value at `row`, `None` when null.
fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let column = batch.column_by_name(name)?.as_string_opt::<i32>()?;
    column.is_valid(row).then(|| column.value(row).to_string())
}

/// An int32 column's value at `row`, `None` when null.
fn int(batch: &RecordBatch, name: &str, row: usize) -> Option<i32> {
    let column = batch
        .column_by_name(name)?
        .as_primitive_opt::<Int32Type>()?;
    column.is_valid(row).then(|| column.value(row))
}

/// A timestamp column's value at `row` as RFC 3339, `None` when null.
fn time(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let column = batch
        .column_by_name(name)?
        .as_primitive_opt::<TimestampMicrosecondType>()?;
    let at = column.is_valid(row).then(|| column.value(row))?;
    chrono::DateTime::from_timestamp_micros(at).map(crate::manifest::rfc3339)
}

/// A manifest's object as a map, each member's value read by `value` (empty when it is none).
fn map_of<T>(object: &Value, value: impl Fn(&Value) -> T) -> BTreeMap<String, T> {
    let members = object.as_object().into_iter().flatten();
    members.map(|(name, v)| (name.clone(), value(v))).collect()
}

/// The reclaim of the day: its summary's counts and saving, and its rows with the add-ons held.
fn reclaim_day(
    run: &RunOutputs,
    derived: &DerivedRun,
    sources: &mut Vec<String>,
) -> Result<ReclaimDay, Failure> {
    let summary = &derived.summary;
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    let by_reason = map_of(&summary["by_reason"], count);
    let cents = |v: &Value| (v.as_f64().unwrap_or(0.0) * 100.0).round() as u64;
    let saving = &summary["monthly_saving"];
    let saving_by_reason = map_of(&saving["by_reason"], cents);
    let saving = saving["currency"].as_str().map(|currency| Money {
        currency: currency.to_string(),
        hundredths: cents(&saving["total"]),
    });
    let addons: Option<AddonsHeld> = run.evidence()?;
    if addons.is_some() {
        sources.push(Table::UserAddons.folder().to_string());
    }
    let names = [
        "user_key",
        "reason",
        "action",
        "email",
        "display_name",
        "department",
        "days_idle",
        "days_since_created",
        "last_login_at",
        "last_sign_in_at",
        "meetings_hosted",
        "monthly_saving",
        "currency",
    ];
    let mut rows = Vec::new();
    derived
        .table
        .each_batch(&columns_of(Table::ReclaimCandidates, &names)?, |batch| {
            let savings = batch.column_by_name("monthly_saving");
            let savings = savings.and_then(|c| c.as_primitive_opt::<Decimal128Type>());
            for row in 0..batch.num_rows() {
                let key = text(batch, "user_key", row).unwrap_or_default();
                let saving = savings.filter(|s| s.is_valid(row)).map(|s| s.value(row));
                rows.push(Candidate {
                    reason: text(batch, "reason", row).unwrap_or_default(),
                    action: text(batch, "action", row).unwrap_or_default(),
                    email: text(batch, "email", row).unwrap_or_default(),
                    display_name: text(batch, "display_name", row),
                    department: text(batch, "department", row),
                    days_idle: int(batch, "days_idle", row),
                    days_since_created: int(batch, "days_since_created", row),
                    last_login_at: time(batch, "last_login_at", row),
                    last_sign_in_at: time(batch, "last_sign_in_at", row),
                    meetings_hosted: int(batch, "meetings_hosted", row),
                    saving: match (saving, text(batch, "currency", row)) {
                        (Some(cents), Some(currency)) => Some(Money {
                            currency,
                            hundredths: u64::try_from(cents).unwrap_or(0),
                        }),
                        _ => None,
                    },
                    addons: addons
                        .as_ref()
                        .map(|a| a.of(&key).to_vec())
                        .unwrap_or_default(),
                });
            }
            Ok(())
        })?;
    Ok(ReclaimDay {
        candidates: count(&summary["candidates"]),
        by_reason,
        saving,
        saving_by_reason,
        rows,
    })
}

/// The changes of the day: counts per kind and the first rows.
fn changes_day(derived: &DerivedRun) -> Result<ChangesDay, Failure> {
    let by_change = map_of(&derived.summary["by_kind"], |n| n.as_u64().unwrap_or(0));
    let since = derived.inputs["from"]["extracted_at"]
        .as_str()
        .map(str::to_string);
    let names = ["change", "email", "from_value", "to_value"];
    let mut first_rows = Vec::new();
    derived
        .table
        .each_batch(&columns_of(Table::UserChanges, &names)?, |batch| {
            for row in 0..batch.num_rows() {
                if first_rows.len() < CHANGE_ROWS {
                    first_rows.push(ChangeRow {
                        change: text(batch, "change", row).unwrap_or_default(),
                        email: text(batch, "email", row).unwrap_or_default(),
                        before: text(batch, "from_value", row),
                        after: text(batch, "to_value", row),
                    });
                }
            }
            Ok(())
        })?;
    Ok(ChangesDay {
        since,
        by_change,
        first_rows,
    })
}

/// What the trend reads of an extract's manifest: its counts and its run, whatever the manifest's
/// version (an earlier day written by an earlier version of the tool is still a point; only the
/// day reported on must be of this version, as its tables are read).
#[derive(serde::Deserialize)]
struct Counts {
    run_id: String,
    #[serde(default)]
    by_plan: BTreeMap<String, u64>,
    #[serde(default)]
    by_status: BTreeMap<String, u64>,
}

impl Counts {
    /// The counts of the manifest at `path`.
    fn read(path: &Path) -> Result<Counts, Failure> {
        let bad = |e: &dyn std::fmt::Display| {
            Failure::failed_msg(format!("cannot read the manifest {}: {e}", path.display()))
        };
        let text = extractor::regular_file::read_to_string(path).map_err(|e| bad(&e))?;
        serde_json::from_str(&text).map_err(|e| bad(&e))
    }
}

/// One point per partition date of the `days` days up to `date` under `root` that has an account
/// (`account`, or any), summed over the accounts of each date, from their manifests alone.
fn trend(
    root: &Path,
    account: Option<&str>,
    date: NaiveDate,
    days: u32,
) -> Result<Vec<TrendPoint>, Failure> {
    let first = date - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let mut points = Vec::new();
    for day in dates_of(root)
        .into_iter()
        .filter(|d| (first..=date).contains(d))
    {
        let accounts = accounts_on(root, day);
        let accounts: Vec<String> = match account {
            Some(one) => accounts.into_iter().filter(|a| a == one).collect(),
            None => accounts,
        };
        if accounts.is_empty() {
            continue;
        }
        let mut point = TrendPoint {
            date: day,
            licensed: 0,
            basic: 0,
            pending: 0,
            reclaimable: Some(0),
        };
        for account in accounts {
            let run = Counts::read(&partition_manifest(root, day, &account))?;
            let of = |plan: &str| run.by_plan.get(plan).copied().unwrap_or(0);
            point.licensed += of("licensed");
            point.basic += of("basic");
            point.pending += run.by_status.get("pending").copied().unwrap_or(0);
            let reclaim =
                partition_manifest_of(root, Table::ReclaimCandidates.folder(), day, &account);
            let summary = derived_summary(&reclaim, "run", &run.run_id)?;
            let reclaimed = summary.and_then(|s| s["candidates"].as_u64());
            point.reclaimable = point.reclaimable.zip(reclaimed).map(|(a, b)| a + b);
        }
        points.push(point);
    }
    Ok(points)
}

/// Writes `html` whole or not at all: a file through a temporary file beside it, synced and
/// renamed (the sinks' own), or stdout (a reader that goes away stops it quietly, exit 0).
pub fn write_page(destination: &Destination, html: &str) -> Result<(), Failure> {
    let sink_failure = crate::targets::sink_failure;
    let mut out = sinks::output::Output::open(destination).map_err(sink_failure)?;
    let name = destination.display_name();
    out.write_all(html.as_bytes()).map_err(|error| {
        let path = name.clone();
        sink_failure(sinks::SinkError::Io { path, error })
    })?;
    let pending = out.into_pending().map_err(sink_failure)?;
    pending.commit(0).map_err(sink_failure)?;
    Ok(())
}
