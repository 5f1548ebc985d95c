//! Reads back a table the sinks wrote, batch by batch, for the commands that derive tables from a
//! run's outputs. Only the columns asked for are read, with the types asked for: a file whose
//! columns differ (another schema version) is refused with the column that differs.
//!
//! Parquet is read with the `parquet` crate's Arrow reader (only the projected column chunks are
//! decoded). CSV and NDJSON are parsed by `arrow-csv` and `arrow-json`, the Arrow project's own
//! readers, rather than by hand. CSV has no list type: a list column was written as its values
//! joined by `;` (see [`crate::csv`]) and is split back here; an empty cell is an empty list (CSV
//! writes an empty and a missing list alike). A CSV cell the sink neutralized (a `'` put before a
//! value starting like a formula) is read back without the `'`, under the same [`SinkOptions`]
//! it was written with.
//!
//! Parquet and CSV files are checked column by column against the asked-for schema. The NDJSON
//! reader fills a missing nullable field with nulls, so an NDJSON file's schema version is
//! vouched for by its run's manifest, not by this reader.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::csv::looks_like_formula;
use crate::{Format, SinkError, SinkOptions};

/// Rows per batch read.
const BATCH_ROWS: usize = 8192;

/// Batches of a table read back, each with exactly the asked-for schema.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, SinkError>> + Send>;

/// Reads the columns of `schema` from the table file at `path`, written in `format` with
/// `options`.
pub fn read_table(
    format: Format,
    path: &Path,
    schema: &SchemaRef,
    options: &SinkOptions,
) -> Result<Batches, SinkError> {
    let shown = path.display().to_string();
    // Every error here is SinkError::Read ("cannot read …"): the Io and Parquet variants are
    // a writer's.
    let file = File::open(path).map_err(|e| read_error(&shown, e))?;
    let wanted = schema.clone();
    match format {
        Format::Parquet => read_parquet(file, shown, wanted),
        Format::Ndjson => read_ndjson(file, shown, wanted),
        Format::Csv => read_csv(path, file, shown, wanted, options),
    }
}

/// A Parquet file's columns of `wanted`: only their column chunks are decoded.
fn read_parquet(file: File, shown: String, wanted: SchemaRef) -> Result<Batches, SinkError> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| read_error(&shown, e))?;
    let file_schema = builder.schema().clone();
    let mut roots = Vec::new();
    for field in wanted.fields() {
        let (index, found) = file_schema
            .column_with_name(field.name())
            .ok_or_else(|| missing(&shown, field))?;
        if found.data_type() != field.data_type() {
            return Err(other_type(&shown, field, found.data_type()));
        }
        roots.push(index);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| read_error(&shown, e))?;
    Ok(Box::new(reader.map(move |batch| {
        in_order(&shown, &wanted, batch, &|column, _| Ok(column.clone()))
    })))
}

/// An NDJSON file's members of `wanted`, timestamps parsed as [`parsed_type`] says.
fn read_ndjson(file: File, shown: String, wanted: SchemaRef) -> Result<Batches, SinkError> {
    let parsed = wanted.fields().iter().map(|f| {
        let data_type = parsed_type(f.data_type());
        f.as_ref().clone().with_data_type(data_type)
    });
    let parsed = Arc::new(Schema::new(parsed.collect::<Vec<_>>()));
    let reader = arrow_json::ReaderBuilder::new(parsed)
        .with_batch_size(BATCH_ROWS)
        .build(BufReader::new(file))
        .map_err(|e| read_error(&shown, e))?;
    Ok(Box::new(reader.map(move |batch| {
        in_order(&shown, &wanted, batch, &retag)
    })))
}

