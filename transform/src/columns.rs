//! Columns of a table read back, by name, and the user-key fingerprint the derived tables index
//! users by (16 bytes per user, not the key).

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::ArrowError;

/// A user key's 128-bit fingerprint (XXH3-128).
pub(crate) fn fingerprint(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// The column `name` of `batch`.
pub(crate) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, ArrowError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("no column `{name}`")))
}

/// The text column `name` of `batch`.
pub(crate) fn text_of<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a StringArray, ArrowError> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| ArrowError::SchemaError(format!("column `{name}` is not text")))
}

/// The columns of `batch`, by name, taken at `rows` (in that order, repeats allowed).
pub(crate) fn take_rows(
    batch: &RecordBatch,
    rows: impl Iterator<Item = usize>,
) -> impl Fn(&str) -> Result<ArrayRef, ArrowError> {
    let indices = UInt32Array::from_iter_values(rows.map(|row| row as u32));
    move |name| arrow_select::take::take(column(batch, name)?.as_ref(), &indices, None)
}
