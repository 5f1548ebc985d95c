//! Errors of the sinks.

use std::io;

use arrow_schema::{ArrowError, DataType};
use parquet::errors::ParquetError;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Reading or writing a file, or stdout, failed.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file (or `-` for stdout).
        path: String,
        /// The underlying I/O error.
        error: io::Error,
    },
    /// The Parquet encoder failed.
    #[error("cannot write Parquet to {path}: {error}")]
    Parquet {
        /// The file (or `-` for stdout).
        path: String,
        /// The underlying error.
        error: ParquetError,
    },
    /// A column has a type this sink cannot render.
    #[error("column `{name}` has type {data_type}, which this sink cannot write")]
    UnsupportedColumn {
        /// The column.
        name: String,
        /// Its type.
        data_type: DataType,
    },
    /// The sink was used out of order (a batch before `begin`).
    #[error("sink used out of order: {0}")]
    Misuse(&'static str),
    /// A table written earlier cannot be read back as expected.
    #[error("cannot read {path}: {detail}")]
    Read {
        /// The file.
        path: String,
        /// What is wrong, and what to do.
        detail: String,
    },
    /// An Arrow operation failed.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

impl SinkError {
    /// Turns an I/O error of writing `path` into [`SinkError::Io`].
    pub(crate) fn io(path: &str) -> impl Fn(io::Error) -> SinkError + Copy + '_ {
        move |error| SinkError::Io {
            path: path.to_string(),
            error,
        }
    }

    /// Whether the reader of stdout went away (`| head`): not a failure of the run.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            SinkError::Io { error, .. } => error.kind() == io::ErrorKind::BrokenPipe,
            SinkError::Parquet {
                error: ParquetError::External(e),
                ..
            } => e
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe),
            _ => false,
        }
    }
}
