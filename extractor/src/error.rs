//! Errors of the extractor: each names what went wrong and what the user can do about it.

use std::path::PathBuf;

use crate::status::UserStatus;

/// What kind of failure an error is, for exit codes: fix the setup, retry later, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Configuration or credentials: fix them (exit 2).
    Configuration,
    /// Rate limits, quotas, the network: retry later (exit 75).
    Temporary,
    /// Anything else (exit 1).
    Failed,
}

/// Why pages could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A file of a recorded run could not be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        error: std::io::Error,
    },
    /// The recording's `index.json` is missing or malformed.
    #[error(
        "{path} is not a valid recorded-run index: {reason} (see \"Recorded-run format\" in the README)"
    )]
    InvalidIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A page body is not a Zoom users page.
    #[error("page {path} is not a valid Zoom users page: {reason}")]
    InvalidPage {
        /// The page file (or request) that failed.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A status's sweep stops on a page that still has a `next_page_token`.
    #[error(
        "the recording is incomplete: the last `{status}` page ({path}) has next_page_token \"{token_hint}\"; \
         record the run again so every status ends on a page with an empty token"
    )]
    IncompleteSweep {
        /// The status whose sweep is cut short.
        status: UserStatus,
        /// The last page of that status.
        path: PathBuf,
        /// The first characters of the dangling token.
        token_hint: String,
    },
    /// A request to Zoom failed for good.
    #[error("listing `{status}` users: {error}")]
    Api {
        /// The sweep that failed.
        status: UserStatus,
        /// Why.
        error: crate::client::ApiError,
    },
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
    /// The consumer of pages went away (the run is being aborted).
    #[error("the pipeline stopped reading pages")]
    ConsumerGone,
}

impl ExtractError {
    /// The kind of failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            ExtractError::Api { error, .. } => error.class(),
            _ => ErrorClass::Failed,
        }
    }
}
