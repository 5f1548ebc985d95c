//! The tables a reclaim reads beside the license table, each kept as the little it needs: the
//! licensed users' last sign-in, the meetings each user hosted, the add-ons each user holds, and
//! the groups' names.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use chrono::NaiveDate;

use crate::Table;
use crate::columns::{column, fingerprint, text_of};
use crate::plan::Plan;
use crate::schema::fields_of;

/// A run's table that a reclaim reads when the run wrote it: which table, which of its columns,
/// and what it keeps of each batch.
pub trait Evidence: Default {
    /// The table.
    const TABLE: Table;
    /// The names of the columns read.
    const COLUMNS: &'static [&'static str];

    /// Adds a batch of [`Evidence::columns`].
    fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError>;

    /// The columns read, as the table's schema gives them.
    fn columns() -> SchemaRef {
        Arc::new(Schema::new(fields_of(&Self::TABLE.schema(), Self::COLUMNS)))
    }
}

/// Each licensed user's last sign-in, from a run's `zoom_user_activity`.
#[derive(Debug, Default)]
pub struct SignIns {
    pub(crate) last: HashMap<u128, Option<i64>>,
    pub(super) window_start: Option<i32>,
}

impl Evidence for SignIns {
    const TABLE: Table = Table::UserActivity;
    const COLUMNS: &'static [&'static str] =
        &["user_key", "plan", "last_sign_in_at", "window_start"];

    /// Only licensed users are kept.
    fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let plans = text_of(batch, "plan")?;
        let last = column(batch, "last_sign_in_at")?.as_primitive::<TimestampMicrosecondType>();
        let starts = column(batch, "window_start")?.as_primitive::<Date32Type>();
        for row in 0..batch.num_rows() {
            if starts.is_valid(row) {
                self.window_start = Some(starts.value(row));
            }
            if plans.value(row) == Plan::Licensed.as_str() {
                let at = last.is_valid(row).then(|| last.value(row));
                self.last.insert(fingerprint(keys.value(row)), at);
            }
        }
        Ok(())
    }
}

/// The meetings each user hosted in the hosts report's window, from a run's `zoom_host_usage`.
#[derive(Debug, Default)]
pub struct Hosting {
    pub(crate) meetings: HashMap<u128, i32>,
    /// The window's first and last day, as days since 1970-01-01.
    pub(super) window: Option<(i32, i32)>,
}

impl Evidence for Hosting {
    const TABLE: Table = Table::HostUsage;
    const COLUMNS: &'static [&'static str] =
        &["user_key", "plan", "meetings", "window_start", "window_end"];

    /// Only licensed users are kept.
    fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let plans = text_of(batch, "plan")?;
        let meetings = column(batch, "meetings")?.as_primitive::<Int32Type>();
        let starts = column(batch, "window_start")?.as_primitive::<Date32Type>();
        let ends = column(batch, "window_end")?.as_primitive::<Date32Type>();
        for row in 0..batch.num_rows() {
            self.window = Some((starts.value(row), ends.value(row)));
            if plans.value(row) == Plan::Licensed.as_str() {
                let key = fingerprint(keys.value(row));
                self.meetings.insert(key, meetings.value(row));
            }
        }
        Ok(())
    }
}

impl Hosting {
    /// The window's first and last day (none for a table without rows).
    pub fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        let (from, to) = self.window?;
        let day = Date32Type::to_naive_date_opt;
        Some((day(from)?, day(to)?))
    }

    /// The window's length in days, first and last included (none for a table without rows).
    pub fn days(&self) -> Option<u32> {
        let (from, to) = self.window?;
        u32::try_from(to - from + 1).ok()
    }
}

/// The add-ons each user holds, from a run's `zoom_user_addons`.
#[derive(Debug, Default)]
pub struct AddonsHeld {
    pub(super) by_user: HashMap<u128, Vec<String>>,
}

impl Evidence for AddonsHeld {
    const TABLE: Table = Table::UserAddons;
    const COLUMNS: &'static [&'static str] = &["user_key", "addon"];

    fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let addons = text_of(batch, "addon")?;
        for row in 0..batch.num_rows() {
            let held = self
                .by_user
                .entry(fingerprint(keys.value(row)))
                .or_default();
            held.push(addons.value(row).to_string());
        }
        Ok(())
    }
}

impl AddonsHeld {
    /// The add-ons the user with `key` holds, in the table's order.
    pub fn of(&self, key: &str) -> &[String] {
        self.by_user
            .get(&fingerprint(key))
            .map_or(&[], Vec::as_slice)
    }
}

/// Each group's name by its id, from a run's `zoom_groups`: what a keep list's group names match.
#[derive(Debug, Default)]
pub struct GroupNames {
    pub(super) by_id: HashMap<String, String>,
}

impl Evidence for GroupNames {
    const TABLE: Table = Table::Groups;
    const COLUMNS: &'static [&'static str] = &["group_id", "name"];

    fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let ids = text_of(batch, "group_id")?;
        let names = text_of(batch, "name")?;
        for row in 0..batch.num_rows() {
            if ids.is_valid(row) && names.is_valid(row) {
                let id = ids.value(row).to_string();
                self.by_id.insert(id, names.value(row).to_string());
            }
        }
        Ok(())
    }
}
