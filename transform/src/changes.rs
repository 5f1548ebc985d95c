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

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{ArrowError, Field, SchemaRef};
use serde::Serialize;

use crate::batch::{repeat_text, repeat_time};
use crate::columns::{fingerprint, take_rows, text_of};
use crate::schema::{fields_of, license_schema, rejects_schema, shared, text, timestamp_type};

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
    shared(&SCHEMA, || {
        fields_of(
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
}

/// The rejects table's columns a comparison reads (how a user left).
pub fn reject_columns() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        fields_of(&rejects_schema(), &["user_key", "reason"])
    })
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
        let mut out = Vec::new();
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
            let plan = view.plan.value(row);
            let change = Change::of(row);
            let Some(entry) = found.and_then(|fp| self.users.get_mut(&fp)) else {
                out.push(change(ChangeKind::Joined, None, Some(self.words.id(plan))));
                continue;
            };
            entry.matched = true;
            let entry = *entry;
            if let (Some(previous), true) = (previous_key, active) {
                let (pending, active) = (self.words.id("pending"), self.words.id("active"));
                out.push(Change {
                    previous: (previous != key).then_some(previous),
                    ..change(ChangeKind::Activated, Some(pending), Some(active))
                });
            }
            // Texts compared as they are; only a change's are interned.
            if self.words.word(entry.plan) != plan {
                let to = Some(self.words.id(plan));
                out.push(change(ChangeKind::PlanChanged, Some(entry.plan), to));
            }
            let department = view.department(row);
            if entry.department.map(|d| self.words.word(d)) != department {
                let to = department.map(|d| self.words.id(d));
                out.push(change(ChangeKind::DepartmentChanged, entry.department, to));
            }
        }
        self.finish(batch, out)
    }

    /// The users of a batch of the earlier run's [`change_columns`] the later run did not have.
    pub fn left_in(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>, ArrowError> {
        let view = View::of(batch)?;
        let mut out = Vec::new();
        for row in 0..batch.num_rows() {
            let fp = fingerprint(view.key.value(row));
            if self.users.get(&fp).is_none_or(|e| e.matched) {
                continue;
            }
            let how = match (self.rejected.get(&fp), self.later) {
                (_, LaterListing::RejectsUnknown) => self.words.id("not_listed"),
                (Some(reason), _) => *reason,
                (None, LaterListing::EveryStatus) => self.words.id("deleted"),
                (None, LaterListing::WithoutInactive) => self.words.id("not_listed"),
            };
            let detail = self.words.word(how).to_string();
            *self.stats.left_as.entry(detail).or_default() += 1;
            let plan = self.words.id(view.plan.value(row));
            out.push(Change {
                detail: Some(how),
                ..Change::of(row)(ChangeKind::Left, Some(plan), None)
            });
        }
        self.finish(batch, out)
    }

    /// What the comparison found so far.
    pub fn stats(&self) -> &ChangeStats {
        &self.stats
    }

    /// The rows of `changes`, found in `batch`: the user's columns taken from its row there.
    fn finish(
        &mut self,
        batch: &RecordBatch,
        changes: Vec<Change>,
    ) -> Result<Option<RecordBatch>, ArrowError> {
        for change in &changes {
            *self.stats.by_kind.entry(change.kind).or_default() += 1;
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let take = take_rows(batch, changes.iter().map(|c| c.row));
        let words = |id: fn(&Change) -> Option<u32>| -> ArrayRef {
            let texts = changes.iter().map(|c| id(c).map(|w| self.words.word(w)));
            Arc::new(texts.collect::<StringArray>())
        };
        let (from, to, n) = (&self.from, &self.to, changes.len());
        let columns: Vec<ArrayRef> = vec![
            take("account_id")?,
            Arc::new(StringArray::from_iter_values(
                changes.iter().map(|c| c.kind.as_str()),
            )),
            take("user_key")?,
            Arc::new(
                changes
                    .iter()
                    .map(|c| c.previous.as_deref())
                    .collect::<StringArray>(),
            ),
            take("user_id")?,
            take("email")?,
            take("display_name")?,
            take("department")?,
            words(|c| c.from),
            words(|c| c.to),
            words(|c| c.detail),
            repeat_text(&from.run_id, n),
            repeat_text(&to.run_id, n),
            repeat_time(from.extracted_at, n),
            repeat_time(to.extracted_at, n),
        ];
        RecordBatch::try_new(changes_schema(), columns).map(Some)
    }
}

/// The text columns of a batch of [`change_columns`] the comparison reads.
struct View<'a> {
    key: &'a StringArray,
    email: &'a StringArray,
    status: &'a StringArray,
    plan: &'a StringArray,
    departments: &'a StringArray,
}

impl<'a> View<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, ArrowError> {
        Ok(View {
            key: text_of(batch, "user_key")?,
            email: text_of(batch, "email")?,
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

/// A change of the user at `row` of the batch compared; texts are [`Words`] ids.
struct Change {
    row: usize,
    kind: ChangeKind,
    from: Option<u32>,
    to: Option<u32>,
    previous: Option<String>,
    detail: Option<u32>,
}

impl Change {
    /// The changes of the user at `row`, without previous key or detail.
    fn of(row: usize) -> impl Fn(ChangeKind, Option<u32>, Option<u32>) -> Change {
        move |kind, from, to| Change {
            row,
            kind,
            from,
            to,
            previous: None,
            detail: None,
        }
    }
}
