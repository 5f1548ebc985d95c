//! The settings of one run, checked: where pages come from, where every table goes, and the
//! run's identity. The binary builds them from flags, environment and the accounts file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use extractor::{ClientConfig, UserStatus};
use sinks::{Destination, Format};

use crate::datasets::WithOption;
use crate::exit::Failure;

/// Default output directory.
pub const DEFAULT_DIR: &str = "out";
/// Default output file stem.
pub const DEFAULT_STEM: &str = "zoom_users";

/// Where pages come from.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// A recorded run.
    Replay(PathBuf),
    /// The Zoom API.
    Live(Box<LiveConfig>),
}

/// A live run's settings.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// How to talk to Zoom.
    pub client: ClientConfig,
    /// Statuses to sweep.
    pub statuses: Vec<UserStatus>,
    /// Requested page size.
    pub page_size: u32,
    /// Where to record pages, if anywhere.
    pub record: Option<PathBuf>,
    /// The account's name in the --config file, if any.
    pub account_name: Option<String>,
    /// Whether users are asked for with `include_fields=custom_attributes`.
    pub custom_attributes: bool,
    /// The reports' window (`--with activity`, `--with hosting`): its last day and its length in
    /// days.
    pub report_window: Option<(chrono::NaiveDate, u32)>,
    /// What `--with` asked for.
    pub with: Vec<WithOption>,
    /// With `--with addons`: every user's add-ons, not only the licensed users'.
    pub addons_for_all: bool,
    /// The sub account read (`--sub-accounts`), whose users come from `GET
    /// /accounts/{accountId}/users`.
    pub sub_account: Option<String>,
}

/// Everything one extract run needs, checked.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Where pages come from.
    pub source: SourceConfig,
    /// Output format, for the licenses and the rejects.
    pub format: Format,
    /// Where the license table goes.
    pub output: Destination,
    /// Where the rejects go.
    pub rejects: Destination,
    /// Where the manifest goes.
    pub manifest: PathBuf,
    /// The run id.
    pub run_id: String,
    /// `extracted_at` for every row.
    pub extracted_at: DateTime<Utc>,
    /// When the run started (real time).
    pub started_at: DateTime<Utc>,
    /// Whether CSV formula neutralization is off.
    pub csv_raw: bool,
    /// Whether sign-in events keep their IP address.
    pub with_ip: bool,
    /// Hive-style partitioned output, instead of `output`/`rejects`/`manifest`.
    pub partition: Option<PartitionConfig>,
}

/// Where a partitioned run writes.
#[derive(Debug, Clone)]
pub struct PartitionConfig {
    /// The output root holding the table folders.
    pub root: PathBuf,
    /// The `dt=` value.
    pub date: chrono::NaiveDate,
    /// The `account=` value, if fixed by flags or the --config entry.
    pub account: Option<String>,
}

/// The longest run id, in bytes: it is stamped on every row (Airflow's are under 100).
pub const LONGEST_RUN_ID: usize = 250;

/// The manifest's name inside a partition.
pub const PARTITION_MANIFEST: &str = "_manifest.json";

/// The partition folder of `table` for `account` on `date` under the output root `root`.
pub fn partition_dir(root: &Path, table: &str, date: chrono::NaiveDate, account: &str) -> PathBuf {
    date_dir(root, table, date).join(format!("account={account}"))
}

/// The manifest of `table`'s partition of `account` on `date` under `root`.
pub fn partition_manifest_of(
    root: &Path,
    table: &str,
    date: chrono::NaiveDate,
    account: &str,
) -> PathBuf {
    partition_dir(root, table, date, account).join(PARTITION_MANIFEST)
}

/// The folder of `table`'s partitions of `date` under the output root `root`:
/// `root/<table>/dt=DATE`, the one place the layout's date key is spelled.
pub fn date_dir(root: &Path, table: &str, date: chrono::NaiveDate) -> PathBuf {
    root.join(table).join(date_folder(date))
}

/// The name of the folder of a date's partitions: `dt=2026-11-30`.
pub fn date_folder(date: chrono::NaiveDate) -> String {
    date_key(date.format("%Y-%m-%d"))
}

/// `dt=DAY`, for a day or a placeholder (`dt=DATE` in messages).
pub fn date_key(day: impl std::fmt::Display) -> String {
    format!("dt={day}")
}

/// The account of a partition folder named like [`partition_dir`]'s (`account=acme`).
pub fn account_of(folder: &str) -> Option<&str> {
    folder.strip_prefix("account=")
}

