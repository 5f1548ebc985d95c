//! Errors of the extractor: each names what went wrong and what the user can do about it.

use std::path::PathBuf;

use crate::http::error::{ApiError, ErrorClass};

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
        "{path} is not a valid recorded-run index: {reason} (see \"Recorded-run format\" in docs/recordings.md)"
    )]
    InvalidIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A page body is not a page of its endpoint.
    #[error("page {path} is not a valid Zoom page: {reason}")]
    InvalidPage {
        /// The page file (or request) that failed.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A recording that lacks pages of a sweep (in the middle, at the end) or holds only errors.
    #[error("the recording is broken at {path}: {reason}; record the run again")]
    BrokenRecording {
        /// The page (or first recorded answer) where it shows.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A request to Zoom failed for good.
    #[error("reading `{sweep}`: {error}")]
    Api {
        /// The sweep that failed, e.g. `users?status=active`.
        sweep: String,
        /// Why.
        error: ApiError,
    },
    /// A chain of pages that would not end (see [`crate::source::guard`]).
    #[error(
        "Zoom's pages of `{sweep}` do not end: {why}; stopping instead of following its tokens \
         for ever (see \"When a sweep ends\" in docs/zoom-behaviour.md)"
    )]
    EndlessSweep {
        /// The sweep, e.g. `users?status=active`.
        sweep: String,
        /// What the pages did.
        why: String,
    },
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
    /// The consumer of pages went away (the run is being aborted).
    #[error("the pipeline stopped reading pages")]
    ConsumerGone,
}

impl ExtractError {
    /// Maps an I/O error on `path` to [`ExtractError::Io`], for `map_err`.
    pub fn io(path: &std::path::Path) -> impl Fn(std::io::Error) -> Self + Copy + '_ {
        move |error| ExtractError::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// The kind of failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            ExtractError::Api { error, .. } => error.class(),
            _ => ErrorClass::Failed,
        }
    }
}
