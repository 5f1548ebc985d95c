//! Reads the cells of a batch for the text formats (CSV, NDJSON), which render values one by one.

use std::fmt::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, DecimalType, Int32Type, TimestampMicrosecondType,
};
use arrow_array::{
    Array, BooleanArray, Date32Array, Decimal128Array, Int32Array, ListArray, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike};

use crate::error::SinkError;

/// One cell's value.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// No value.
    Null,
    /// A text value.
    Text(&'a str),
    /// A 32-bit integer.
    Int(i32),
    /// A UTC timestamp in microseconds since the epoch.
    Time(i64),
    /// A boolean.
    Bool(bool),
    /// A date, as days since 1970-01-01.
    Date(i32),
    /// A decimal: its unscaled value, precision and scale (`1599, 12, 2` is 15.99).
    Decimal(i128, u8, i8),
    /// A list of texts: the values of `list` from `start`, `len` of them.
    TextList(&'a StringArray, usize, usize),
}

/// A typed view of one column.
pub enum Column<'a> {
    /// A `Utf8` column.
    Text(&'a StringArray),
    /// An `Int32` column.
    Int(&'a Int32Array),
    /// A `Timestamp(Microsecond, _)` column.
    Time(&'a TimestampMicrosecondArray),
    /// A `Boolean` column.
    Bool(&'a BooleanArray),
    /// A `Date32` column.
    Date(&'a Date32Array),
    /// A `Decimal128` column.
    Decimal(&'a Decimal128Array),
    /// A `List<Utf8>` column and its values.
    TextList(&'a ListArray, &'a StringArray),
}

impl Column<'_> {
    /// The value at `row`.
    pub fn cell(&self, row: usize) -> Cell<'_> {
        match self {
            Column::Text(a) if a.is_valid(row) => Cell::Text(a.value(row)),
            Column::Int(a) if a.is_valid(row) => Cell::Int(a.value(row)),
            Column::Time(a) if a.is_valid(row) => Cell::Time(a.value(row)),
            Column::Bool(a) if a.is_valid(row) => Cell::Bool(a.value(row)),
            Column::Date(a) if a.is_valid(row) => Cell::Date(a.value(row)),
            Column::Decimal(a) if a.is_valid(row) => {
                Cell::Decimal(a.value(row), a.precision(), a.scale())
            }
            Column::TextList(a, values) if a.is_valid(row) => {
                let offsets = a.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                Cell::TextList(values, start, end - start)
            }
            _ => Cell::Null,
        }
    }
}

/// Typed views of every column of `batch`, or an error naming a column of another type.
pub fn columns(batch: &RecordBatch) -> Result<Vec<Column<'_>>, SinkError> {
    let schema = batch.schema_ref();
    batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(array, field)| match field.data_type() {
            DataType::Utf8 => Ok(Column::Text(array.as_string::<i32>())),
            DataType::Int32 => Ok(Column::Int(array.as_primitive::<Int32Type>())),
            DataType::Timestamp(TimeUnit::Microsecond, _) => Ok(Column::Time(
                array.as_primitive::<TimestampMicrosecondType>(),
            )),
            DataType::Boolean => Ok(Column::Bool(array.as_boolean())),
            DataType::Date32 => Ok(Column::Date(array.as_primitive::<Date32Type>())),
            DataType::Decimal128(..) => Ok(Column::Decimal(array.as_primitive::<Decimal128Type>())),
            DataType::List(item) if item.data_type() == &DataType::Utf8 => {
                let list = array.as_list::<i32>();
                Ok(Column::TextList(list, list.values().as_string::<i32>()))
            }
            other => Err(SinkError::UnsupportedColumn {
                name: field.name().clone(),
                data_type: other.clone(),
            }),
        })
        .collect()
}

/// `2026-12-01` for a count of days since 1970-01-01.
pub fn write_date(days: i32, out: &mut String) {
    let _ = match NaiveDate::default().checked_add_signed(TimeDelta::days(days.into())) {
        Some(date) => write!(out, "{}", date.format("%Y-%m-%d")),
        None => write!(out, "{days}"),
    };
}

/// `15.99` for the decimal `1599` of scale 2: a plain number, as CSV and JSON write it.
pub fn write_decimal(value: i128, precision: u8, scale: i8, out: &mut String) {
    out.push_str(&Decimal128Type::format_decimal(value, precision, scale));
}

/// RFC 3339 in UTC with a `Z`, with fractional seconds only when there are any.
pub fn format_time(micros: i64) -> String {
    let mut out = String::with_capacity(27);
    write_time(micros, &mut out);
    out
}

/// Appends [`format_time`]'s text to `out`: the text sinks call it for every timestamp cell, so it
/// writes into a reused buffer instead of allocating.
pub fn write_time(micros: i64, out: &mut String) {
    let Some(t) = DateTime::from_timestamp_micros(micros) else {
        let _ = write!(out, "{micros}");
        return;
    };
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    // Like chrono's `SecondsFormat::AutoSi`: milliseconds when they suffice, else microseconds.
    let _ = match micros.rem_euclid(1_000_000) {
        0 => Ok(()),
        fraction if fraction % 1000 == 0 => write!(out, ".{:03}", fraction / 1000),
        fraction => write!(out, ".{fraction:06}"),
    };
    out.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_chrono_rfc3339() {
        use chrono::SecondsFormat;
        for micros in [
            0,
            1_577_934_245_000_000,
            1_577_934_245_123_000,
            1_577_934_245_123_456,
            -1_500_000,
            253_402_300_799_999_999,
        ] {
            let chrono = DateTime::from_timestamp_micros(micros)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true);
            assert_eq!(format_time(micros), chrono, "{micros}");
        }
    }

    #[test]
    fn decimals_are_plain_numbers() {
        let mut out = String::new();
        for (value, want) in [(1599, "15.99"), (-5, "-0.05"), (0, "0.00"), (100, "1.00")] {
            out.clear();
            write_decimal(value, 12, 2, &mut out);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(format_time(1_577_934_245_000_000), "2020-01-02T03:04:05Z");
        assert_eq!(
            format_time(1_577_934_245_123_000),
            "2020-01-02T03:04:05.123Z"
        );
    }
}
