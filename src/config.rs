//! Validates raw `extract` arguments into the settings of one run.

use std::path::{Path, PathBuf};

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{DateTime, Utc};
use extractor::{ClientConfig, Secret, ServerToServer, UserStatus};
use sinks::{Destination, Format};

use crate::cli::{ExtractArgs, FormatArg, ZoomArgs};
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
}

impl ExtractConfig {
    /// Checks the arguments; `now` is the run's start time.
    pub fn from_args(args: ExtractArgs, now: DateTime<Utc>) -> Result<Self, Failure> {
        let source = match (args.replay, args.record) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(
                    "--record saves pages of a live run; it cannot be combined with --replay",
                ));
            }
            (Some(dir), None) => SourceConfig::Replay(dir),
            (None, record) => SourceConfig::Live(Box::new(live_config(
                &args.zoom,
                &args.statuses,
                args.page_size,
                record,
            )?)),
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
            source,
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

fn live_config(
    zoom: &ZoomArgs,
    statuses: &[String],
    page_size: u32,
    record: Option<PathBuf>,
) -> Result<LiveConfig, Failure> {
    let missing: Vec<&str> = [
        (zoom.account_id.is_none(), "ZOOM_ACCOUNT_ID (--account-id)"),
        (zoom.client_id.is_none(), "ZOOM_CLIENT_ID (--client-id)"),
        (
            zoom.client_secret.is_none(),
            "ZOOM_CLIENT_SECRET (--client-secret)",
        ),
    ]
    .into_iter()
    .filter_map(|(absent, name)| absent.then_some(name))
    .collect();
    if !missing.is_empty() {
        return Err(Failure::usage(format!(
            "no page source: set {} for a Server-to-Server OAuth app, or pass --replay DIR",
            missing.join(", ")
        )));
    }
    let credentials = ServerToServer {
        account_id: zoom.account_id.clone().unwrap_or_default(),
        client_id: zoom.client_id.clone().unwrap_or_default(),
        client_secret: Secret::new(zoom.client_secret.clone().unwrap_or_default()),
    };
    let api_url =
        extractor::endpoint::parse_base_url("--api-url", &zoom.api_url).map_err(Failure::usage)?;
    let oauth_url = extractor::endpoint::parse_base_url("--oauth-url", &zoom.oauth_url)
        .map_err(Failure::usage)?;
    let mut parsed: Vec<UserStatus> = Vec::new();
    for status in statuses {
        let status: UserStatus = status
            .trim()
            .parse()
            .map_err(|e| Failure::usage(format!("--statuses: {e}")))?;
        if !parsed.contains(&status) {
            parsed.push(status);
        }
    }
    if parsed.is_empty() {
        return Err(Failure::usage("--statuses must name at least one status"));
    }
    let seconds = |flag: &str, value: f64| {
        if value.is_finite() && value >= 0.0 {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(Failure::usage(format!(
                "{flag} must be a number of seconds, not {value}"
            )))
        }
    };
    let timeout = seconds("--timeout", zoom.timeout)?;
    if timeout.is_zero() {
        return Err(Failure::usage("--timeout must be more than 0 seconds"));
    }
    if let Some(dir) = &record
        && std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(Failure::usage(format!(
            "--record {} is not empty; record into a new directory so no earlier recording is mixed in",
            dir.display()
        )));
    }
    Ok(LiveConfig {
        client: ClientConfig {
            api_url,
            oauth_url,
            credentials,
            max_rps: NonZeroU32::new(zoom.max_rps).unwrap_or(NonZeroU32::MIN),
            max_retries: zoom.max_retries,
            timeout,
            retry_min_delay: Duration::from_millis(zoom.retry_min_delay_ms),
            max_wait: seconds("--max-wait", zoom.max_wait)?,
        },
        statuses: parsed,
        page_size,
        record,
    })
}
