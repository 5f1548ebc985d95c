//! `zoom-licenses`: extract who holds which Zoom license into Parquet, CSV or NDJSON.
//!
//! This binary is glue: it parses the command line, turns flags, environment and the accounts file
//! into a run's settings, calls the `run` crate (which wires the extractor, transform and sinks), prints
//! what it returns and maps every outcome to an exit code. Business rules live in the library crates.

/// `eprintln!` that never panics: when stderr cannot be written (its reader gone, a full disk),
/// the line is lost, since there is nowhere left to report it. Every known secret value is
/// redacted: the final error is printed here, and an error's chain may quote a server or a library.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", extractor::auth::secret::redact(&line));
    }};
}

mod accounts;
mod cli;
mod commands;
mod config;
mod logging;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use run::exit::{self, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            note!("zoom-licenses: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let json_logs = cli.log.log_format == cli::LogFormat::Json;
    let result = runtime.block_on(run(cli));
    // `auth` may leave a blocking read of stdin behind; do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.code == exit::OK => {
            tracing::debug!(message = "Stopped early.", reason = %failure);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if json_logs {
                tracing::error!(message = "Run failed.", exit_code = failure.code, error = %failure);
            } else {
                note!("zoom-licenses: error: {failure}");
            }
            failure.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    // JSON logs mean a machine reads stderr: no free-text summary there.
    let quiet = cli.log.quiet || cli.log.log_format == cli::LogFormat::Json;
    // Progress bars are drawn only for a person: text logs, not quiet, on a terminal.
    let progress = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    // From here on a signal is remembered, never lost between two steps (see signals.rs).
    if matches!(
        cli.command,
        Command::Extract(_) | Command::Reclaim(_) | Command::Changes(_) | Command::Report(_)
    ) {
        run::signals::listen();
    }
    match cli.command {
        Command::Extract(args) => commands::extract::run(*args, quiet, progress).await,
        Command::Auth(args) => commands::auth::run(args).await,
        Command::Check(args) => commands::check::run(args).await,
        Command::Accounts(args) => commands::accounts::run(args).await,
        Command::Revoke(args) => commands::revoke::run(args).await,
        Command::Reclaim(args) => {
            run::derived::stoppable(move || commands::reclaim::run(args, quiet)).await
        }
        Command::Changes(args) => {
            run::derived::stoppable(move || commands::changes::run(args, quiet)).await
        }
        Command::Report(args) => {
            run::derived::stoppable(move || commands::report::run(args, quiet)).await
        }
        Command::Demo(args) => commands::demo::run(args),
        Command::Completions(args) => commands::docs::completions(args),
        Command::Man(args) => commands::docs::man(args),
    }
}
