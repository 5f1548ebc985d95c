//! `zoom_user_changes`: what changed in an account's license table between two runs. Derived from
//! the runs' outputs, with no Zoom call.
//!
//! Kinds of change, one row each:
//! - `joined`: a user key in the later run only;
//! - `left`: a user key in the earlier run only; `detail` says how: `deactivated` (or another
//!   reject reason) when the later run lists the user among its rejects, `deleted` when the later
//!   run listed inactive users too and this one is not among them, else `not_listed` (deactivated
//!   or deleted: the later run did not list inactive users);
//! - `activated`: an invitation accepted. A pending user's key is `pending:` and the lower-cased
//!   email, and becomes Zoom's user id on activation, so an active user new to the later run is
//!   matched to the pending key its email makes;
//! - `plan_changed` and `department_changed`: the values before and after.
//!
//! Three passes, each streaming: the earlier run into an index (16 bytes of key fingerprint and a
//! few interned ids per user), the later run against it, then the earlier run again for the users
//! it no longer finds. Memory grows with the index (and the later run's rejected keys) only.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, Field, SchemaRef};
use serde::Serialize;

use crate::batch::{repeat_text, repeat_time};
use crate::columns::{fingerprint, text_of};
use crate::schema::{columns_of, license_schema, rejects_schema, shared, text, timestamp_type};

/// A kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// In the later run only.
    Joined,
    /// In the earlier run only.
    Left,
    /// Pending in the earlier run, active in the later one.
    Activated,
    /// Another plan.
    PlanChanged,
    /// Another department.
    DepartmentChanged,
}

impl ChangeKind {
    /// Every kind, in the order the summary lists them.
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Joined,
        ChangeKind::Left,
        ChangeKind::Activated,
        ChangeKind::PlanChanged,
        ChangeKind::DepartmentChanged,
    ];

    /// Its name in the `change` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Joined => "joined",
            ChangeKind::Left => "left",
            ChangeKind::Activated => "activated",
            ChangeKind::PlanChanged => "plan_changed",
            ChangeKind::DepartmentChanged => "department_changed",
        }
    }
}

/// One run compared: its id and `extracted_at` (microseconds since the epoch).
#[derive(Debug, Clone)]
pub struct RunStamp {
    /// The run's id.
    pub run_id: String,
    /// The run's `extracted_at`.
    pub extracted_at: i64,
}

/// The license table's columns a comparison reads.
pub fn change_columns() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            columns_of(
                &license_schema(),
                &[
                    "account_id",
                    "user_key",
                    "user_id",
                    "email",
                    "display_name",
                    "status",
                    "plan",
                    "department",
                ],
            )
        })
        .clone()
}

/// The rejects table's columns a comparison reads (how a user left).
pub fn reject_columns() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| columns_of(&rejects_schema(), &["user_key", "reason"]))
        .clone()
}

/// `zoom_user_changes`: one row per change.
pub fn changes_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("change", false),
            text("user_key", false),
            text("previous_user_key", true),
            text("user_id", true),
            text("email", false),
            text("display_name", true),
            text("department", true),
            text("from_value", true),
            text("to_value", true),
            text("detail", true),
            text("from_run_id", false),
            text("to_run_id", false),
            Field::new("from_extracted_at", timestamp_type(), false),
            Field::new("to_extracted_at", timestamp_type(), false),
        ]
    })
}

/// What a comparison found, for the summary and the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeStats {
    /// Rows of the earlier license table.
    pub from_users: u64,
    /// Rows of the later license table.
    pub to_users: u64,
    /// Changes per kind (every kind listed, zeros included).
    pub by_kind: BTreeMap<ChangeKind, u64>,
    /// `left` rows per `detail`.
    pub left_as: BTreeMap<String, u64>,
}

/// A user of the earlier run, as the index keeps it.
#[derive(Debug, Clone, Copy)]
struct Earlier {
    plan: u32,
    department: Option<u32>,
    pending: bool,
    /// Found in the later run (by key, or by email when activated).
    matched: bool,
}

/// Texts that repeat across users (plans, departments, reject reasons), kept once.
#[derive(Debug, Default)]
struct Words {
    ids: HashMap<String, u32>,
    words: Vec<String>,
}

impl Words {
    fn id(&mut self, word: &str) -> u32 {
        if let Some(id) = self.ids.get(word) {
            return *id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.to_string());
        self.ids.insert(word.to_string(), id);
        id
    }

    fn word(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("", String::as_str)
    }
}

