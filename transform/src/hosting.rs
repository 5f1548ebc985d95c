//! Zoom's active-hosts report into `zoom_host_usage`: one row per user of the license table with
//! the meetings, participants and minutes they hosted in the window (zero when the report does not
//! list them), so "licensed and hosting nothing" is one query.
//!
//! Users arrive before the report (the source reads it after the users). A host is matched to a
//! license row by id, then by lower-cased email; a host the license table does not hold (a user
//! deleted since, or one the rules rejected) is counted, not dropped silently. A host listed twice
//! for one range (a range read again after its page token expired) is counted once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use extractor::Page;
use extractor::zoom::host_report::HostUsage;
use extractor::zoom::text::object;

use crate::batch::repeat_option;
use crate::context::{RunContext, Window};
use crate::per_user::{email_key, index_email, window_and_run};
use crate::row::LicenseRow;
use crate::schema::{shared, text, timestamp_type};

/// Rows per batch of the table, written at the end of the run.
const BATCH_ROWS: usize = 65_536;

/// `zoom_host_usage`: one row per row of the license table.
pub fn host_usage_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("user_key", false),
            text("email", false),
            text("status", false),
            text("plan", false),
            Field::new("meetings", DataType::Int32, false),
            Field::new("participants", DataType::Int32, false),
            Field::new("meeting_minutes", DataType::Int32, false),
            Field::new("ranges_hosting", DataType::Int32, false),
            Field::new("ranges_read", DataType::Int32, false),
            Field::new("window_start", DataType::Date32, false),
            Field::new("window_end", DataType::Date32, false),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// Counts of the active-hosts report, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostingStats {
    /// Ranges of the window the report was read for.
    pub ranges_read: u64,
    /// Host records read, repeats included.
    pub hosts_seen: u64,
    /// Hosts listed again for a range they were already listed for (counted once).
    pub duplicates: u64,
    /// Hosts matched to a license row by id.
    pub matched_by_id: u64,
    /// Hosts matched to a license row by email (no id, or an id the table does not hold).
    pub matched_by_email: u64,
    /// Hosts the license table does not hold: counted here, in no row.
    pub unmatched: u64,
    /// Records that were not host objects, or had neither id nor email (counted, in no row).
    pub malformed: u64,
    /// Users of the license table who hosted in at least one range.
    pub users_hosting: u64,
}

impl HostingStats {
    /// Host records decided: folded into a row, counted as unmatched, a repeat or malformed.
    pub fn decided(&self) -> u64 {
        self.matched_by_id
            + self.matched_by_email
            + self.unmatched
            + self.duplicates
            + self.malformed
    }
}

/// A user of the license table and what they hosted so far.
struct Hosted {
    user_key: String,
    email: String,
    status: String,
    plan: &'static str,
    /// Meetings, participants and minutes (saturating: far beyond any one user's 180 days).
    counts: [i32; 3],
    ranges: i32,
}

/// Follows the users of the license table and the report's hosts that name them.
pub struct HostTracker {
    window: Window,
    users: Vec<Hosted>,
    by_id: HashMap<String, usize>,
    /// [`email_key`] → index in `users`; an active user wins over a pending one.
    by_email: HashMap<u128, usize>,
    /// (range's index in `ranges`, host) pairs counted, so a host listed twice for a range
    /// counts once.
    seen: HashSet<(usize, String)>,
    /// The ranges read (`from..to`), in the order their first page came.
    ranges: Vec<String>,
    hosts_started: bool,
    stats: HostingStats,
}

impl HostTracker {
    /// A tracker for the report's `window`.
    pub fn new(window: Window) -> Self {
        HostTracker {
            window,
            users: Vec::new(),
            by_id: HashMap::new(),
            by_email: HashMap::new(),
            seen: HashSet::new(),
            ranges: Vec::new(),
            hosts_started: false,
            stats: HostingStats::default(),
        }
    }

    /// Remembers a row of the license table; `Err` once hosts have begun.
    pub fn add_user(&mut self, row: &LicenseRow<'_>) -> Result<(), String> {
        if self.hosts_started {
            return Err("users arrived after the hosts report: every user must come first".into());
        }
        let index = self.users.len();
        if let Some(id) = &row.user_id {
            self.by_id.entry(id.to_string()).or_insert(index);
        }
        self.users.push(Hosted {
            user_key: row.user_key.to_string(),
            email: row.email.to_string(),
            status: row.status.to_string(),
            plan: row.plan,
            counts: [0; 3],
            ranges: 0,
        });
        let users = &self.users;
        let status_of = |i: usize| users[i].status.as_str();
        index_email(
            &mut self.by_email,
            &row.email,
            index,
            &row.status,
            status_of,
        );
        Ok(())
    }

