//! The account's groups and roles by name (`zoom_groups`, `zoom_roles`), so that analysts can read
//! the license table's `group_ids` and `role_id`. Each record Zoom sends is a row, or a counted
//! repeat of an id already written.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use extractor::Page;
use extractor::zoom::named::Named;
use extractor::zoom::text::object;
use serde::Serialize;

use crate::batch::{repeat_option, repeat_time};
use crate::context::RunContext;
use crate::schema::{shared, text, timestamp_type};

/// `zoom_groups`: one row per group.
pub fn groups_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("group_id", true),
            text("name", true),
            Field::new("total_members", DataType::Int32, true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// `zoom_roles`: one row per role.
pub fn roles_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("role_id", true),
            text("name", true),
            text("description", true),
            Field::new("total_members", DataType::Int32, true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// Counts of one list (groups or roles), for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
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

impl ListReader {
    /// A page of `GET /groups` as rows of `zoom_groups`.
    pub fn groups(&mut self, page: &Page, run: &RunContext) -> Result<RecordBatch, ArrowError> {
        self.rows(page, run, groups_schema(), false)
    }

    /// The answer of `GET /roles` as rows of `zoom_roles`.
    pub fn roles(&mut self, page: &Page, run: &RunContext) -> Result<RecordBatch, ArrowError> {
        self.rows(page, run, roles_schema(), true)
    }

    /// The records of `page`, each id once (a record without an id always), as rows of `schema`,
    /// which has a `description` column when `described`.
    fn rows(
        &mut self,
        page: &Page,
        run: &RunContext,
        schema: SchemaRef,
        described: bool,
    ) -> Result<RecordBatch, ArrowError> {
        let mut kept = Vec::new();
        for raw in page.records() {
            self.stats.seen += 1;
            let record: Named = object(raw).unwrap_or_else(|| {
                self.stats.malformed += 1;
                Named::default()
            });
            if let Some(key) = &record.id
                && !self.seen.insert(key.clone())
            {
                self.stats.duplicates += 1;
                continue;
            }
            self.stats.written += 1;
            kept.push(record);
        }
        let n = kept.len();
        let text = |value: fn(&Named) -> &Option<String>| -> ArrayRef {
            Arc::new(
                kept.iter()
                    .map(|r| value(r).as_deref())
                    .collect::<StringArray>(),
            )
        };
        let members = kept
            .iter()
            .map(|r| r.total_members.and_then(|m| i32::try_from(m).ok()));
        let mut columns = vec![
            repeat_option(run.account_id.as_deref(), n),
            text(|r| &r.id),
            text(|r| &r.name),
        ];
        if described {
            columns.push(text(|r| &r.description));
        }
        columns.extend([
            Arc::new(Int32Array::from_iter(members)) as ArrayRef,
            repeat_time(run.extracted_at_micros, n),
            repeat_option(Some(&run.run_id), n),
        ]);
        RecordBatch::try_new(schema, columns)
    }
}
