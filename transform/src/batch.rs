//! Builds Arrow record batches straight from rows, column by column, with no intermediate copies.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::ArrowError;

use crate::context::RunContext;
use crate::row::{LicenseRow, Rejection};
use crate::schema::{license_schema, rejects_schema};

fn timestamps(capacity: usize) -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC")
}

fn text(capacity: usize) -> StringBuilder {
    StringBuilder::with_capacity(capacity, capacity * 16)
}

/// Accumulates license rows into one batch of the license schema.
pub struct LicenseBatchBuilder {
    len: usize,
    user_key: StringBuilder,
    user_id: StringBuilder,
    email: StringBuilder,
    display_name: StringBuilder,
    first_name: StringBuilder,
    last_name: StringBuilder,
    status: StringBuilder,
    plan: StringBuilder,
    plan_type_code: Int32Builder,
    plan_united_type: StringBuilder,
    licenses: StringBuilder,
    department: StringBuilder,
    role_id: StringBuilder,
    timezone: StringBuilder,
    user_created_at: TimestampMicrosecondBuilder,
    last_login_at: TimestampMicrosecondBuilder,
    last_client_version: StringBuilder,
    group_ids: ListBuilder<StringBuilder>,
    employee_unique_id: StringBuilder,
    verified: BooleanBuilder,
    language: StringBuilder,
    custom_attributes: StringBuilder,
}

impl LicenseBatchBuilder {
    /// A builder sized for about `capacity` rows.
    pub fn with_capacity(capacity: usize) -> Self {
        LicenseBatchBuilder {
            len: 0,
            user_key: text(capacity),
            user_id: text(capacity),
            email: text(capacity),
            display_name: text(capacity),
            first_name: text(capacity),
            last_name: text(capacity),
            status: text(capacity),
            plan: text(capacity),
            plan_type_code: Int32Builder::with_capacity(capacity),
            plan_united_type: text(capacity),
            licenses: text(capacity),
            department: text(capacity),
            role_id: text(capacity),
            timezone: text(capacity),
            user_created_at: timestamps(capacity),
            last_login_at: timestamps(capacity),
            last_client_version: text(capacity),
            group_ids: ListBuilder::with_capacity(text(capacity), capacity),
            employee_unique_id: text(capacity),
            verified: BooleanBuilder::with_capacity(capacity),
            language: text(capacity),
            custom_attributes: text(capacity),
        }
    }

    /// Appends one row.
    pub fn append(&mut self, row: &LicenseRow<'_>) {
        self.len += 1;
        self.user_key.append_value(&row.user_key);
        self.user_id.append_option(row.user_id.as_deref());
        self.email.append_value(&row.email);
        self.display_name.append_option(row.display_name.as_deref());
        self.first_name.append_option(row.first_name.as_deref());
        self.last_name.append_option(row.last_name.as_deref());
        self.status.append_value(&row.status);
        self.plan.append_value(row.plan);
        self.plan_type_code.append_value(row.plan_type_code);
        self.plan_united_type
            .append_option(row.plan_united_type.as_deref());
        self.licenses.append_option(row.licenses);
        self.department.append_option(row.department.as_deref());
        self.role_id.append_option(row.role_id.as_deref());
        self.timezone.append_option(row.timezone.as_deref());
        self.user_created_at.append_option(row.user_created_at);
        self.last_login_at.append_option(row.last_login_at);
        self.last_client_version
            .append_option(row.last_client_version.as_deref());
        let group_ids = row.group_ids.as_ref().map(|ids| ids.iter().map(Some));
        self.group_ids.append_option(group_ids);
        self.employee_unique_id
            .append_option(row.employee_unique_id.as_deref());
        self.verified.append_option(row.verified);
        self.language.append_option(row.language.as_deref());
        self.custom_attributes.append_option(row.custom_attributes);
    }

    /// Takes the rows appended so far as a batch, stamped with the run's constants.
    pub fn finish(&mut self, ctx: &RunContext) -> Result<RecordBatch, ArrowError> {
        let n = std::mem::take(&mut self.len);
        let columns: Vec<ArrayRef> = vec![
            repeat_text("zoom", n),
            repeat_option(ctx.account_id.as_deref(), n),
            Arc::new(self.user_key.finish()),
            Arc::new(self.user_id.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.display_name.finish()),
            Arc::new(self.first_name.finish()),
            Arc::new(self.last_name.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.plan.finish()),
            Arc::new(self.plan_type_code.finish()),
            Arc::new(self.plan_united_type.finish()),
            Arc::new(self.licenses.finish()),
            Arc::new(self.department.finish()),
            Arc::new(self.role_id.finish()),
            Arc::new(self.timezone.finish()),
            Arc::new(self.user_created_at.finish()),
            Arc::new(self.last_login_at.finish()),
            Arc::new(self.last_client_version.finish()),
            repeat_time(ctx.extracted_at_micros, n),
            repeat_text(&ctx.run_id, n),
            Arc::new(self.group_ids.finish()),
            Arc::new(self.employee_unique_id.finish()),
            Arc::new(self.verified.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.custom_attributes.finish()),
        ];
        RecordBatch::try_new(license_schema(), columns)
    }
}

/// The rejections of a page as one batch of the rejects schema. `raw` is sized exactly, since a
/// page of rejected records can carry a megabyte of raw text and a builder left to grow by
/// doubling would hold up to twice that.
pub fn rejects_batch<'a>(
    rejections: &[Box<Rejection<'a>>],
    ctx: &RunContext,
) -> Result<RecordBatch, ArrowError> {
    let n = rejections.len();
    let text = |value: for<'r> fn(&'r Rejection<'a>) -> Option<&'r str>| -> ArrayRef {
        Arc::new(rejections.iter().map(|r| value(r)).collect::<StringArray>())
    };
    let mut raw = StringBuilder::with_capacity(n, rejections.iter().map(|r| r.raw.len()).sum());
    rejections.iter().for_each(|r| raw.append_value(r.raw));
    let columns: Vec<ArrayRef> = vec![
        repeat_text(&ctx.run_id, n),
        text(|r| r.user_key.as_deref()),
        text(|r| r.user_id.as_deref()),
        text(|r| r.email.as_deref()),
        text(|r| r.status.as_deref()),
        Arc::new(Int32Array::from_iter(
            rejections.iter().map(|r| r.plan_type_code),
        )),
        text(|r| Some(r.reason.as_str())),
        text(|r| Some(r.detail.as_str())),
        Arc::new(raw.finish()),
    ];
    RecordBatch::try_new(rejects_schema(), columns)
}

pub(crate) fn repeat_text(value: &str, n: usize) -> ArrayRef {
    repeat_option(Some(value), n)
}

pub(crate) fn repeat_option(value: Option<&str>, n: usize) -> ArrayRef {
    let mut builder = StringBuilder::with_capacity(n, value.map_or(0, str::len) * n);
    for _ in 0..n {
        builder.append_option(value);
    }
    Arc::new(builder.finish())
}

pub(crate) fn repeat_time(micros: i64, n: usize) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(vec![micros; n]).with_timezone("UTC"))
}
