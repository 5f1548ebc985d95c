//! Zoom's sign-in report into two tables: `zoom_signin_events`, every event Zoom sent once, matched
//! to the license table by email; and `zoom_user_activity`, one row per user of the license table
//! with their sign-ins in the window (zero when none), so "licensed and idle" is one query.
//!
//! Users arrive before events (the source reads the report after the users), so each event finds
//! its user as it comes and no event is held. An event Zoom sends twice (a range read again after
//! its page token expired, or Zoom listing it twice) is counted and dropped: its fingerprint
//! (XXH3-128 of every member) was seen. A record that is not an event object is written as a row
//! without values and counted (`malformed`): no event is lost without a trace.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use chrono::{NaiveDate, NaiveTime};
use extractor::Page;
use extractor::zoom::activities::ActivityLog;
use extractor::zoom::text::object;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use crate::batch::{repeat_option, repeat_time};
use crate::context::{ActivityContext, RunContext, Window};
use crate::per_user::{email_key, index_email, window_and_run};
use crate::row::LicenseRow;
use crate::schema::{shared, text, text_list_type, timestamp_type};

/// Rows per batch of the activity table, written at the end of the run.
const ACTIVITY_BATCH_ROWS: usize = 65_536;

/// `zoom_signin_events`: one row per event of the report (exact repeats dropped).
pub fn events_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("email", true),
            text("user_key", true),
            Field::new("event_time", timestamp_type(), true),
            text("event", true),
            text("client_type", true),
            text("client_version", true),
            text("ip_address", true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// `zoom_user_activity`: one row per row of the license table.
pub fn user_activity_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("user_key", false),
            text("email", false),
            text("status", false),
            text("plan", false),
            Field::new("sign_ins", DataType::Int32, false),
            Field::new("first_sign_in_at", timestamp_type(), true),
            Field::new("last_sign_in_at", timestamp_type(), true),
            Field::new("client_types", text_list_type(), false),
            Field::new("last_login_at", timestamp_type(), true),
            Field::new("last_seen_at", timestamp_type(), true),
            Field::new("window_start", DataType::Date32, false),
            Field::new("window_end", DataType::Date32, false),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// Counts of the sign-in report, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActivityStats {
    /// Events read, repeats included.
    pub events_seen: u64,
    /// Rows written to `zoom_signin_events`.
    pub events_written: u64,
    /// Exact repeats dropped.
    pub duplicates: u64,
    /// Events whose email matched a user of the license table.
    pub matched: u64,
    /// Events whose `time` was missing or not a timestamp (written with a null `event_time`).
    pub without_time: u64,
    /// Records that were not event objects (written as rows without values).
    pub malformed: u64,
    /// Users of the license table with at least one sign-in in the window.
    pub users_signed_in: u64,
    /// Events dated outside the window asked for, by more than a day (time zones): written, but
    /// not counted as anyone's sign-in, so a date Zoom got wrong (1970, 2999) hides no idle seat.
    pub outside_window: u64,
}

/// A user of the license table and their sign-ins so far.
#[derive(Default)]
struct Tracked {
    user_key: String,
    email: String,
    status: String,
    plan: &'static str,
    last_login: Option<i64>,
    sign_ins: i32,
    first: Option<i64>,
    last: Option<i64>,
    clients: BTreeSet<String>,
}

impl Tracked {
    /// Counts a sign-in of the window at `time`, from `client`.
    fn sign_in(&mut self, time: Option<i64>, client: Option<&str>) {
        self.sign_ins = self.sign_ins.saturating_add(1);
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if let Some(client) = client.filter(|c| !c.is_empty()) {
            self.clients.insert(client.to_string());
        }
    }
}

/// An event as the table has it: its time (µs), its name, and its user's index, if matched.
struct Placed {
    time: Option<i64>,
    name: Option<String>,
    user: Option<usize>,
}

/// XXH3-128 of every member of an event, a missing one as \x01, each closed by \0: hashed as it
/// streams, so no joined string is built per event.
fn fingerprint(log: &ActivityLog) -> u128 {
    let mut hasher = Xxh3::new();
    for field in [
        &log.email,
        &log.time,
        &log.kind,
        &log.client_type,
        &log.version,
        &log.ip_address,
    ] {
        hasher.update(field.as_deref().unwrap_or("\u{1}").as_bytes());
        hasher.update(b"\0");
    }
    hasher.digest128()
}

