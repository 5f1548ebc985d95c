//! NDJSON for pipes: one JSON object per line, columns in schema order, nulls as `null`, timestamps as
//! RFC 3339 UTC strings. Text columns stay strings (`licenses` too, so its 64-bit numbers survive
//! readers that parse JSON numbers as doubles).

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::cells::{Cell, columns, format_time};
use crate::error::SinkError;
use crate::output::Output;
use crate::{FinishedOutput, RecordSink};

/// Writes batches as newline-delimited JSON.
pub struct NdjsonSink {
    output: Output,
    keys: Vec<String>,
    rows: u64,
}

impl NdjsonSink {
    /// An NDJSON sink.
    pub fn new(output: Output) -> Self {
        NdjsonSink {
            output,
            keys: Vec::new(),
            rows: 0,
        }
    }

    fn io(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            path: self.output.name().to_owned(),
            error: source,
        }
    }

    fn write_rows(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        let columns = columns(batch).map_err(std::io::Error::other)?;
        let out = &mut self.output;
        for row in 0..batch.num_rows() {
            for (i, (column, key)) in columns.iter().zip(&self.keys).enumerate() {
                out.write_all(if i == 0 { b"{" } else { b"," })?;
                out.write_all(key.as_bytes())?;
                match column.cell(row) {
                    Cell::Null => out.write_all(b"null")?,
                    Cell::Text(text) => serde_json::to_writer(&mut *out, text)?,
                    Cell::Int(n) => write!(out, "{n}")?,
                    Cell::Time(t) => write!(out, "\"{}\"", format_time(t))?,
                }
            }
            out.write_all(b"}\n")?;
        }
        Ok(())
    }
}

impl RecordSink for NdjsonSink {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), SinkError> {
        // Keys are escaped once: `"name":`.
        self.keys = schema
            .fields()
            .iter()
            .map(|f| format!("{}:", serde_json::Value::from(f.name().as_str())))
            .collect();
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        if self.keys.len() != batch.num_columns() {
            return Err(SinkError::Misuse("batch written before begin"));
        }
        self.write_rows(batch).map_err(|e| self.io(e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<FinishedOutput, SinkError> {
        Ok(FinishedOutput {
            rows: self.rows,
            pending: self.output.into_pending()?,
        })
    }
}
