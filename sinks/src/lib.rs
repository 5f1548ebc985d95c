//! Loads record batches into files or stdout: Parquet for warehouses, CSV for people, NDJSON for pipes.
//!
//! Every writer implements [`RecordSink`]. Files are written under a temporary name beside the target
//! and only renamed into place by [`PendingOutput::commit`], after every sink of the run finished, so a
//! failed run never leaves a half-written file where a finished one is expected. Nothing here knows
//! about Zoom: a sink sees Arrow batches and options.

#![warn(missing_docs)]

pub mod cells;
pub mod csv;
pub mod error;
pub mod leftovers;
pub mod manifest;
pub mod ndjson;
pub mod output;
pub mod parquet;
pub mod partition;
pub mod read;
pub mod spill;

use std::fmt;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

pub use error::SinkError;
pub use manifest::{retire_manifest, write_json_atomically};
pub use output::{Destination, OutputReceipt, PendingOutput};

/// A writer of record batches: `begin` once, `write_batch` per batch, then `finish`.
pub trait RecordSink: Send {
    /// Starts the output for batches of `schema` (a CSV header, a Parquet writer).
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), SinkError>;
    /// Writes one batch.
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError>;
    /// Completes the output; a file is then ready to commit but not yet at its target path.
    fn finish(self: Box<Self>) -> Result<FinishedOutput, SinkError>;
}

/// A sink's completed output: rows written and the file waiting to be committed.
#[derive(Debug)]
pub struct FinishedOutput {
    /// Data rows written (header excluded).
    pub rows: u64,
    /// The output, committed with [`FinishedOutput::commit`].
    pub pending: PendingOutput,
}

impl FinishedOutput {
    /// Moves the output into place and reports what was written.
    pub fn commit(self) -> Result<OutputReceipt, SinkError> {
        self.pending.commit(self.rows)
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    /// The file extension for this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    /// The format a file extension names, in any case: a format's own extension, or `jsonl` (JSON
    /// Lines is NDJSON under its other common name).
    pub fn from_extension(extension: &str) -> Option<Format> {
        match extension.to_ascii_lowercase().as_str() {
            "parquet" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Options every sink may use.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// CSV: write text cells as they are, without neutralizing formula-like values.
    pub csv_raw: bool,
    /// CSV: text columns never neutralized (identifiers, emails, JSON): written as received.
    pub verbatim_columns: Vec<String>,
    /// Parquet: key-value metadata written into the file footer.
    pub metadata: Vec<(String, String)>,
    /// Parquet: columns to dictionary-encode (the low-cardinality ones).
    pub dictionary_columns: Vec<String>,
    /// Parquet: columns written without min/max statistics.
    pub no_statistics_columns: Vec<String>,
    /// Parquet: the `created_by` string.
    pub created_by: Option<String>,
}

impl SinkOptions {
    /// CSV: whether formula-like cells of `column` get a leading `'`.
    pub(crate) fn neutralizes(&self, column: &str) -> bool {
        !self.csv_raw && !self.verbatim_columns.iter().any(|c| c == column)
    }
}

/// Opens a sink of `format` writing to `destination`.
pub fn open_sink(
    format: Format,
    destination: &Destination,
    options: &SinkOptions,
) -> Result<Box<dyn RecordSink>, SinkError> {
    let output = output::Output::open(destination)?;
    Ok(match format {
        Format::Parquet => Box::new(parquet::ParquetSink::new(output, options)),
        Format::Csv => Box::new(csv::CsvSink::new(output, options)),
        Format::Ndjson => Box::new(ndjson::NdjsonSink::new(output)),
    })
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn an_extension_names_its_format_in_any_case_and_jsonl_is_ndjson() {
        for (extension, format) in [
            ("parquet", Some(Format::Parquet)),
            ("CSV", Some(Format::Csv)),
            ("ndjson", Some(Format::Ndjson)),
            ("JsonL", Some(Format::Ndjson)),
            ("json", None),
            ("xlsx", None),
            ("", None),
        ] {
            assert_eq!(Format::from_extension(extension), format, "{extension}");
        }
    }
}
