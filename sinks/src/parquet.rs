//! Parquet for warehouses: zstd, dictionary encoding only where values repeat, row groups of 64k rows
//! whose finished pages wait on disk (see [`crate::spill`]) so memory stays flat, and the run's
//! identity in the footer's key-value metadata.

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, SchemaRef};
use std::sync::Arc;

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::SinkError;
use crate::output::Output;
use crate::spill::FilePageStoreFactory;
use crate::{FinishedOutput, RecordSink, SinkOptions};

/// Rows per row group: large enough for good compression, small enough to bound buffered memory.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;
/// zstd level: 1 compresses these tables 4-5% less tightly than zstd's default 3, but takes a fifth
/// less CPU and about 10 MiB less memory for the per-column compression contexts (BENCHMARKS.md).
pub const ZSTD_LEVEL: i32 = 1;
/// Target size of one data page before compression: a quarter of the crate's 1 MiB default, so the
/// page buffers and compression contexts of 30 columns stay small; files grow by under 2%.
pub const DATA_PAGE_BYTES: usize = 256 * 1024;

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
            .set_data_page_size_limit(DATA_PAGE_BYTES)
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
            if let Ok(field) = schema.field_with_name(column) {
                builder = builder.set_column_dictionary_enabled(leaf_path(field), true);
            }
        }
        for column in &self.options.no_statistics_columns {
            if let Ok(field) = schema.field_with_name(column) {
                builder = builder
                    .set_column_statistics_enabled(leaf_path(field), EnabledStatistics::None);
            }
        }
        Ok(builder.build())
    }
}

/// The Parquet path of a column's values: its name, or for a list `name.list.<item>`, as the Arrow
/// writer lays lists out.
fn leaf_path(field: &Field) -> ColumnPath {
    match field.data_type() {
        DataType::List(item) => ColumnPath::new(vec![
            field.name().clone(),
            "list".into(),
            item.name().clone(),
        ]),
        _ => ColumnPath::from(field.name().as_str()),
    }
}

impl RecordSink for ParquetSink {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), SinkError> {
        let props = self.properties(schema).map_err(|e| self.err(e))?;
        match std::mem::replace(&mut self.state, State::Spent) {
            State::Ready(output) => {
                let spill = FilePageStoreFactory::new(output.scratch_dir());
                let options = ArrowWriterOptions::new()
                    .with_properties(props)
                    .with_page_store_factory(Arc::new(spill));
                let writer = ArrowWriter::try_new_with_options(*output, schema.clone(), options)
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
        writer.write(batch).map_err(|e| self.err(e))?;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;
    use crate::output::Destination;

    /// Writes `batches` with `options` into a Parquet file at `target` and commits it.
    fn write_file(
        target: &std::path::Path,
        options: &SinkOptions,
        schema: &SchemaRef,
        batches: impl IntoIterator<Item = RecordBatch>,
    ) {
        let output = Output::open(&Destination::File(target.to_path_buf())).unwrap();
        let mut sink: Box<dyn RecordSink> = Box::new(ParquetSink::new(output, options));
        sink.begin(schema).unwrap();
        for batch in batches {
            sink.write_batch(&batch).unwrap();
        }
        sink.finish().unwrap().commit().unwrap();
    }

    /// Several row groups, so finished pages go through the spill files and come back in order.
    #[test]
    fn spilled_row_groups_read_back_whole_and_leave_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("text", DataType::Utf8, false),
        ]));
        let rows = 3 * ROW_GROUP_ROWS + 1234;
        let batches = (0..rows).step_by(10_000).map(|start| {
            let end = (start + 10_000).min(rows);
            let n = Int64Array::from_iter_values(start as i64..end as i64);
            let text = StringArray::from_iter_values((start..end).map(|i| format!("{i:x}-{i}")));
            let columns: Vec<ArrayRef> = vec![Arc::new(n), Arc::new(text)];
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        });
        write_file(&target, &SinkOptions::default(), &schema, batches);

        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the finished file remains");
        let file = std::fs::File::open(&target).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 4);
        let mut next = 0i64;
        for batch in reader.build().unwrap() {
            let batch = batch.unwrap();
            let n = batch
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            let text = batch
                .column(1)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            for i in 0..batch.num_rows() {
                assert_eq!(n.value(i), next);
                assert_eq!(text.value(i), format!("{next:x}-{next}"));
                next += 1;
            }
        }
        assert_eq!(next as usize, rows);
    }

    #[test]
    fn listed_columns_are_written_without_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("s.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("email", DataType::Utf8, false),
            Field::new("display_name", DataType::Utf8, false),
        ]));
        let options = SinkOptions {
            no_statistics_columns: vec!["display_name".into(), "absent".into()],
            ..SinkOptions::default()
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["b@x", "a@x"])),
            Arc::new(StringArray::from(vec!["Bo", "Al"])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        write_file(&target, &options, &schema, [batch]);

        let file = std::fs::File::open(&target).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let group = reader.metadata().row_group(0);
        let email = group
            .column(0)
            .statistics()
            .expect("email keeps its statistics");
        assert_eq!(email.min_bytes_opt(), Some(&b"a@x"[..]));
        assert!(
            group.column(1).statistics().is_none(),
            "display_name has none"
        );
    }

    /// docs/usage.md: "row groups of 65,536 rows". The number is the documented one, not
    /// [`ROW_GROUP_ROWS`]; batches of 7,777 rows do not line up with the groups.
    #[test]
    fn row_groups_hold_the_documented_65536_rows() {
        const DOCUMENTED: i64 = 65_536;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("g.parquet");
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let rows = 2 * DOCUMENTED + 100;
        let batches = (0..rows).step_by(7_777).map(|start| {
            let n = Int64Array::from_iter_values(start..(start + 7_777).min(rows));
            RecordBatch::try_new(schema.clone(), vec![Arc::new(n) as ArrayRef]).unwrap()
        });
        write_file(&target, &SinkOptions::default(), &schema, batches);

        let file = std::fs::File::open(&target).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        assert_eq!(groups, vec![DOCUMENTED, DOCUMENTED, 100]);
    }
}