/// The date of a folder named like [`date_dir`]'s (`dt=2026-11-30`).
pub fn date_of(folder: &str) -> Option<chrono::NaiveDate> {
    let day = folder.strip_prefix("dt=")?;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The file beside `output` named after it with `suffix` (rejects, manifest, sign-in tables):
/// `out/zoom_users.parquet` and `_manifest.json` give `out/zoom_users_manifest.json`.
pub fn beside(output: &Destination, suffix: &str) -> PathBuf {
    let (dir, stem) = match output {
        Destination::File(p) => (
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            p.file_stem()
                .map_or_else(|| DEFAULT_STEM.into(), |s| s.to_string_lossy().into_owned()),
        ),
        // Its own names, so a run to stdout never replaces the rejects or manifest of a file run.
        Destination::Stdout => (PathBuf::from(DEFAULT_DIR), format!("{DEFAULT_STEM}_stdout")),
    };
    dir.join(format!("{stem}{suffix}"))
}

/// The format a run writes, for every command that takes `--output`: `--format` when `given`,
/// else the one the output names' extension names (`.parquet`, `.csv`, `.ndjson`, `.jsonl`, in
/// any case); `None` when neither says (stdout, no path), and the command's default applies. An
/// extension that names no format is refused when it is to decide (the bytes would not be what
/// the name says), and one naming another format than `--format` always (a `.parquet` file
/// holding CSV breaks every reader that goes by the name); with `--format`, any other name is
/// the user's choice.
pub fn output_format(
    given: Option<Format>,
    outputs: &[(&str, Option<&Path>)],
) -> Result<Option<Format>, Failure> {
    let mut named: Option<(Format, &str, &Path)> = None;
    for &(flag, path) in outputs {
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            continue;
        };
        // A path that cannot be an output at all (a directory, a FIFO, under a file) is told as
        // that, before what its name says.
        sinks::output::check_replaceable(path).map_err(Failure::usage)?;
        let extension = path.extension().map(|e| e.to_string_lossy());
        let format = extension.as_deref().and_then(Format::from_extension);
        let shown = path.display();
        match (given, format, extension.as_deref()) {
            (Some(given), Some(format), Some(ext)) if given != format => {
                return Err(Failure::usage(format!(
                    "--format {given} but {flag} {shown} ends in .{ext}, which names {format}: \
                     leave --format out (the extension decides), or give a name ending in \
                     .{given}"
                )));
            }
            (Some(_), _, _) => {}
            (None, Some(format), _) => match named {
                Some((first, first_flag, first_path)) if first != format => {
                    return Err(Failure::usage(format!(
                        "{first_flag} {} names {first} and {flag} {shown} names {format}: a run \
                         writes one format, so give both names the same extension (or give \
                         --format)",
                        first_path.display(),
                    )));
                }
                Some(_) => {}
                None => named = Some((format, flag, path)),
            },
            (None, None, extension) => {
                let why = match extension {
                    Some(ext) => format!(": the extension .{ext} names no output format"),
                    None => " has no extension to tell the format by".into(),
                };
                return Err(Failure::usage(format!(
                    "{flag} {shown}{why}: give a name ending in .parquet, .csv, .ndjson or \
                     .jsonl, or --format parquet|csv|ndjson"
                )));
            }
        }
    }
    Ok(given.or(named.map(|(format, _, _)| format)))
}

/// Refuses a `--record` folder that is not empty: no earlier recording may be mixed in.
pub fn check_record_dir(record: &Option<PathBuf>) -> Result<(), Failure> {
    if let Some(dir) = record
        && std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(Failure::usage(format!(
            "--record {} is not empty; record into a new directory so no earlier recording is mixed in",
            dir.display()
        )));
    }
    Ok(())
}

impl ExtractConfig {
    /// This run's configuration for the sub account `id` of a master account: its users from
    /// `GET /accounts/{id}/users`, its files in a folder named after it (or partitions
    /// `account=ID`).
    pub fn for_sub_account(&self, id: &str, name: Option<&str>) -> Result<Self, Failure> {
        let mut cfg = self.clone().reading_sub_account(id, name)?;
        if let SourceConfig::Live(live) = &mut cfg.source {
            // Each sub account records into a folder of its own.
            live.record = live.record.as_ref().map(|dir| dir.join(id));
            check_record_dir(&live.record)?;
        }
        let into = |path: &Path| match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => dir.join(id).join(name),
            _ => Path::new(id).join(path),
        };
        match &mut cfg.partition {
            Some(_) => {}
            None => {
                for destination in [&mut cfg.output, &mut cfg.rejects] {
                    match destination {
                        Destination::File(path) => *path = into(path),
                        Destination::Stdout => {
                            return Err(Failure::usage(
                                "--sub-accounts writes one output per sub account: give --output \
                                 a file path, not -",
                            ));
                        }
                    }
                }
                cfg.manifest = into(&cfg.manifest);
            }
        }
        Ok(cfg)
    }

    /// This run reading the sub account `id` of a master account (`GET /accounts/{id}/users`),
    /// its partition (when partitioned) named `account=ID`; its files where they were configured.
    pub fn reading_sub_account(mut self, id: &str, name: Option<&str>) -> Result<Self, Failure> {
        // A folder name, and a path parameter Zoom's ids fit.
        if !extractor::zoom::endpoint::is_plain_id(id) {
            return Err(Failure::failed_msg(format!(
                "the sub account id \"{id}\" cannot name a folder"
            )));
        }
        let SourceConfig::Live(live) = &mut self.source else {
            return Err(Failure::usage(
                "a sub account is read from Zoom; it cannot be replayed",
            ));
        };
        live.sub_account = Some(id.to_string());
        live.account_name = name.map(str::to_owned);
        if let Some(partition) = &mut self.partition {
            partition.account = Some(id.to_string());
        }
        Ok(self)
    }

    /// The account's name in the --config file, if the run is for one.
    pub fn account_name(&self) -> Option<&str> {
        match &self.source {
            SourceConfig::Live(live) => live.account_name.as_deref(),
            SourceConfig::Replay(_) => None,
        }
    }
}
