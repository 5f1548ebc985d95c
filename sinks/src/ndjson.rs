//! NDJSON for pipes: one JSON object per line, columns in schema order, nulls as `null`, timestamps as
//! RFC 3339 UTC strings, lists as arrays. Text columns stay strings (`licenses` too, so its 64-bit
//! numbers survive readers that parse JSON numbers as doubles).

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::cells::{Cell, columns, write_date, write_decimal, write_time};
use crate::error::SinkError;
use crate::output::Output;
use crate::{FinishedOutput, RecordSink};

/// Writes batches as newline-delimited JSON.
pub struct NdjsonSink {
    output: Output,
    keys: Vec<String>,
    rows: u64,
    buffer: Vec<u8>,
}

impl NdjsonSink {
    /// An NDJSON sink.
    pub fn new(output: Output) -> Self {
        NdjsonSink {
            output,
            keys: Vec::new(),
            rows: 0,
            buffer: Vec::new(),
        }
    }

    /// Renders the whole batch into one reused buffer, then writes (and hashes) it at once: a
    /// write per cell made the hashing writer the largest cost of NDJSON output.
    fn write_rows(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        let columns = columns(batch).map_err(std::io::Error::other)?;
        let mut text = std::mem::take(&mut self.buffer);
        let mut time = String::with_capacity(32);
        text.clear();
        for row in 0..batch.num_rows() {
            for (i, (column, key)) in columns.iter().zip(&self.keys).enumerate() {
                text.push(if i == 0 { b'{' } else { b',' });
                text.extend_from_slice(key.as_bytes());
                match column.cell(row) {
                    Cell::Null => text.extend_from_slice(b"null"),
                    Cell::Text(value) => serde_json::to_writer(&mut text, value)?,
                    Cell::Int(n) => write!(text, "{n}")?,
                    Cell::Bool(b) => write!(text, "{b}")?,
                    Cell::TextList(values, start, len) => {
                        text.push(b'[');
                        for i in start..start + len {
                            if i > start {
                                text.push(b',');
                            }
                            serde_json::to_writer(&mut text, values.value(i))?;
                        }
                        text.push(b']');
                    }
                    Cell::Decimal(value, precision, scale) => {
                        time.clear();
                        write_decimal(value, precision, scale, &mut time);
                        text.extend_from_slice(time.as_bytes());
                    }
                    Cell::Date(days) => push_quoted(&mut text, &mut time, |s| write_date(days, s)),
                    Cell::Time(t) => push_quoted(&mut text, &mut time, |s| write_time(t, s)),
                }
            }
            text.extend_from_slice(b"}\n");
        }
        let result = self.output.write_all(&text);
        self.buffer = text;
        result
    }
}

/// Appends `"…"` around what `render` writes (dates and times need no JSON escaping), through
/// the reused `scratch`.
fn push_quoted(text: &mut Vec<u8>, scratch: &mut String, render: impl FnOnce(&mut String)) {
    scratch.clear();
    render(scratch);
    text.push(b'"');
    text.extend_from_slice(scratch.as_bytes());
    text.push(b'"');
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
        self.write_rows(batch)
            .map_err(|e| SinkError::io(self.output.name())(e))?;
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