/// Compares two runs of one account. Call [`Comparison::add_earlier`] for every batch of the
/// earlier run, [`Comparison::add_later_rejects`] for the later run's rejects, then
/// [`Comparison::compare_later`] for every batch of the later run, and last
/// [`Comparison::left_in`] for every batch of the earlier run again.
#[derive(Debug)]
pub struct Comparison {
    from: RunStamp,
    to: RunStamp,
    later: LaterListing,
    users: HashMap<u128, Earlier>,
    rejected: HashMap<u128, u32>,
    words: Words,
    stats: ChangeStats,
}

/// What the later run tells about a user it does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaterListing {
    /// It listed inactive users, and its rejects are read: a user in neither was deleted.
    EveryStatus,
    /// Its rejects are read, but it did not list inactive users.
    WithoutInactive,
    /// Its rejects cannot be read (written to stdout): how a user left is not known.
    RejectsUnknown,
}

impl Comparison {
    /// A comparison of `from` with `to`, whose listing says how a user missing from it left.
    pub fn new(from: RunStamp, to: RunStamp, later: LaterListing) -> Self {
        Comparison {
            from,
            to,
            later,
            users: HashMap::new(),
            rejected: HashMap::new(),
            words: Words::default(),
            stats: ChangeStats {
                by_kind: ChangeKind::ALL.iter().map(|k| (*k, 0)).collect(),
                ..ChangeStats::default()
            },
        }
    }

    /// Indexes a batch of the earlier run's [`change_columns`].
    pub fn add_earlier(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let view = View::of(batch)?;
        self.stats.from_users += batch.num_rows() as u64;
        for row in 0..batch.num_rows() {
            let key = view.key.value(row);
            let entry = Earlier {
                plan: self.words.id(view.plan.value(row)),
                department: view.department(row).map(|d| self.words.id(d)),
                pending: view.status.value(row) == "pending",
                matched: false,
            };
            self.users.insert(fingerprint(key), entry);
        }
        Ok(())
    }

    /// Notes a batch of the later run's [`reject_columns`]: the reason a user is left out.
    pub fn add_later_rejects(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let reasons = text_of(batch, "reason")?;
        for row in 0..batch.num_rows() {
            if keys.is_valid(row) {
                let reason = self.words.id(reasons.value(row));
                self.rejected.insert(fingerprint(keys.value(row)), reason);
            }
        }
        Ok(())
    }

    /// The changes a batch of the later run's [`change_columns`] shows: joined, activated, plan
    /// and department changes.
    pub fn compare_later(
        &mut self,
        batch: &RecordBatch,
    ) -> Result<Option<RecordBatch>, ArrowError> {
        let view = View::of(batch)?;
        self.stats.to_users += batch.num_rows() as u64;
        let mut out = ChangeRows::default();
        for row in 0..batch.num_rows() {
            let key = view.key.value(row);
            let active = view.status.value(row) == "active";
            let own = fingerprint(key);
            let (found, previous_key) = match self.users.get(&own) {
                Some(entry) => (Some(own), entry.pending.then(|| key.to_string())),
                // An active user new to this run may be an invitation accepted: the pending key
                // its email makes, not yet matched.
                None if active => {
                    let invited = format!("pending:{}", view.email.value(row).to_lowercase());
                    let fp = fingerprint(&invited);
                    match self.users.get(&fp) {
                        Some(e) if e.pending && !e.matched => (Some(fp), Some(invited)),
                        _ => (None, None),
                    }
                }
                None => (None, None),
            };
            let Some(entry) = found.and_then(|fp| self.users.get_mut(&fp)) else {
                out.push(
                    &view,
                    row,
                    ChangeKind::Joined,
                    None,
                    Some(view.plan.value(row)),
                );
                continue;
            };
            entry.matched = true;
            let entry = *entry;
            if let (Some(previous), true) = (previous_key, active) {
                out.push(
                    &view,
                    row,
                    ChangeKind::Activated,
                    Some("pending"),
                    Some("active"),
                );
                if previous != key {
                    out.previous(&previous);
                }
            }
            let plan = view.plan.value(row);
            if self.words.word(entry.plan) != plan {
                let before = self.words.word(entry.plan).to_string();
                out.push(
                    &view,
                    row,
                    ChangeKind::PlanChanged,
                    Some(&before),
                    Some(plan),
                );
            }
            let department = view.department(row);
            let before = entry.department.map(|d| self.words.word(d));
            if before != department {
                let before = before.map(str::to_string);
                let kind = ChangeKind::DepartmentChanged;
                out.push(&view, row, kind, before.as_deref(), department);
            }
        }
        self.finish(out)
    }

