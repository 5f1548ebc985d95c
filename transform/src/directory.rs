//! The account's groups and roles by name (`zoom_groups`, `zoom_roles`), so that analysts can read
//! the license table's `group_ids` and `role_id`. Each record Zoom sends is a row, or a counted
//! repeat of an id already written.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use extractor::Page;
use extractor::zoom::groups::Group;
use extractor::zoom::roles::Role;
use serde::Serialize;

use crate::batch::{repeat_option, repeat_time};
use crate::context::RunContext;
use crate::schema::{text, timestamp_type};

/// `zoom_groups`: one row per group.
pub fn groups_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                text("account_id", true),
                text("group_id", true),
                text("name", true),
                Field::new("total_members", DataType::Int32, true),
                Field::new("extracted_at", timestamp_type(), false),
                text("run_id", false),
            ]))
        })
        .clone()
}

/// `zoom_roles`: one row per role.
pub fn roles_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                text("account_id", true),
                text("role_id", true),
                text("name", true),
                text("description", true),
                Field::new("total_members", DataType::Int32, true),
                Field::new("extracted_at", timestamp_type(), false),
                text("run_id", false),
            ]))
        })
        .clone()
}

/// Counts of one list (groups or roles), for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListStats {
    /// Records read, repeats included.
    pub seen: u64,
    /// Rows written.
    pub written: u64,
    /// Records whose id was already written (a sweep read again), dropped.
    pub duplicates: u64,
    /// Records that were not objects (written as rows without values).
    pub malformed: u64,
}

/// Reads groups or roles pages into rows, each id once.
#[derive(Debug, Default)]
pub struct ListReader {
    seen: HashSet<String>,
    /// The counts so far.
    pub stats: ListStats,
}

/// The part of a record a row is made of.
trait Listed: serde::de::DeserializeOwned + Default {
    fn id(&self) -> Option<&str>;
}

impl Listed for Group {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl Listed for Role {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl ListReader {
    /// The records of `page`, each id once (a record without an id always).
    fn read<T: Listed>(&mut self, page: &Page) -> Vec<T> {
        let mut kept = Vec::with_capacity(page.record_count());
        for raw in page.records() {
            self.stats.seen += 1;
            let record: T = serde_json::from_str(raw).unwrap_or_else(|_| {
                self.stats.malformed += 1;
                T::default()
            });
            if let Some(id) = record.id()
                && !self.seen.insert(id.to_string())
            {
                self.stats.duplicates += 1;
                continue;
            }
            self.stats.written += 1;
            kept.push(record);
        }
        kept
    }

    /// A page of `GET /groups` as rows of `zoom_groups`.
    pub fn groups(&mut self, page: &Page, run: &RunContext) -> Result<RecordBatch, ArrowError> {
        let groups: Vec<Group> = self.read(page);
        let n = groups.len();
        let (mut id, mut name, mut members) = (
            StringBuilder::new(),
            StringBuilder::new(),
            Int32Builder::new(),
        );
        for g in &groups {
            id.append_option(g.id.as_deref());
            name.append_option(g.name.as_deref());
            members.append_option(g.total_members.and_then(|m| i32::try_from(m).ok()));
        }
        let columns: Vec<ArrayRef> = vec![
            repeat_option(run.account_id.as_deref(), n),
            Arc::new(id.finish()),
            Arc::new(name.finish()),
            Arc::new(members.finish()),
            repeat_time(run.extracted_at_micros, n),
            repeat_option(Some(&run.run_id), n),
        ];
        RecordBatch::try_new(groups_schema(), columns)
    }

    /// The answer of `GET /roles` as rows of `zoom_roles`.
    pub fn roles(&mut self, page: &Page, run: &RunContext) -> Result<RecordBatch, ArrowError> {
        let roles: Vec<Role> = self.read(page);
        let n = roles.len();
        let (mut id, mut name, mut description, mut members) = (
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            Int32Builder::new(),
        );
        for r in &roles {
            id.append_option(r.id.as_deref());
            name.append_option(r.name.as_deref());
            description.append_option(r.description.as_deref());
            members.append_option(r.total_members.and_then(|m| i32::try_from(m).ok()));
        }
        let columns: Vec<ArrayRef> = vec![
            repeat_option(run.account_id.as_deref(), n),
            Arc::new(id.finish()),
            Arc::new(name.finish()),
            Arc::new(description.finish()),
            Arc::new(members.finish()),
            repeat_time(run.extracted_at_micros, n),
            repeat_option(Some(&run.run_id), n),
        ];
        RecordBatch::try_new(roles_schema(), columns)
    }
}
