//! Exit codes and the error that carries one: `main` maps every failure to a code a scheduler can act on.

use std::fmt;
use std::process::ExitCode;

/// Everything worked.
pub const OK: u8 = 0;
/// The run failed; retrying as is will not help.
pub const FAILED: u8 = 1;
/// Bad usage or configuration: fix the command or the setup.
pub const USAGE: u8 = 2;
/// A temporary failure (rate limit, daily quota, network): retry later (BSD `EX_TEMPFAIL`).
pub const TEMPORARY: u8 = 75;
/// Interrupted by SIGINT (128 + 2, the shell convention).
pub const INTERRUPTED: u8 = 130;
/// Stopped by SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

/// The exit code for a kind of extractor failure.
pub fn code_for(class: extractor::ErrorClass) -> u8 {
    match class {
        extractor::ErrorClass::Configuration => USAGE,
        extractor::ErrorClass::Temporary => TEMPORARY,
        extractor::ErrorClass::Failed => FAILED,
    }
}

/// A failed run: what went wrong, and the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong, with context.
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure with exit code `code`.
    pub fn new(code: u8, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code,
            error: error.into(),
        }
    }

    /// An extractor's failure, its exit code by its `class`, with what was being `done`.
    pub fn of_class(
        class: extractor::ErrorClass,
        error: impl Into<anyhow::Error>,
        done: impl fmt::Display + Send + Sync + 'static,
    ) -> Self {
        Self::new(code_for(class), error.into().context(done))
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl fmt::Display) -> Self {
        Self::new(USAGE, anyhow::anyhow!("{message}"))
    }

    /// A failed run (exit 1).
    pub fn failed(error: impl Into<anyhow::Error>) -> Self {
        Self::new(FAILED, error)
    }

    /// A failed run (exit 1) from a message.
    pub fn failed_msg(message: impl fmt::Display) -> Self {
        Self::new(FAILED, anyhow::anyhow!("{message}"))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}
