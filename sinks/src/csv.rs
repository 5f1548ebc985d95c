//! CSV for people: a header row, RFC 4180 quoting and CRLF line ends, RFC 3339 UTC timestamps.
//!
//! Spreadsheet programs run cells that start with `=`, `+`, `-`, `@`, tab or carriage return as
//! formulas, so a display name like `=HYPERLINK(…)` is an attack on whoever opens the file (OWASP
//! "CSV injection"). Such text cells get a leading `'` unless the user asked for raw output, or the
//! column is one whose values must never be altered (identifiers, which can begin with `-`, emails,
//! JSON), which is written exactly as it is. A list is one cell, its items joined by `;`.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use std::fmt::Write as _;

use crate::cells::{Cell, columns, write_date, write_decimal, write_time};
use crate::error::SinkError;
use crate::output::Output;
use crate::{FinishedOutput, RecordSink, SinkOptions};

/// Writes batches as CSV.
pub struct CsvSink {
    writer: csv::Writer<Output>,
    name: String,
    /// Which columns are neutralized ([`SinkOptions::neutralizes`]).
    options: SinkOptions,
    /// For each column of the schema begun, whether its formula-like cells are neutralized.
    neutralized: Vec<bool>,
    rows: u64,
}

impl CsvSink {
    /// A CSV sink neutralizing formula-like cells of the columns `options` says.
    pub fn new(output: Output, options: &SinkOptions) -> Self {
        let name = output.name().to_owned();
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .buffer_capacity(64 * 1024)
            .from_writer(output);
        CsvSink {
            writer,
            name,
            options: options.clone(),
            neutralized: Vec::new(),
            rows: 0,
        }
    }

    fn err(&self, e: csv::Error) -> SinkError {
        SinkError::io(&self.name)(e.into())
    }
}

/// Whether a spreadsheet would treat `text` as a formula.
pub fn looks_like_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

impl RecordSink for CsvSink {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), SinkError> {
        let header: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        self.neutralized = header
            .iter()
            .map(|name| self.options.neutralizes(name))
            .collect();
        self.writer.write_record(&header).map_err(|e| self.err(e))
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let columns = columns(batch)?;
        // Reused for every formatted cell: no allocation per number or timestamp.
        let mut scratch = String::new();
        if self.neutralized.len() != columns.len() {
            return Err(SinkError::Misuse("batch written before begin"));
        }
        for row in 0..batch.num_rows() {
            for (column, neutralize) in columns.iter().zip(&self.neutralized) {
                scratch.clear();
                let field = match column.cell(row) {
                    Cell::Null => "",
                    Cell::Text(text) if *neutralize && looks_like_formula(text) => {
                        scratch.push('\'');
                        scratch.push_str(text);
                        &scratch
                    }
                    Cell::Text(text) => text,
                    Cell::Int(n) => {
                        let _ = write!(scratch, "{n}");
                        &scratch
                    }
                    Cell::Time(t) => {
                        write_time(t, &mut scratch);
                        &scratch
                    }
                    Cell::Bool(true) => "true",
                    Cell::Bool(false) => "false",
                    Cell::Date(days) => {
                        write_date(days, &mut scratch);
                        &scratch
                    }
                    Cell::Decimal(value, precision, scale) => {
                        write_decimal(value, precision, scale, &mut scratch);
                        &scratch
                    }
                    Cell::TextList(values, start, len) => {
                        for i in start..start + len {
                            if i > start {
                                scratch.push(';');
                            }
                            scratch.push_str(values.value(i));
                        }
                        &scratch
                    }
                };
                self.writer.write_field(field).map_err(|e| self.err(e))?;
            }
            self.writer
                .write_record(None::<&[u8]>)
                .map_err(|e| self.err(e))?;
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<FinishedOutput, SinkError> {
        let io_err = SinkError::io(&self.name);
        let output = self
            .writer
            .into_inner()
            .map_err(|e| io_err(e.into_error()))?;
        Ok(FinishedOutput {
            rows: self.rows,
            pending: output.into_pending()?,
        })
    }
}
