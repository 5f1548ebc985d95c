//! License schema v2 and the rejects schema: one Arrow schema each, shared by every sink.
//!
//! Version 2 appends `group_ids`, `employee_unique_id`, `verified`, `language` and
//! `custom_attributes` to version 1's columns, which keep their names, types and places.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Version of the license and rejects schemas; bumped on any change to names, order or types.
pub const SCHEMA_VERSION: u32 = 2;

/// The timestamp type of every time column: microseconds, zone `UTC`.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The schema of `fields`, built on the first call into `cell` and shared after.
pub(crate) fn shared(
    cell: &'static OnceLock<SchemaRef>,
    fields: impl FnOnce() -> Vec<Field>,
) -> SchemaRef {
    cell.get_or_init(|| Arc::new(Schema::new(fields()))).clone()
}

/// A text column.
pub(crate) fn text(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// The type of `group_ids`: a list of strings (Arrow's default item field, as its builder makes).
pub fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The fields `names` of `schema`, in that order: the columns a command reading a table back asks
/// for. A name not in `schema` is a bug of this crate, caught by its tests.
pub(crate) fn fields_of(schema: &Schema, names: &[&str]) -> Vec<Field> {
    let fields: Vec<Field> = names
        .iter()
        .filter_map(|name| schema.field_with_name(name).ok().cloned())
        .collect();
    debug_assert_eq!(
        fields.len(),
        names.len(),
        "a column named is not in the schema"
    );
    fields
}

/// The license table: one row per registered user with a supported plan.
pub fn license_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("source", false),
            text("account_id", true),
            text("user_key", false),
            text("user_id", true),
            text("email", false),
            text("display_name", true),
            text("first_name", true),
            text("last_name", true),
            text("status", false),
            text("plan", false),
            Field::new("plan_type_code", DataType::Int32, false),
            text("plan_united_type", true),
            text("licenses", true),
            text("department", true),
            text("role_id", true),
            text("timezone", true),
            Field::new("user_created_at", timestamp_type(), true),
            Field::new("last_login_at", timestamp_type(), true),
            text("last_client_version", true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
            Field::new("group_ids", text_list_type(), true),
            text("employee_unique_id", true),
            Field::new("verified", DataType::Boolean, true),
            text("language", true),
            text("custom_attributes", true),
        ]
    })
}

/// The rejects table: every record left out of the license table, with its reason.
pub fn rejects_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("run_id", false),
            text("user_key", true),
            text("user_id", true),
            text("email", true),
            text("status", true),
            Field::new("plan_type_code", DataType::Int32, true),
            text("reason", false),
            text("detail", false),
            text("raw", false),
        ]
    })
}

/// Columns whose values repeat across users, so dictionary encoding pays off in Parquet (and the
/// constant ones shrink to a run-length, sparing the compressor megabytes of repeats).
pub const DICTIONARY_COLUMNS: &[&str] = &[
    "source",
    "account_id",
    "status",
    "plan",
    "plan_type_code",
    "plan_united_type",
    "department",
    "role_id",
    "timezone",
    "last_client_version",
    "extracted_at",
    "run_id",
    "reason",
    "language",
];

/// Text columns whose values are written exactly as received in every format, even in CSV where a
/// value starting with `=`, `+`, `-` or `@` would be a formula: identifiers (Zoom ids can begin
/// with `-`), emails and JSON. Every other text column (names and department, which people type,
/// and codes such as `status` or `timezone`, whose real values never start like a formula) has
/// such a cell neutralized in CSV, so that a hostile value cannot run in a spreadsheet.
pub const VERBATIM_COLUMNS: &[&str] = &[
    "account_id",
    "user_key",
    "user_id",
    "email",
    "licenses",
    "run_id",
    "group_ids",
    "employee_unique_id",
    "custom_attributes",
    "raw",
];

/// Columns whose Parquet min/max statistics name no range a query could skip row groups by: free
/// text and JSON, and the identifiers and emails, which come in no order (every row group of the
/// 1M benchmark spans `-…` to `z…` in `user_id`). Their statistics would also copy people's names
/// and email addresses into the file footer and page index; computing them cost about 3% of a
/// replay's CPU for the text columns and another 1.4% of its instructions for the identifiers.
pub const NO_STATISTICS_COLUMNS: &[&str] = &[
    "user_key",
    "user_id",
    "email",
    "display_name",
    "first_name",
    "last_name",
    "licenses",
    "raw",
    "group_ids",
    "employee_unique_id",
    "custom_attributes",
];
