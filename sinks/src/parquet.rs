//! Parquet for warehouses: zstd, dictionary encoding only where values repeat, bounded row groups so
//! memory stays flat, and the run's identity in the footer's key-value metadata.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::error::SinkError;
use crate::output::Output;
use crate::{FinishedOutput, RecordSink, SinkOptions};

/// Rows per row group: large enough for good compression, small enough to bound buffered memory.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;
/// zstd level: 3 is zstd's own default, a good speed/size balance for text-heavy tables.
pub const ZSTD_LEVEL: i32 = 3;

enum State {
    Ready(Box<Output>),
    Writing(Box<ArrowWriter<Output>>),
    Spent,
}

/// Writes batches into one Parquet file.
pub struct ParquetSink {
    state: State,
    name: String,
    options: SinkOptions,
    rows: u64,
}

impl ParquetSink {
    /// A Parquet sink.
    pub fn new(output: Output, options: &SinkOptions) -> Self {
        ParquetSink {
            name: output.name().to_owned(),
            state: State::Ready(Box::new(output)),
            options: options.clone(),
            rows: 0,
        }
    }

    fn err(&self, source: ParquetError) -> SinkError {
        SinkError::Parquet {
            path: self.name.clone(),
            error: source,
        }
    }

    fn properties(&self, schema: &SchemaRef) -> Result<WriterProperties, ParquetError> {
        let mut builder = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_dictionary_enabled(false)
            .set_key_value_metadata(Some(
                self.options
                    .metadata
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                    .collect(),
            ));
        if let Some(created_by) = &self.options.created_by {
            builder = builder.set_created_by(created_by.clone());
        }
        for column in &self.options.dictionary_columns {
            if schema.field_with_name(column).is_ok() {
                builder =
                    builder.set_column_dictionary_enabled(ColumnPath::from(column.as_str()), true);
            }
        }
        Ok(builder.build())
    }
}

impl RecordSink for ParquetSink {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), SinkError> {
        let props = self.properties(schema).map_err(|e| self.err(e))?;
        match std::mem::replace(&mut self.state, State::Spent) {
            State::Ready(output) => {
                let writer = ArrowWriter::try_new(*output, schema.clone(), Some(props))
                    .map_err(|e| self.err(e))?;
                self.state = State::Writing(Box::new(writer));
                Ok(())
            }
            _ => Err(SinkError::Misuse("begin called twice")),
        }
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let State::Writing(writer) = &mut self.state else {
            return Err(SinkError::Misuse("batch written before begin"));
        };
        if let Err(e) = writer.write(batch) {
            return Err(self.err(e));
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<FinishedOutput, SinkError> {
        let State::Writing(writer) = std::mem::replace(&mut self.state, State::Spent) else {
            return Err(SinkError::Misuse("finish called before begin"));
        };
        // `into_inner` writes the footer; calling `finish` first would make it fail.
        let output = writer.into_inner().map_err(|e| self.err(e))?;
        Ok(FinishedOutput {
            rows: self.rows,
            pending: output.into_pending()?,
        })
    }
}