/// Follows the users of the license table and the events that name them.
pub struct ActivityTracker {
    ctx: ActivityContext,
    users: Vec<Tracked>,
    /// XXH3-128 of a lower-cased email → index in `users`.
    by_email: HashMap<u128, usize>,
    seen_events: HashSet<u128>,
    /// Once an event has arrived, a user may not: it would miss the events before it.
    events_started: bool,
    /// Event times (µs) within which an event counts as a sign-in of the window.
    window: std::ops::Range<i64>,
    stats: ActivityStats,
}

/// An event's `type` as the table names it: `sign_in`, `sign_out`, or Zoom's own word otherwise.
fn event_name(kind: &str) -> String {
    match kind {
        "Sign in" => "sign_in".into(),
        "Sign out" => "sign_out".into(),
        other => other.trim().to_lowercase().replace(' ', "_"),
    }
}

impl ActivityTracker {
    /// A tracker for the window and options of `ctx`.
    pub fn new(ctx: ActivityContext) -> Self {
        // A day on either side: the report's dates may be the account's days, not UTC's.
        let micros = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc().timestamp_micros();
        let day = 86_400_000_000;
        let window = micros(ctx.from) - day..micros(ctx.to) + 2 * day;
        ActivityTracker {
            window,
            ctx,
            users: Vec::new(),
            by_email: HashMap::new(),
            seen_events: HashSet::new(),
            events_started: false,
            stats: ActivityStats::default(),
        }
    }