    /// Adds a page's hosts to their users' sums.
    pub fn hosts(&mut self, page: &Page) {
        self.hosts_started = true;
        let query = &page.request.query;
        let range = format!(
            "{}..{}",
            query.get("from").unwrap_or_default(),
            query.get("to").unwrap_or_default()
        );
        let range = match self.ranges.iter().position(|r| *r == range) {
            Some(index) => index,
            None => {
                self.ranges.push(range);
                self.ranges.len() - 1
            }
        };
        for raw in page.records() {
            self.stats.hosts_seen += 1;
            let host = object::<HostUsage>(raw);
            let id = host
                .as_ref()
                .and_then(|h| h.id.clone())
                .filter(|i| !i.is_empty());
            let email = host
                .as_ref()
                .and_then(|h| h.email.as_deref())
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty());
            let (Some(host), Some(key)) = (host.as_ref(), id.clone().or(email.clone())) else {
                self.stats.malformed += 1;
                continue;
            };
            if !self.seen.insert((range, key)) {
                self.stats.duplicates += 1;
                continue;
            }
            let by_id = id.as_ref().and_then(|i| self.by_id.get(i).copied());
            let by_email = || {
                email
                    .as_ref()
                    .and_then(|e| self.by_email.get(&email_key(e)).copied())
            };
            let index = match (by_id, by_email()) {
                (Some(index), _) => {
                    self.stats.matched_by_id += 1;
                    index
                }
                (None, Some(index)) => {
                    self.stats.matched_by_email += 1;
                    index
                }
                (None, None) => {
                    self.stats.unmatched += 1;
                    continue;
                }
            };
            let user = &mut self.users[index];
            let counts = [host.meetings, host.participants, host.meeting_minutes];
            for (sum, count) in user.counts.iter_mut().zip(counts) {
                let count = i32::try_from(count.unwrap_or(0).max(0)).unwrap_or(i32::MAX);
                *sum = sum.saturating_add(count);
            }
            user.ranges = user.ranges.saturating_add(1);
        }
    }

    /// The `zoom_host_usage` table, in license-table order, in batches; and the counts.
    pub fn finish(self, run: &RunContext) -> Result<(Vec<RecordBatch>, HostingStats), ArrowError> {
        let mut stats = self.stats;
        stats.ranges_read = self.ranges.len() as u64;
        stats.users_hosting = self.users.iter().filter(|u| u.ranges > 0).count() as u64;
        let ranges_read = i32::try_from(self.ranges.len()).unwrap_or(i32::MAX);
        let mut batches = Vec::new();
        for chunk in self.users.chunks(BATCH_ROWS) {
            let n = chunk.len();
            let text = |value: fn(&Hosted) -> &str| -> ArrayRef {
                Arc::new(StringArray::from_iter_values(chunk.iter().map(value)))
            };
            let count = |i: usize| -> ArrayRef {
                Arc::new(Int32Array::from_iter_values(
                    chunk.iter().map(|u| u.counts[i]),
                ))
            };
            let mut columns: Vec<ArrayRef> = vec![
                repeat_option(run.account_id.as_deref(), n),
                text(|u| &u.user_key),
                text(|u| &u.email),
                text(|u| &u.status),
                text(|u| u.plan),
                count(0),
                count(1),
                count(2),
                Arc::new(Int32Array::from_iter_values(chunk.iter().map(|u| u.ranges))),
                Arc::new(Int32Array::from(vec![ranges_read; n])),
            ];
            columns.extend(window_and_run(self.window, run, n));
            batches.push(RecordBatch::try_new(host_usage_schema(), columns)?);
        }
        Ok((batches, stats))
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use chrono::NaiveDate;
    use extractor::zoom::host_report::HOST_REPORT;
    use extractor::{PageRequest, UserStatus};

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn run() -> RunContext {
        RunContext {
            run_id: "r".into(),
            account_id: Some("acct".into()),
            extracted_at_micros: 0,
            activity: None,
            hosting: None,
        }
    }

    /// A license row read by the rules from a user record: `id` (none for a pending user),
    /// `email`, `status`; licensed.
    fn user(id: Option<&str>, email: &str, status: &str) -> LicenseRow<'static> {
        let id = id.map_or(String::new(), |i| format!(r#""id":"{i}","#));
        let raw = format!(r#"{{{id}"email":"{email}","type":2,"status":"{status}"}}"#);
        let sweep = match status {
            "pending" => UserStatus::Pending,
            _ => UserStatus::Active,
        };
        match crate::rules::classify(Box::leak(raw.into_boxed_str()), sweep) {
            crate::rules::Outcome::Row(row) => row,
            other => panic!("not a row: {other:?}"),
        }
    }

    fn hosts_page(from: &str, to: &str, hosts: &str) -> Page {
        let query = [
            ("type", "active".to_string()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ];
        let request = PageRequest::first(&HOST_REPORT, &query);
        let body = format!(r#"{{"total_records":9,"next_page_token":"","users":[{hosts}]}}"#);
        Page::parse(request, 2, body).unwrap()
    }

    /// Column `name` of the table as (user_key, value) pairs.
    fn counts(batch: &RecordBatch, name: &str) -> Vec<(String, i64)> {
        let keys = batch.column_by_name("user_key").unwrap().as_string::<i32>();
        let column = batch.column_by_name(name).unwrap();
        let values = column.as_primitive::<Int32Type>().values().iter();
        let values: Vec<i64> = values.map(|v| i64::from(*v)).collect();
        keys.iter()
            .map(|k| k.unwrap().to_string())
            .zip(values)
            .collect()
    }

    #[test]
    fn hosts_are_summed_over_ranges_matched_by_id_then_email_and_the_rest_counted() {
        let window = Window {
            from: day("2026-10-03"),
            to: day("2026-12-01"),
        };
        let mut tracker = HostTracker::new(window);
        for row in [
            user(Some("ann"), "Ann@Example.com", "active"),
            user(Some("bob"), "bob@example.com", "active"),
            user(None, "cy@example.com", "pending"),
        ] {
            tracker.add_user(&row).unwrap();
        }
        tracker.hosts(&hosts_page(
            "2026-10-03",
            "2026-11-02",
            r#"{"id":"ann","email":"ann@example.com","meetings":2,"participants":9,"meeting_minutes":70},
               {"id":"zed","email":"ANN@example.com ","meetings":1,"participants":"3","meeting_minutes":10},
               {"id":"gone","email":"gone@example.com","meetings":4,"participants":4,"meeting_minutes":4},
               {"id":"ann","email":"ann@example.com","meetings":2,"participants":9,"meeting_minutes":70},
               [1,2]"#,
        ));
        tracker.hosts(&hosts_page(
            "2026-11-03",
            "2026-12-01",
            r#"{"id":"ann","email":"ann@example.com","meetings":1,"participants":2,"meeting_minutes":30}"#,
        ));
        // A user added after the hosts began would miss them.
        assert!(
            tracker
                .add_user(&user(Some("late"), "l@example.com", "active"))
                .is_err()
        );
        let (batches, stats) = tracker.finish(&run()).unwrap();
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        // ann: 2 + 1 (zed matched by email) in the first range, 1 in the second.
        let key = |k: &str, n: i64| (k.to_string(), n);
        assert_eq!(
            counts(batch, "meetings"),
            [
                key("ann", 4),
                key("bob", 0),
                key("pending:cy@example.com", 0)
            ]
        );
        assert_eq!(
            counts(batch, "participants"),
            [
                key("ann", 14),
                key("bob", 0),
                key("pending:cy@example.com", 0)
            ]
        );
        assert_eq!(
            counts(batch, "meeting_minutes"),
            [
                key("ann", 110),
                key("bob", 0),
                key("pending:cy@example.com", 0)
            ]
        );
        assert_eq!(
            counts(batch, "ranges_hosting"),
            [
                key("ann", 3),
                key("bob", 0),
                key("pending:cy@example.com", 0)
            ]
        );
        assert_eq!(
            counts(batch, "ranges_read"),
            [
                key("ann", 2),
                key("bob", 2),
                key("pending:cy@example.com", 2)
            ]
        );
        assert_eq!(
            stats,
            HostingStats {
                ranges_read: 2,
                hosts_seen: 6,
                duplicates: 1,
                matched_by_id: 2,
                matched_by_email: 1,
                unmatched: 1,
                malformed: 1,
                users_hosting: 1,
            }
        );
        // Every host record read is decided: matched, unmatched, a counted repeat or malformed.
        let decided = stats.matched_by_id + stats.matched_by_email + stats.unmatched;
        assert_eq!(
            decided + stats.duplicates + stats.malformed,
            stats.hosts_seen
        );
        let window_start = batch.column_by_name("window_start").unwrap();
        assert_eq!(
            window_start
                .as_primitive::<arrow_array::types::Date32Type>()
                .value(0),
            20729
        );
    }

    #[test]
    fn an_email_shared_with_a_pending_invitation_goes_to_the_active_user() {
        let window = Window {
            from: day("2026-11-01"),
            to: day("2026-11-30"),
        };
        for order in [["pending", "active"], ["active", "pending"]] {
            let mut tracker = HostTracker::new(window);
            for status in order {
                let id = (status == "active").then_some("pat");
                tracker
                    .add_user(&user(id, "pat@example.com", status))
                    .unwrap();
            }
            tracker.hosts(&hosts_page(
                "2026-11-01",
                "2026-11-30",
                r#"{"email":"pat@example.com","meetings":5,"participants":5,"meeting_minutes":5}"#,
            ));
            let (batches, _) = tracker.finish(&run()).unwrap();
            let meetings: Vec<_> = counts(&batches[0], "meetings").into_iter().collect();
            assert!(
                meetings.contains(&("pat".into(), 5)),
                "{order:?}: {meetings:?}"
            );
            let pending = ("pending:pat@example.com".to_string(), 0);
            assert!(meetings.contains(&pending), "{order:?}: {meetings:?}");
        }
    }
}
