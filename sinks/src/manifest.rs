//! Writes the run manifest (or any JSON document) atomically: it is the last file a run writes, and
//! its presence means every output it lists is complete.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::SinkError;
use crate::output::{Destination, Output, OutputReceipt};

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename.
pub fn write_json_atomically<T: Serialize>(
    path: &Path,
    value: &T,
) -> Result<OutputReceipt, SinkError> {
    let destination = Destination::File(path.to_path_buf());
    let mut output = Output::open(&destination)?;
    let io_err = |source| SinkError::Io {
        path: destination.display_name(),
        error: source,
    };
    serde_json::to_writer_pretty(&mut output, value).map_err(|e| io_err(e.into()))?;
    output.write_all(b"\n").map_err(io_err)?;
    output.into_pending()?.commit(1)
}
