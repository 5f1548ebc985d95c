//! Validates raw `extract` arguments into the settings of one run.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sinks::{Destination, Format};

use crate::cli::{ExtractArgs, FormatArg};
use crate::exit::Failure;

/// Default output directory.
pub const DEFAULT_DIR: &str = "out";
/// Default output file stem.
pub const DEFAULT_STEM: &str = "zoom_users";

/// Everything one extract run needs, checked.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// The recording to replay.
    pub replay: PathBuf,
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
}

impl ExtractConfig {
    /// Checks the arguments; `now` is the run's start time.
    pub fn from_args(args: ExtractArgs, now: DateTime<Utc>) -> Result<Self, Failure> {
        let Some(replay) = args.replay else {
            return Err(Failure::usage(
                "no page source: pass `--replay DIR` with a recorded run (live extraction from the \
                 Zoom API is not built yet)",
            ));
        };
        let format = match args.format {
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Csv => Format::Csv,
            FormatArg::Ndjson => Format::Ndjson,
        };
        let ext = format.extension();
        let output = match &args.output {
            Some(p) if p.as_os_str() == "-" => Destination::Stdout,
            Some(p) => Destination::File(p.clone()),
            None => Destination::File(Path::new(DEFAULT_DIR).join(format!("{DEFAULT_STEM}.{ext}"))),
        };
        let (dir, stem) = match &output {
            Destination::File(p) => (
                p.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                p.file_stem()
                    .map_or_else(|| DEFAULT_STEM.into(), |s| s.to_string_lossy().into_owned()),
            ),
            Destination::Stdout => (PathBuf::from(DEFAULT_DIR), DEFAULT_STEM.to_string()),
        };
        let rejects = match &args.rejects {
            Some(p) if p.as_os_str() == "-" => Destination::Stdout,
            Some(p) => Destination::File(p.clone()),
            None => Destination::File(dir.join(format!("{stem}_rejects.{ext}"))),
        };
        let manifest = args
            .manifest
            .unwrap_or_else(|| dir.join(format!("{stem}_manifest.json")));
        if output == rejects {
            return Err(Failure::usage(format!(
                "--output and --rejects both point at {}; give them different paths",
                output.display_name()
            )));
        }
        if [&output, &rejects].contains(&&Destination::File(manifest.clone())) {
            return Err(Failure::usage(format!(
                "--manifest {} is also a data output; give it its own path",
                manifest.display()
            )));
        }
        if format == Format::Parquet && output == Destination::Stdout {
            use std::io::IsTerminal;
            if std::io::stdout().is_terminal() {
                return Err(Failure::usage(
                    "refusing to write binary Parquet to a terminal: redirect stdout, or use \
                     --format ndjson or csv",
                ));
            }
        }
        let extracted_at = match &args.as_of {
            None => now,
            Some(text) => DateTime::parse_from_rfc3339(text)
                .map_err(|e| {
                    Failure::usage(format!(
                        "--as-of \"{text}\" is not an RFC 3339 timestamp ({e}); \
                         write it like 2026-11-28T00:00:00Z"
                    ))
                })?
                .with_timezone(&Utc),
        };
        let run_id = match args.run_id {
            Some(id) if id.trim().is_empty() => {
                return Err(Failure::usage("--run-id must not be empty"));
            }
            Some(id) => id,
            None => uuid::Uuid::now_v7().to_string(),
        };
        Ok(ExtractConfig {
            replay,
            format,
            output,
            rejects,
            manifest,
            run_id,
            extracted_at,
            started_at: now,
            csv_raw: args.csv_raw,
        })
    }
}
