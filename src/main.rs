//! `zoom-licenses`: extract who holds which Zoom license into Parquet, CSV or NDJSON.
//!
//! This binary is glue: it parses the command line, validates it into an [`config::ExtractConfig`],
//! wires the extractor, transform and sinks crates together, and maps every outcome to an exit code.
//! Business rules live in the library crates.

mod cli;
mod config;
mod exit;
mod logging;
mod manifest;
mod pipeline;
mod signals;
mod summary;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::Failure;

/// The tool's name, as written into outputs.
pub const TOOL: &str = "zoom-licenses";
/// The tool's version, as written into outputs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zoom-licenses: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let json_logs = cli.log.log_format == cli::LogFormat::Json;
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.code == exit::OK => {
            tracing::debug!(message = "Stopped early.", reason = %failure);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if json_logs {
                tracing::error!(message = "Run failed.", exit_code = failure.code, error = %failure);
            } else {
                eprintln!("zoom-licenses: error: {failure}");
            }
            failure.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Extract(args) => {
            let cfg = config::ExtractConfig::from_args(args, chrono::Utc::now())?;
            tracing::info!(
                message = "Extract started.",
                run_id = %cfg.run_id,
                source = %match &cfg.source {
                    config::SourceConfig::Replay(dir) => dir.display().to_string(),
                    config::SourceConfig::Live(live) => live.client.api_url.to_string(),
                },
                format = %cfg.format,
                output = %cfg.output.display_name()
            );
            let result = pipeline::run_extract(&cfg).await?;
            tracing::info!(
                message = "Extract finished.",
                rows = result.manifest.rows_written,
                rejected = result.manifest.rejected(),
                duplicates = result.manifest.duplicates,
                manifest = %result.manifest_path.display()
            );
            if !cli.log.quiet {
                eprintln!(
                    "{}",
                    summary::render(&result.manifest, &result.manifest_path)
                );
            }
            Ok(())
        }
    }
}