/// A CSV file's columns of `wanted`: lists split, neutralized cells given back as written.
fn read_csv(
    path: &Path,
    file: File,
    shown: String,
    wanted: SchemaRef,
    options: &SinkOptions,
) -> Result<Batches, SinkError> {
    let header = csv::Reader::from_path(path)
        .and_then(|mut r| r.headers().cloned())
        .map_err(|e| read_error(&shown, e))?;
    // Every column as text but the ones asked for; lists as text, split below.
    let columns: Vec<Field> = header
        .iter()
        .map(|name| {
            let data_type = match wanted.field_with_name(name).map(Field::data_type) {
                Ok(DataType::List(_)) | Err(_) => DataType::Utf8,
                Ok(other) => parsed_type(other),
            };
            Field::new(name, data_type, true)
        })
        .collect();
    let projection = wanted.fields().iter().map(|field| {
        let index = header.iter().position(|name| name == field.name());
        index.ok_or_else(|| missing(&shown, field))
    });
    let reader = arrow_csv::ReaderBuilder::new(Arc::new(Schema::new(columns)))
        .with_header(true)
        .with_projection(projection.collect::<Result<_, _>>()?)
        .with_batch_size(BATCH_ROWS)
        .build(file)
        .map_err(|e| read_error(&shown, e))?;
    let options = options.clone();
    Ok(Box::new(reader.map(move |batch| {
        in_order(&shown, &wanted, batch, &|column, field| {
            let column = match options.neutralizes(field.name()) {
                true => unneutralize(column)?,
                false => column.clone(),
            };
            retag(&split_list(&column, field)?, field)
        })
    })))
}

/// `batch`'s columns named as in `wanted`, in its order, each passed through `convert`.
fn in_order(
    path: &str,
    wanted: &SchemaRef,
    batch: Result<RecordBatch, ArrowError>,
    convert: &dyn Fn(&ArrayRef, &Field) -> Result<ArrayRef, String>,
) -> Result<RecordBatch, SinkError> {
    let batch = batch.map_err(|e| read_error(path, e))?;
    let mut columns = Vec::with_capacity(wanted.fields().len());
    for field in wanted.fields() {
        let column = batch
            .column_by_name(field.name())
            .ok_or_else(|| missing(path, field))?;
        columns.push(convert(column, field).map_err(|detail| read_error(path, detail))?);
    }
    RecordBatch::try_new(wanted.clone(), columns).map_err(|e| read_error(path, e))
}

/// The type a text reader parses a column as: timestamps at offset `+00:00`, which the readers
/// know without a time zone database (the files hold UTC times, written with `Z`).
fn parsed_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Timestamp(unit, Some(_)) => DataType::Timestamp(*unit, Some("+00:00".into())),
        other => other.clone(),
    }
}

/// A timestamp column parsed at `+00:00`, labelled with the asked-for zone (`UTC`): the same
/// instants.
fn retag(column: &ArrayRef, field: &Field) -> Result<ArrayRef, String> {
    match field.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, Some(zone)) => Ok(Arc::new(
            column
                .as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or_else(|| format!("column `{}` is not a timestamp", field.name()))?
                .clone()
                .with_timezone(zone.clone()),
        )),
        _ => Ok(column.clone()),
    }
}

/// A CSV text column that should be a list of texts: its values joined by `;`, split.
fn split_list(column: &ArrayRef, field: &Field) -> Result<ArrayRef, String> {
    if !matches!(field.data_type(), DataType::List(_)) {
        return Ok(column.clone());
    }
    let text = column
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("column `{}` is not text", field.name()))?;
    let mut lists = ListBuilder::new(StringBuilder::new());
    for cell in text {
        // An empty cell (null to arrow-csv) is an empty list.
        let values = cell.filter(|c| !c.is_empty()).map(|c| c.split(';'));
        lists.append_value(values.into_iter().flatten().map(Some));
    }
    Ok(Arc::new(lists.finish()))
}

