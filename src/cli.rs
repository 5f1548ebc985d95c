//! The command line, parsed once by clap into raw arguments; `config` turns them into a run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Know exactly who holds which Zoom license.
#[derive(Debug, Parser)]
#[command(name = "zoom-licenses", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Logging options, shared by every command.
    #[command(flatten)]
    pub log: LogArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract every registered user's license into Parquet, CSV or NDJSON.
    Extract(ExtractArgs),
}

/// Logging flags.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// More logging on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors on stderr, and no summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(
        long,
        value_enum,
        default_value_t = LogFormat::Text,
        env = "ZOOM_LICENSES_LOG_FORMAT",
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Output formats as the CLI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Apache Parquet (zstd).
    Parquet,
    /// CSV with a header row.
    Csv,
    /// Newline-delimited JSON.
    Ndjson,
}

/// `extract` flags.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Read pages from a recorded run (a directory with index.json) instead of the Zoom API.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Parquet)]
    pub format: FormatArg,
    /// Output file, or `-` for stdout [default: out/zoom_users.<format>].
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Rejects file (same format) [default: <output dir>/<output name>_rejects.<format>].
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
    /// Manifest file, written last [default: <output dir>/<output name>_manifest.json].
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Run id stamped on every row [default: a new UUIDv7].
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Fix `extracted_at` (RFC 3339), making a replay byte-for-byte reproducible.
    #[arg(long, value_name = "RFC3339")]
    pub as_of: Option<String>,
    /// CSV: keep formula-like text cells (`=`, `+`, `-`, `@`, tab, CR) as they are.
    #[arg(long)]
    pub csv_raw: bool,
}