    /// The users of a batch of the earlier run's [`change_columns`] the later run did not have.
    pub fn left_in(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>, ArrowError> {
        let view = View::of(batch)?;
        let mut out = ChangeRows::default();
        for row in 0..batch.num_rows() {
            let fp = fingerprint(view.key.value(row));
            if self.users.get(&fp).is_none_or(|e| e.matched) {
                continue;
            }
            let how = match (self.rejected.get(&fp), self.later) {
                (_, LaterListing::RejectsUnknown) => "not_listed",
                (Some(reason), _) => self.words.word(*reason),
                (None, LaterListing::EveryStatus) => "deleted",
                (None, LaterListing::WithoutInactive) => "not_listed",
            };
            *self.stats.left_as.entry(how.to_string()).or_default() += 1;
            out.push(
                &view,
                row,
                ChangeKind::Left,
                Some(view.plan.value(row)),
                None,
            );
            out.detail(how);
        }
        self.finish(out)
    }

    /// What the comparison found so far.
    pub fn stats(&self) -> &ChangeStats {
        &self.stats
    }

    fn finish(&mut self, out: ChangeRows) -> Result<Option<RecordBatch>, ArrowError> {
        for kind in &out.kinds {
            *self.stats.by_kind.entry(*kind).or_default() += 1;
        }
        if out.kinds.is_empty() {
            return Ok(None);
        }
        out.build(&self.from, &self.to).map(Some)
    }
}

/// The text columns of a batch of [`change_columns`].
struct View<'a> {
    account: &'a arrow_array::StringArray,
    key: &'a arrow_array::StringArray,
    user_id: &'a arrow_array::StringArray,
    email: &'a arrow_array::StringArray,
    name: &'a arrow_array::StringArray,
    status: &'a arrow_array::StringArray,
    plan: &'a arrow_array::StringArray,
    departments: &'a arrow_array::StringArray,
}

impl<'a> View<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, ArrowError> {
        Ok(View {
            account: text_of(batch, "account_id")?,
            key: text_of(batch, "user_key")?,
            user_id: text_of(batch, "user_id")?,
            email: text_of(batch, "email")?,
            name: text_of(batch, "display_name")?,
            status: text_of(batch, "status")?,
            plan: text_of(batch, "plan")?,
            departments: text_of(batch, "department")?,
        })
    }

    fn department(&self, row: usize) -> Option<&'a str> {
        self.departments
            .is_valid(row)
            .then(|| self.departments.value(row))
    }
}

/// Change rows being built.
#[derive(Default)]
struct ChangeRows {
    kinds: Vec<ChangeKind>,
    account: StringBuilder,
    change: StringBuilder,
    key: StringBuilder,
    previous: Vec<Option<String>>,
    user_id: StringBuilder,
    email: StringBuilder,
    name: StringBuilder,
    department: StringBuilder,
    from_value: StringBuilder,
    to_value: StringBuilder,
    detail: Vec<Option<String>>,
}

impl ChangeRows {
    /// A change of the user at `row` of `view`.
    fn push(
        &mut self,
        view: &View<'_>,
        row: usize,
        kind: ChangeKind,
        from: Option<&str>,
        to: Option<&str>,
    ) {
        fn text(a: &arrow_array::StringArray, row: usize) -> Option<&str> {
            a.is_valid(row).then(|| a.value(row))
        }
        self.kinds.push(kind);
        self.account.append_option(text(view.account, row));
        self.change.append_value(kind.as_str());
        self.key.append_value(view.key.value(row));
        self.previous.push(None);
        self.user_id.append_option(text(view.user_id, row));
        self.email.append_value(view.email.value(row));
        self.name.append_option(text(view.name, row));
        self.department.append_option(view.department(row));
        self.from_value.append_option(from);
        self.to_value.append_option(to);
        self.detail.push(None);
    }

    /// The previous key of the last change pushed.
    fn previous(&mut self, key: &str) {
        if let Some(last) = self.previous.last_mut() {
            *last = Some(key.to_string());
        }
    }

    /// The detail of the last change pushed: how a user left.
    fn detail(&mut self, detail: &str) {
        if let Some(last) = self.detail.last_mut() {
            *last = Some(detail.to_string());
        }
    }

    fn build(mut self, from: &RunStamp, to: &RunStamp) -> Result<RecordBatch, ArrowError> {
        let n = self.kinds.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.account.finish()),
            Arc::new(self.change.finish()),
            Arc::new(self.key.finish()),
            Arc::new(arrow_array::StringArray::from(self.previous)),
            Arc::new(self.user_id.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.department.finish()),
            Arc::new(self.from_value.finish()),
            Arc::new(self.to_value.finish()),
            Arc::new(arrow_array::StringArray::from(self.detail)),
            repeat_text(&from.run_id, n),
            repeat_text(&to.run_id, n),
            repeat_time(from.extracted_at, n),
            repeat_time(to.extracted_at, n),
        ];
        RecordBatch::try_new(changes_schema(), columns)
    }
}