/// A text column with the `'` the CSV sink put before formula-like values taken off again.
fn unneutralize(column: &ArrayRef) -> Result<ArrayRef, String> {
    let Some(text) = column.as_string_opt::<i32>() else {
        return Ok(column.clone());
    };
    // Most batches hold no neutralized cell: keep the column as read, without a copy.
    if !text.iter().flatten().any(|v| v.starts_with('\'')) {
        return Ok(column.clone());
    }
    let values = text.iter().map(|value| {
        value.map(|v| match v.strip_prefix('\'') {
            Some(rest) if looks_like_formula(rest) => rest,
            _ => v,
        })
    });
    Ok(Arc::new(values.collect::<arrow_array::StringArray>()))
}

fn missing(path: &str, field: &Field) -> SinkError {
    let name = field.name();
    read_error(
        path,
        format!(
            "it has no column `{name}`: it was not written by this version of zoom-licenses (or \
             not as this table); extract the run again with this version"
        ),
    )
}

fn other_type(path: &str, field: &Field, found: &DataType) -> SinkError {
    let (name, wanted) = (field.name(), field.data_type());
    read_error(
        path,
        format!(
            "its column `{name}` is {found}, not {wanted}: it was written by another schema \
             version; extract the run again with this version"
        ),
    )
}

fn read_error(path: &str, error: impl std::fmt::Display) -> SinkError {
    SinkError::Read {
        path: path.to_string(),
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, StringArray, TimestampMicrosecondArray};

    use crate::{Destination, SinkOptions, open_sink};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("n", DataType::Int32, true),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new(
                "ids",
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                true,
            ),
        ]))
    }

    /// `name` is neutralized in CSV, `ids` is not.
    fn options() -> SinkOptions {
        SinkOptions {
            verbatim_columns: vec!["ids".into()],
            ..SinkOptions::default()
        }
    }

    fn batch() -> RecordBatch {
        let mut ids = ListBuilder::new(StringBuilder::new());
        ids.values().append_value("a");
        ids.values().append_value("-b");
        ids.append(true);
        ids.append(true);
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(StringArray::from(vec!["=x", "'y"])),
                Arc::new(Int32Array::from(vec![Some(1), None])),
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(1_700_000_000_123_456), None])
                        .with_timezone("UTC"),
                ),
                Arc::new(ids.finish()),
            ],
        )
        .unwrap()
    }

    /// Writes `batch()` to `path` as the sinks do, under `options()`.
    fn write(format: Format, path: &Path) {
        let mut sink = open_sink(format, &Destination::File(path.into()), &options()).unwrap();
        sink.begin(&schema()).unwrap();
        sink.write_batch(&batch()).unwrap();
        sink.finish().unwrap().commit().unwrap();
    }

    /// Each format gives back what it was given, in the asked-for column order: a formula-like
    /// value neutralized in CSV comes back as it was, a value starting with `'` stays, and an
    /// empty list stays empty.
    #[test]
    fn every_format_reads_back_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Parquet, Format::Csv, Format::Ndjson] {
            let path = dir.path().join(format!("t.{format}"));
            write(format, &path);
            let reversed = Arc::new(Schema::new(
                schema().fields().iter().rev().cloned().collect::<Vec<_>>(),
            ));
            let read: Vec<RecordBatch> = read_table(format, &path, &reversed, &options())
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(read.len(), 1, "{format}");
            let expected = batch().project(&[3, 2, 1, 0]).unwrap();
            assert_eq!(read[0], expected.with_schema(reversed).unwrap(), "{format}");
        }
    }

    /// A column of another type, or none, names the column and says what to do.
    #[test]
    fn another_schema_is_refused_by_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write(Format::Parquet, &path);
        for (field, says) in [
            (Field::new("n", DataType::Utf8, true), "`n` is Int32"),
            (Field::new("gone", DataType::Utf8, true), "no column `gone`"),
        ] {
            let wanted = Arc::new(Schema::new(vec![field]));
            let error = read_table(Format::Parquet, &path, &wanted, &options())
                .err()
                .unwrap();
            assert!(error.to_string().contains(says), "{error}");
            assert!(
                error.to_string().contains("extract the run again"),
                "{error}"
            );
        }
    }
}