    /// Remembers a row of the license table; `Err` once events have begun.
    pub fn add_user(&mut self, row: &LicenseRow<'_>) -> Result<(), String> {
        if self.events_started {
            return Err("users arrived after sign-in events: every user must come first".into());
        }
        let index = self.users.len();
        self.users.push(Tracked {
            user_key: row.user_key.to_string(),
            email: row.email.to_string(),
            status: row.status.to_string(),
            plan: row.plan,
            last_login: row.last_login_at,
            ..Tracked::default()
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

    /// The page's events as a batch of `zoom_signin_events`; `Err` names a record that is not an
    /// event object.
    pub fn events(&mut self, page: &Page, run: &RunContext) -> Result<RecordBatch, String> {
        self.events_started = true;
        let mut events = Vec::with_capacity(page.record_count());
        for raw in page.records() {
            self.stats.events_seen += 1;
            // A record that is no event object is a row without values, told apart by its text.
            let (log, print) = match object::<ActivityLog>(raw) {
                Some(log) => {
                    let print = fingerprint(&log);
                    (log, print)
                }
                None => {
                    self.stats.malformed += 1;
                    (ActivityLog::default(), xxh3_128(raw.as_bytes()))
                }
            };
            if !self.seen_events.insert(print) {
                self.stats.duplicates += 1;
                continue;
            }
            let event = self.place(&log);
            events.push((log, event));
            self.stats.events_written += 1;
        }
        self.event_rows(&events, run)
            .map_err(|e| format!("cannot build a batch of events: {e}"))
    }

    /// Events placed, as rows of `zoom_signin_events`: with their user's key, and their IP
    /// address when kept.
    fn event_rows(
        &self,
        events: &[(ActivityLog, Placed)],
        run: &RunContext,
    ) -> Result<RecordBatch, ArrowError> {
        let n = events.len();
        let text = |value: fn(&ActivityLog) -> &Option<String>| -> ArrayRef {
            let texts = events.iter().map(|(log, _)| value(log).as_deref());
            Arc::new(texts.collect::<StringArray>())
        };
        let times = events.iter().map(|(_, event)| event.time);
        let keys = events
            .iter()
            .map(|(_, event)| event.user.map(|i| self.users[i].user_key.as_str()));
        let names = events.iter().map(|(_, event)| event.name.as_deref());
        let with_ip = self.ctx.with_ip;
        let ips = events
            .iter()
            .map(|(log, _)| log.ip_address.as_deref().filter(|_| with_ip));
        let columns: Vec<ArrayRef> = vec![
            repeat_option(run.account_id.as_deref(), n),
            text(|log| &log.email),
            Arc::new(keys.collect::<StringArray>()),
            Arc::new(TimestampMicrosecondArray::from_iter(times).with_timezone("UTC")),
            Arc::new(names.collect::<StringArray>()),
            text(|log| &log.client_type),
            text(|log| &log.version),
            Arc::new(ips.collect::<StringArray>()),
            repeat_time(run.extracted_at_micros, n),
            repeat_option(Some(&run.run_id), n),
        ];
        RecordBatch::try_new(events_schema(), columns)
    }

    /// An event's time, name and user, counted; a sign-in within the window is its user's.
    fn place(&mut self, log: &ActivityLog) -> Placed {
        let time = log
            .time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_micros());
        if time.is_none() {
            self.stats.without_time += 1;
        }
        let name = log.kind.as_deref().map(event_name);
        let user = log
            .email
            .as_deref()
            .and_then(|e| self.by_email.get(&email_key(e)).copied());
        let outside = time.is_some_and(|t| !self.window.contains(&t));
        if outside {
            self.stats.outside_window += 1;
        }
        if let Some(index) = user {
            self.stats.matched += 1;
            if name.as_deref() == Some("sign_in") && !outside {
                self.users[index].sign_in(time, log.client_type.as_deref());
            }
        }
        Placed { time, name, user }
    }

    /// The `zoom_user_activity` table, in license-table order, in batches; and the counts.
    pub fn finish(self, run: &RunContext) -> Result<(Vec<RecordBatch>, ActivityStats), ArrowError> {
        let mut stats = self.stats;
        stats.users_signed_in = self.users.iter().filter(|u| u.sign_ins > 0).count() as u64;
        let window = Window {
            from: self.ctx.from,
            to: self.ctx.to,
        };
        let mut batches = Vec::new();
        for chunk in self.users.chunks(ACTIVITY_BATCH_ROWS) {
            let n = chunk.len();
            let text = |value: fn(&Tracked) -> &str| -> ArrayRef {
                Arc::new(StringArray::from_iter_values(chunk.iter().map(value)))
            };
            let time = |value: fn(&Tracked) -> Option<i64>| -> ArrayRef {
                let times = TimestampMicrosecondArray::from_iter(chunk.iter().map(value));
                Arc::new(times.with_timezone("UTC"))
            };
            let mut clients = ListBuilder::new(StringBuilder::new());
            clients.extend(chunk.iter().map(|u| Some(u.clients.iter().map(Some))));
            let mut columns: Vec<ArrayRef> = vec![
                repeat_option(run.account_id.as_deref(), n),
                text(|u| &u.user_key),
                text(|u| &u.email),
                text(|u| &u.status),
                text(|u| u.plan),
                Arc::new(Int32Array::from_iter_values(
                    chunk.iter().map(|u| u.sign_ins),
                )),
                time(|u| u.first),
                time(|u| u.last),
                Arc::new(clients.finish()),
                time(|u| u.last_login),
                // The later of the two; `None` orders below any time.
                time(|u| u.last_login.max(u.last)),
            ];
            columns.extend(window_and_run(window, run, n));
            batches.push(RecordBatch::try_new(user_activity_schema(), columns)?);
        }
        Ok((batches, stats))
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use extractor::zoom::activities::ACTIVITIES;
    use extractor::{PageRequest, USERS};

    use super::*;
    use crate::table::Table;
    use crate::transformer::Transformer;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn transformer() -> Transformer {
        Transformer::new(RunContext {
            run_id: "r".into(),
            account_id: None,
            extracted_at_micros: 0,
            activity: Some(ActivityContext {
                from: day("2026-11-01"),
                to: day("2026-11-30"),
                with_ip: false,
            }),
            hosting: None,
        })
    }

    fn users_page(status: &str, users: &str) -> Page {
        let request = PageRequest::first(&USERS, &[("status", status.into())]);
        let body = format!(r#"{{"total_records":1,"next_page_token":"","users":[{users}]}}"#);
        Page::parse(request, 1, body).unwrap()
    }

    fn events_page(events: &str) -> Page {
        let request = PageRequest::first(
            &ACTIVITIES,
            &[("from", "2026-11-01".into()), ("to", "2026-11-30".into())],
        );
        let body = format!(r#"{{"next_page_token":"","activity_logs":[{events}]}}"#);
        Page::parse(request, 3, body).unwrap()
    }

    fn column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
        let column = batch.column_by_name(name).unwrap().as_string::<i32>();
        column.iter().map(|v| v.map(str::to_owned)).collect()
    }

    /// An invitation accepted during the run: the pending user arrives first, the active one
    /// after, with the same email in another case. The events go to the active user.
    #[test]
    fn the_active_user_gets_the_events_of_an_email_a_pending_invitation_shares() {
        let mut t = transformer();
        t.transform_page(&users_page(
            "pending",
            r#"{"email":"Ann@Example.com","type":1}"#,
        ))
        .unwrap();
        t.transform_page(&users_page(
            "active",
            r#"{"id":"u1","email":"ann@example.com","type":2}"#,
        ))
        .unwrap();
        let out = t
            .transform_page(&events_page(
                r#"{"email":"ANN@example.com","time":"2026-11-20T09:00:00Z","type":"Sign in","client_type":"Mac"}"#,
            ))
            .unwrap();
        assert_eq!(
            column(out.batch(Table::SigninEvents).unwrap(), "user_key"),
            [Some("u1".into())]
        );
        let (_, last) = t.finish().unwrap();
        let activity = last.batch(Table::UserActivity).unwrap();
        let keys = column(activity, "user_key");
        let sign_ins = activity.column_by_name("sign_ins").unwrap();
        let sign_ins = sign_ins.as_primitive::<arrow_array::types::Int32Type>();
        let by_key: Vec<(Option<String>, i32)> = keys
            .into_iter()
            .zip(sign_ins.values().iter().copied())
            .collect();
        assert_eq!(
            by_key,
            [
                (Some("pending:ann@example.com".into()), 0),
                (Some("u1".into()), 1)
            ]
        );
    }

    /// An event dated far outside the window (1970, 2999) is written and counted, but is no
    /// sign-in of the window: the user stays without one (and so can be reclaimed). An event a
    /// day off (another time zone) still counts.
    #[test]
    fn events_dated_outside_the_window_are_no_sign_ins() {
        let mut t = transformer();
        t.transform_page(&users_page(
            "active",
            r#"{"id":"u1","email":"a@x.com","type":2},{"id":"u2","email":"b@x.com","type":2}"#,
        ))
        .unwrap();
        let out = t
            .transform_page(&events_page(
                r#"{"email":"a@x.com","time":"2999-01-01T00:00:00Z","type":"Sign in"},
                   {"email":"a@x.com","time":"1970-01-01T00:00:00Z","type":"Sign in"},
                   {"email":"b@x.com","time":"2026-10-31T20:00:00Z","type":"Sign in"},
                   {"email":"b@x.com","time":"2026-12-01T05:00:00Z","type":"Sign in"}"#,
            ))
            .unwrap();
        assert_eq!(out.batch(Table::SigninEvents).unwrap().num_rows(), 4);
        let (stats, last) = t.finish().unwrap();
        let activity = stats.activity.unwrap();
        assert_eq!(activity.outside_window, 2);
        assert_eq!(activity.users_signed_in, 1);
        use arrow_array::cast::AsArray;
        let sign_ins: Vec<i32> = last
            .batches
            .iter()
            .filter(|(table, _)| *table == Table::UserActivity)
            .flat_map(|(_, b)| {
                let column = b.column_by_name("sign_ins").unwrap();
                let values = column.as_primitive::<arrow_array::types::Int32Type>();
                values.values().to_vec()
            })
            .collect();
        assert_eq!(sign_ins, [0, 2]);
    }

    /// Odd events lose nothing: a number where text should be is kept as its digits, a record that
    /// is not an object becomes a row without values, and both are counted.
    #[test]
    fn odd_events_are_written_and_counted_never_dropped() {
        let mut t = transformer();
        t.transform_page(&users_page(
            "active",
            r#"{"id":"u1","email":"a@x.com","type":2}"#,
        ))
        .unwrap();
        let out = t
            .transform_page(&events_page(
                r#"{"email":"a@x.com","time":"yesterday","type":"Sign in","version":6.2},null"#,
            ))
            .unwrap();
        let events = out.batch(Table::SigninEvents).unwrap().clone();
        assert_eq!(events.num_rows(), 2);
        assert_eq!(
            column(&events, "client_version"),
            [Some("6.2".into()), None]
        );
        assert_eq!(column(&events, "email"), [Some("a@x.com".into()), None]);
        let (stats, _) = t.finish().unwrap();
        let activity = stats.activity.unwrap();
        assert_eq!((activity.events_seen, activity.events_written), (2, 2));
        assert_eq!((activity.malformed, activity.without_time), (1, 2));
    }
}
