//! `zoom_reclaim_candidates`: the paid seats a run's license table shows can be taken back, each
//! with its reason and the numbers behind it. Derived from a run's outputs, with no Zoom call.
//!
//! A licensed seat (plan `licensed`) is a candidate when, counted in whole days to the run's
//! `extracted_at`:
//! - `idle`: an active user whose last login (or last sign-in, when the run read the sign-in
//!   report) is at least `idle_days` old;
//! - `never_logged_in`: an active user with no login and no sign-in, created at least `idle_days`
//!   ago;
//! - `pending_invitation`: an invitation not yet accepted, created at least `pending_days` ago;
//! - `not_hosting` (when the run read the hosts report): an active user who is none of the above
//!   but hosted no meeting in the report's window, and existed before it began. A downgrade to
//!   Basic, not a removal: the `action` column says which.
//!
//! A licensed user with no login whose creation time Zoom did not send cannot be aged: it is
//! counted (`without_creation_time`), never listed by guess; so is a user who hosted nothing but
//! whose creation time is unknown (`not_hosting_unaged`). A user who hosted a meeting in the
//! window is never `idle` or `never_logged_in`, whatever their login says (counted as
//! `hosting_without_login`). Users on the keep list are never listed, only counted (`kept`).
//! With a price list each row carries what reclaiming it saves a month.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use serde::{Deserialize, Serialize, Serializer};

use crate::batch::{repeat_option, repeat_text, repeat_time};
use crate::columns::{column, fingerprint, take_rows, text_of};
use crate::plan::Plan;
use crate::prices::{PriceList, as_decimal};
use crate::schema::{fields_of, license_schema, shared, text, text_list_type, timestamp_type};

mod evidence;
mod keep;

pub use evidence::{AddonsHeld, Evidence, GroupNames, Hosting, SignIns};
pub use keep::KeepList;

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// Why a seat can be reclaimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReclaimReason {
    /// Active and licensed, last seen at least `idle_days` ago.
    Idle,
    /// Active and licensed, never seen, created at least `idle_days` ago.
    NeverLoggedIn,
    /// A licensed invitation not accepted for at least `pending_days`.
    PendingInvitation,
    /// Active and licensed, seen, but hosted no meeting in the hosts report's window.
    NotHosting,
}

impl ReclaimReason {
    /// Every reason, in the order the summary lists them.
    pub const ALL: [ReclaimReason; 4] = [
        ReclaimReason::Idle,
        ReclaimReason::NeverLoggedIn,
        ReclaimReason::PendingInvitation,
        ReclaimReason::NotHosting,
    ];

    /// Its name in the `reason` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimReason::Idle => "idle",
            ReclaimReason::NeverLoggedIn => "never_logged_in",
            ReclaimReason::PendingInvitation => "pending_invitation",
            ReclaimReason::NotHosting => "not_hosting",
        }
    }

    /// What to do with the seat: a user who hosts nothing still attends, so is downgraded.
    pub fn action(self) -> &'static str {
        match self {
            ReclaimReason::NotHosting => "downgrade_to_basic",
            _ => "remove",
        }
    }
}

/// The thresholds and the run the candidates are counted against.
#[derive(Debug, Clone)]
pub struct ReclaimRules {
    /// Days without a login (or sign-in) that make an active seat idle.
    pub idle_days: u32,
    /// Days an invitation may wait before its seat is a candidate.
    pub pending_days: u32,
    /// The run's `extracted_at`, in microseconds since the epoch: days are counted to it.
    pub as_of: i64,
    /// The run's id, carried onto every row.
    pub run_id: String,
    /// What a seat and each add-on cost a month, when the user gave a price list.
    pub prices: Option<PriceList>,
    /// The users never listed.
    pub keep: KeepList,
}

/// The tables of the run read beside the license table, each when the run wrote it.
#[derive(Debug, Default)]
pub struct Evidences {
    /// `zoom_user_activity`: sign-ins count as being seen.
    pub sign_ins: Option<SignIns>,
    /// `zoom_host_usage`: who hosted nothing (`not_hosting`).
    pub hosting: Option<Hosting>,
    /// `zoom_user_addons`: what removing a user saves beyond the seat.
    pub addons: Option<AddonsHeld>,
    /// `zoom_groups`: the names a keep list's groups match.
    pub groups: Option<GroupNames>,
}

/// The license table's columns a reclaim reads.
pub fn license_columns() -> SchemaRef {
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
                "department",
                "group_ids",
                "status",
                "plan",
                "user_created_at",
                "last_login_at",
            ],
        )
    })
}

/// The type of `monthly_saving`: a decimal with cents, exact in any warehouse.
pub fn money_type() -> DataType {
    DataType::Decimal128(12, 2)
}

/// `zoom_reclaim_candidates`: one row per seat that can be reclaimed.
pub fn reclaim_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("user_key", false),
            text("user_id", true),
            text("email", false),
            text("display_name", true),
            text("department", true),
            Field::new("group_ids", text_list_type(), true),
            text("status", false),
            text("plan", false),
            text("reason", false),
            text("action", false),
            Field::new("user_created_at", timestamp_type(), true),
            Field::new("last_login_at", timestamp_type(), true),
            Field::new("last_sign_in_at", timestamp_type(), true),
            Field::new("days_idle", DataType::Int32, true),
            Field::new("days_since_created", DataType::Int32, true),
            Field::new("threshold_days", DataType::Int32, false),
            Field::new("activity_window_start", DataType::Date32, true),
            Field::new("meetings_hosted", DataType::Int32, true),
            Field::new("hosting_window_start", DataType::Date32, true),
            Field::new("monthly_saving", money_type(), true),
            text("currency", true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// What the listed seats save a month, by a price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Savings {
    /// The price list's currency.
    pub currency: String,
    /// Every candidate's saving, summed (hundredths; written as a decimal).
    #[serde(serialize_with = "decimal")]
    pub total: u64,
    /// The saving per reason (the reasons of [`ReclaimStats::by_reason`]).
    #[serde(serialize_with = "decimals")]
    pub by_reason: BTreeMap<ReclaimReason, u64>,
    /// Whether removed users' add-ons were priced (the run read `zoom_user_addons`).
    pub addons_counted: bool,
}

/// Hundredths written as the decimal they are.
fn decimal<S: Serializer>(hundredths: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(as_decimal(*hundredths))
}

/// Each value's hundredths written as decimals.
fn decimals<S: Serializer>(map: &BTreeMap<ReclaimReason, u64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k, as_decimal(*v))))
}

/// What a reclaim found, for the summary and the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReclaimStats {
    /// Rows of the license table read.
    pub users_read: u64,
    /// Licensed seats: active or pending users on the `licensed` plan.
    pub licensed_seats: u64,
    /// Seats listed as candidates.
    pub candidates: u64,
    /// Candidates per reason (every reason judged, zeros included: `not_hosting` is judged when
    /// the run read the hosts report).
    pub by_reason: BTreeMap<ReclaimReason, u64>,
    /// Licensed users with no login whose creation time is unknown, so they cannot be aged.
    pub without_creation_time: u64,
    /// Licensed users who hosted nothing but whose creation time is unknown, so whether they
    /// existed through the hosts report's window cannot be told.
    pub not_hosting_unaged: u64,
    /// Users idle or never logged in by their login who hosted meetings in the hosts report's
    /// window: not listed (they were there).
    pub hosting_without_login: u64,
    /// Candidates not listed because the keep list names them.
    pub kept: u64,
    /// Keep list entries read.
    pub keep_entries: u64,
    /// Keep list entries that matched no user of the run.
    pub keep_entries_not_found: u64,
    /// Whether the run's sign-in report counted as activity.
    pub with_activity: bool,
    /// The hosts report's window in days, when the run read it.
    pub hosting_days: Option<u32>,
    /// What the candidates save a month, with a price list.
    pub monthly_saving: Option<Savings>,
    /// Every licensed seat in one category of use, judged as the candidates are.
    pub seat_use: SeatUse,
}

/// Licensed seats by use, each counted once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatUse {
    /// Pending invitations.
    pub pending: u64,
    /// Active users who hosted in the hosts report's window and so were there (null without the
    /// report): also when their login is old, if the window is within the idle threshold.
    pub hosting: Option<u64>,
    /// Active users seen (login or sign-in) within the idle threshold who are not counted as
    /// hosting (the `not_hosting` candidates are among them).
    pub seen: u64,
    /// Active users last seen the idle threshold or more ago (the `idle` candidates, and those
    /// too new, kept, or not listed for another reason).
    pub idle: u64,
    /// Active users never seen.
    pub never_logged_in: u64,
}

impl ReclaimStats {
    /// Candidates as a share of licensed seats (0 with no seats).
    pub fn share(&self) -> f64 {
        match self.licensed_seats {
            0 => 0.0,
            seats => self.candidates as f64 / seats as f64,
        }
    }
}

/// Lists the candidates of a license table, batch by batch.
#[derive(Debug)]
pub struct Reclaimer {
    rules: ReclaimRules,
    evidence: Evidences,
    stats: ReclaimStats,
    /// Whether hosting in the window shows a user was there within the idle threshold: Zoom's
    /// last login stays old while a client stays signed in, so a host is not idle whatever the
    /// login says, when the window is no longer than the threshold. A longer window cannot tell:
    /// its meetings may be older than the threshold.
    hosting_is_presence: bool,
}

impl Reclaimer {
    /// A reclaim under `rules`, with the run's other tables it read.
    pub fn new(rules: ReclaimRules, evidence: Evidences) -> Self {
        // Every reason judged starts at zero: `not_hosting` only when the run read the report.
        let judged =
            |r: &&ReclaimReason| **r != ReclaimReason::NotHosting || evidence.hosting.is_some();
        let zeros = || {
            ReclaimReason::ALL
                .iter()
                .filter(judged)
                .map(|r| (*r, 0))
                .collect()
        };
        let stats = ReclaimStats {
            by_reason: zeros(),
            with_activity: evidence.sign_ins.is_some(),
            hosting_days: evidence.hosting.as_ref().and_then(Hosting::days),
            keep_entries: rules.keep.len() as u64,
            keep_entries_not_found: rules.keep.len() as u64,
            seat_use: SeatUse {
                hosting: evidence.hosting.as_ref().map(|_| 0),
                ..SeatUse::default()
            },
            monthly_saving: rules.prices.as_ref().map(|p| Savings {
                currency: p.currency.clone(),
                total: 0,
                by_reason: zeros(),
                addons_counted: evidence.addons.is_some(),
            }),
            ..ReclaimStats::default()
        };
        Reclaimer {
            hosting_is_presence: stats.hosting_days.is_some_and(|d| d <= rules.idle_days),
            rules,
            evidence,
            stats,
        }
    }

    /// The candidates among a batch of [`license_columns`] (`None` when there are none).
    pub fn push(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>, ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let ids = text_of(batch, "user_id")?;
        let emails = text_of(batch, "email")?;
        let groups = column(batch, "group_ids")?.as_list::<i32>();
        let status = text_of(batch, "status")?;
        let plan = text_of(batch, "plan")?;
        let created = column(batch, "user_created_at")?.as_primitive::<TimestampMicrosecondType>();
        let login = column(batch, "last_login_at")?.as_primitive::<TimestampMicrosecondType>();
        let time = |a: &TimestampMicrosecondArray, row| a.is_valid(row).then(|| a.value(row));
        let as_of = self.rules.as_of;
        let days = |at: i64| whole_days(as_of, at);
        let mut candidates = Vec::new();
        self.stats.users_read += batch.num_rows() as u64;
        for row in 0..batch.num_rows() {
            let kept = !self.rules.keep.is_empty() && {
                let names = self.evidence.groups.as_ref();
                let group_ids = groups.is_valid(row).then(|| groups.value(row));
                let group_ids = group_ids.as_ref().map(|g| g.as_string::<i32>());
                let names = group_ids
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|id| names.and_then(|n| n.by_id.get(id)).map(String::as_str));
                let id = ids.is_valid(row).then(|| ids.value(row));
                self.rules.keep.keeps(emails.value(row), id, names)
            };
            if plan.value(row) != Plan::Licensed.as_str() {
                continue;
            }
            let pending = match status.value(row) {
                "active" => false,
                "pending" => true,
                _ => continue,
            };
            self.stats.licensed_seats += 1;
            let key = fingerprint(keys.value(row));
            let signed_in = self.evidence.sign_ins.as_ref();
            let signed_in = signed_in.and_then(|s| s.last.get(&key).copied().flatten());
            let meetings = self.evidence.hosting.as_ref();
            let meetings = meetings.and_then(|h| h.meetings.get(&key).copied());
            let seat = Seat {
                pending,
                seen: time(login, row).max(signed_in),
                created: time(created, row),
                meetings,
            };
            self.count_use(&seat);
            let Some((reason, threshold)) = self.judge(&seat) else {
                continue;
            };
            let (days_idle, since_created) = (seat.seen.map(days), seat.created.map(days));
            if kept {
                self.stats.kept += 1;
                continue;
            }
            let saving = self.rules.prices.as_ref().map(|prices| {
                let held = self.evidence.addons.as_ref();
                let held = held.and_then(|a| a.by_user.get(&key)).into_iter().flatten();
                let removed = reason != ReclaimReason::NotHosting;
                prices.saving(removed, held.map(String::as_str))
            });
            if let (Some(saving), Some(sums)) = (saving, self.stats.monthly_saving.as_mut()) {
                sums.total += saving;
                *sums.by_reason.entry(reason).or_default() += saving;
            }
            self.stats.candidates += 1;
            *self.stats.by_reason.entry(reason).or_default() += 1;
            candidates.push(Candidate {
                row,
                reason,
                signed_in,
                days_idle,
                since_created,
                threshold,
                meetings,
                saving,
            });
        }
        self.stats.keep_entries_not_found = self.rules.keep.not_found().len() as u64;
        if candidates.is_empty() {
            return Ok(None);
        }
        build(&candidates, batch, &self.rules, &self.evidence).map(Some)
    }

    /// Why `seat` can be reclaimed, and the threshold it was held to; `None` when it cannot (the
    /// counters say why, where it is not plain use).
    fn judge(&mut self, seat: &Seat) -> Option<(ReclaimReason, u32)> {
        let as_of = self.rules.as_of;
        let (idle_days, pending_days) = (self.rules.idle_days, self.rules.pending_days);
        let (reason, threshold, since) = match (seat.pending, seat.seen) {
            (true, _) => (ReclaimReason::PendingInvitation, pending_days, seat.created),
            (false, Some(seen)) => (ReclaimReason::Idle, idle_days, Some(seen)),
            (false, None) => (ReclaimReason::NeverLoggedIn, idle_days, seat.created),
        };
        let Some(since) = since else {
            self.stats.without_creation_time += 1;
            return None;
        };
        let hosted = seat.meetings.is_some_and(|m| m > 0);
        let window = self.evidence.hosting.as_ref().and_then(|h| h.window);
        if whole_days(as_of, since) >= i64::from(threshold) {
            if !seat.pending && hosted && self.hosting_is_presence {
                self.stats.hosting_without_login += 1;
                return None;
            }
            return Some((reason, threshold));
        }
        // Seen lately, but hosted nothing in the window and existed on its first day.
        let (Some(days), Some((first_day, _))) = (self.stats.hosting_days, window) else {
            return None;
        };
        if seat.pending || seat.seen.is_none() || seat.meetings != Some(0) {
            return None;
        }
        match seat.created {
            None => {
                self.stats.not_hosting_unaged += 1;
                None
            }
            Some(at) if at > i64::from(first_day) * DAY_MICROS => None,
            Some(_) => Some((ReclaimReason::NotHosting, days)),
        }
    }

    /// Counts `seat` in one category of [`SeatUse`], by the facts [`Reclaimer::judge`] reads: a
    /// host is in use unless the login says idle and the window may be older than the threshold.
    fn count_use(&mut self, seat: &Seat) {
        let idle_days = i64::from(self.rules.idle_days);
        // Never seen is as stale as idle.
        let stale = seat
            .seen
            .is_none_or(|at| whole_days(self.rules.as_of, at) >= idle_days);
        let hosted = seat.meetings.is_some_and(|m| m > 0) && (self.hosting_is_presence || !stale);
        let used = &mut self.stats.seat_use;
        match (seat.pending, hosted, seat.seen) {
            (true, _, _) => used.pending += 1,
            (false, true, _) => *used.hosting.get_or_insert(0) += 1,
            (false, false, None) => used.never_logged_in += 1,
            (false, false, Some(_)) if stale => used.idle += 1,
            (false, false, Some(_)) => used.seen += 1,
        }
    }

    /// What the reclaim found so far.
    pub fn stats(&self) -> &ReclaimStats {
        &self.stats
    }

    /// The keep list's entries that matched no user so far, as written.
    pub fn keep_not_found(&self) -> Vec<&str> {
        self.rules.keep.not_found()
    }
}

/// Whole days from `at` to `as_of` (microseconds), never negative.
fn whole_days(as_of: i64, at: i64) -> i64 {
    (as_of - at).div_euclid(DAY_MICROS).max(0)
}

/// What the rules read of one licensed seat.
#[derive(Debug)]
struct Seat {
    pending: bool,
    /// The later of the last login and the last sign-in.
    seen: Option<i64>,
    created: Option<i64>,
    /// Meetings hosted in the hosts report's window, when the run read it.
    meetings: Option<i32>,
}

/// One candidate: its row in the input batch and the evidence.
#[derive(Debug)]
struct Candidate {
    row: usize,
    reason: ReclaimReason,
    signed_in: Option<i64>,
    days_idle: Option<i64>,
    since_created: Option<i64>,
    threshold: u32,
    meetings: Option<i32>,
    saving: Option<u64>,
}

/// The candidates' rows: the input's columns taken at their rows, and the evidence.
fn build(
    candidates: &[Candidate],
    batch: &RecordBatch,
    rules: &ReclaimRules,
    evidence: &Evidences,
) -> Result<RecordBatch, ArrowError> {
    let take = take_rows(batch, candidates.iter().map(|c| c.row));
    let n = candidates.len();
    let clamp = |d: i64| i32::try_from(d).unwrap_or(i32::MAX);
    let days = |days: fn(&Candidate) -> Option<i64>| -> ArrayRef {
        Arc::new(Int32Array::from_iter(
            candidates.iter().map(|c| days(c).map(clamp)),
        ))
    };
    let reasons = candidates.iter().map(|c| c.reason.as_str());
    let actions = candidates.iter().map(|c| c.reason.action());
    let signed_in = candidates.iter().map(|c| c.signed_in);
    let thresholds = candidates.iter().map(|c| clamp(c.threshold.into()));
    let activity_start = evidence.sign_ins.as_ref().and_then(|s| s.window_start);
    let hosting_start = evidence
        .hosting
        .as_ref()
        .and_then(|h| h.window)
        .map(|w| w.0);
    let savings = candidates.iter().map(|c| c.saving.map(i128::from));
    let currency = rules.prices.as_ref().map(|p| p.currency.as_str());
    let columns: Vec<ArrayRef> = vec![
        take("account_id")?,
        take("user_key")?,
        take("user_id")?,
        take("email")?,
        take("display_name")?,
        take("department")?,
        take("group_ids")?,
        take("status")?,
        take("plan")?,
        Arc::new(StringArray::from_iter_values(reasons)),
        Arc::new(StringArray::from_iter_values(actions)),
        take("user_created_at")?,
        take("last_login_at")?,
        Arc::new(TimestampMicrosecondArray::from_iter(signed_in).with_timezone("UTC")),
        days(|c| c.days_idle),
        days(|c| c.since_created),
        Arc::new(Int32Array::from_iter_values(thresholds)),
        Arc::new(Date32Array::from(vec![activity_start; n])),
        Arc::new(Int32Array::from_iter(candidates.iter().map(|c| c.meetings))),
        Arc::new(Date32Array::from(vec![hosting_start; n])),
        Arc::new(Decimal128Array::from_iter(savings).with_data_type(money_type())),
        repeat_option(currency, n),
        repeat_time(rules.as_of, n),
        repeat_text(&rules.run_id, n),
    ];
    RecordBatch::try_new(reclaim_schema(), columns)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use arrow_array::builder::{ListBuilder, StringBuilder};
    use chrono::{DateTime, NaiveDate};

    use super::*;

    const AS_OF: &str = "2026-12-01T00:00:00Z";

    fn micros(t: &str) -> i64 {
        t.parse::<DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp_micros()
    }

    fn day(d: &str) -> i32 {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        (NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap() - epoch).num_days() as i32
    }

    /// Licensed users: (key, status, created, last login).
    fn licenses(users: &[(&str, &str, Option<&str>, Option<&str>)]) -> RecordBatch {
        let text = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
        let time = |values: Vec<Option<&str>>| {
            let values = values.into_iter().map(|t| t.map(micros));
            Arc::new(TimestampMicrosecondArray::from_iter(values).with_timezone("UTC")) as ArrayRef
        };
        let each = |value: &str| vec![value.to_string(); users.len()];
        let keys: Vec<String> = users.iter().map(|u| u.0.to_string()).collect();
        let emails = keys.iter().map(|k| format!("{k}@example.com")).collect();
        let mut groups = ListBuilder::new(StringBuilder::new());
        users.iter().for_each(|_| groups.append_value([Some("g1")]));
        let columns = vec![
            text(each("acct")),
            text(keys.clone()),
            text(keys.clone()),
            text(emails),
            text(keys),
            text(each("Sales")),
            Arc::new(groups.finish()) as ArrayRef,
            text(users.iter().map(|u| u.1.to_string()).collect()),
            text(each("licensed")),
            time(users.iter().map(|u| u.2).collect()),
            time(users.iter().map(|u| u.3).collect()),
        ];
        RecordBatch::try_new(license_columns(), columns).unwrap()
    }

    fn rules(idle_days: u32) -> ReclaimRules {
        ReclaimRules {
            idle_days,
            pending_days: 30,
            as_of: micros(AS_OF),
            run_id: "r".into(),
            prices: None,
            keep: KeepList::default(),
        }
    }

    /// The hosts report over the 90 days 2026-09-03..2026-12-01 with these meetings per key.
    fn hosting(meetings: &[(&str, i32)]) -> Hosting {
        Hosting {
            meetings: meetings.iter().map(|(k, m)| (fingerprint(k), *m)).collect(),
            window: Some((day("2026-09-03"), day("2026-12-01"))),
        }
    }

    /// The reasons listed, by key, and the stats.
    fn reclaim(
        rules: ReclaimRules,
        evidence: Evidences,
        batch: &RecordBatch,
    ) -> (HashMap<String, String>, ReclaimStats) {
        let mut reclaimer = Reclaimer::new(rules, evidence);
        let mut listed = HashMap::new();
        if let Some(rows) = reclaimer.push(batch).unwrap() {
            let keys = text_of(&rows, "user_key").unwrap();
            let reasons = text_of(&rows, "reason").unwrap();
            for row in 0..rows.num_rows() {
                listed.insert(keys.value(row).into(), reasons.value(row).into());
            }
        }
        (listed, reclaimer.stats().clone())
    }

    const OLD: Option<&str> = Some("2024-01-01T00:00:00Z");
    const RECENT: Option<&str> = Some("2026-11-20T00:00:00Z");
    const LONG_AGO: Option<&str> = Some("2026-06-01T00:00:00Z");

    #[test]
    fn a_host_with_an_old_login_is_not_idle_when_the_window_is_within_the_threshold() {
        let batch = licenses(&[("host", "active", OLD, LONG_AGO)]);
        let evidence = || Evidences {
            hosting: Some(hosting(&[("host", 3)])),
            ..Evidences::default()
        };
        let (listed, stats) = reclaim(rules(90), evidence(), &batch);
        assert!(listed.is_empty());
        assert_eq!(stats.hosting_without_login, 1);
        assert_eq!(stats.seat_use.hosting, Some(1));
        // A 30-day threshold inside a 90-day window: the meetings may be older than 30 days.
        let (listed, stats) = reclaim(rules(30), evidence(), &batch);
        assert_eq!(listed["host"], "idle");
        assert_eq!(stats.hosting_without_login, 0);
        assert_eq!((stats.seat_use.hosting, stats.seat_use.idle), (Some(0), 1));
    }

    #[test]
    fn not_hosting_needs_a_seen_user_who_existed_on_the_window_s_first_day() {
        let batch = licenses(&[
            ("before", "active", OLD, RECENT),
            ("at_start", "active", Some("2026-09-03T00:00:00Z"), RECENT),
            (
                "after_start",
                "active",
                Some("2026-09-03T00:00:01Z"),
                RECENT,
            ),
            ("unaged", "active", None, RECENT),
            // Never seen, too new for never_logged_in (120 days): no use to downgrade.
            ("never_seen", "active", Some("2026-08-15T00:00:00Z"), None),
            ("pending", "pending", Some("2026-11-25T00:00:00Z"), None),
            ("hosts", "active", OLD, RECENT),
        ]);
        let keys = [
            "before",
            "at_start",
            "after_start",
            "unaged",
            "never_seen",
            "pending",
        ];
        let mut meetings: Vec<(&str, i32)> = keys.iter().map(|k| (*k, 0)).collect();
        meetings.push(("hosts", 1));
        let evidence = Evidences {
            hosting: Some(hosting(&meetings)),
            ..Evidences::default()
        };
        let (listed, stats) = reclaim(rules(120), evidence, &batch);
        let want: HashMap<String, String> =
            [("before", "not_hosting"), ("at_start", "not_hosting")]
                .iter()
                .map(|(k, r)| (k.to_string(), r.to_string()))
                .collect();
        assert_eq!(listed, want);
        assert_eq!(stats.not_hosting_unaged, 1);
        assert_eq!(stats.by_reason[&ReclaimReason::NotHosting], 2);
        // Each seat in one category: the four seen, the one never seen, the invitation, the host.
        let used = &stats.seat_use;
        let want = SeatUse {
            pending: 1,
            hosting: Some(1),
            seen: 4,
            idle: 0,
            never_logged_in: 1,
        };
        assert_eq!(*used, want);
        assert_eq!(stats.hosting_days, Some(90));
    }

    #[test]
    fn without_the_hosts_report_not_hosting_is_not_judged() {
        let batch = licenses(&[("u", "active", OLD, RECENT)]);
        let (listed, stats) = reclaim(rules(90), Evidences::default(), &batch);
        assert!(listed.is_empty());
        assert!(!stats.by_reason.contains_key(&ReclaimReason::NotHosting));
        assert_eq!(stats.hosting_days, None);
    }

    #[test]
    fn a_removal_saves_the_seat_and_add_ons_and_a_downgrade_the_seat_only() {
        let batch = licenses(&[
            ("idle", "active", OLD, LONG_AGO),
            ("quiet", "active", OLD, RECENT),
        ]);
        let addons: HashMap<u128, Vec<String>> = ["idle", "quiet"]
            .iter()
            .map(|k| (fingerprint(k), vec!["webinar".into(), "unpriced".into()]))
            .collect();
        let evidence = Evidences {
            hosting: Some(hosting(&[("idle", 0), ("quiet", 0)])),
            addons: Some(AddonsHeld { by_user: addons }),
            ..Evidences::default()
        };
        let mut rules = rules(90);
        rules.prices = Some(PriceList {
            currency: "EUR".into(),
            seat: 1000,
            addons: [("webinar".to_string(), 4000)].into(),
        });
        let mut reclaimer = Reclaimer::new(rules, evidence);
        let rows = reclaimer.push(&batch).unwrap().unwrap();
        let savings = column(&rows, "monthly_saving").unwrap();
        let savings = savings.as_primitive::<arrow_array::types::Decimal128Type>();
        let reasons = text_of(&rows, "reason").unwrap();
        let got: HashMap<&str, i128> = (0..rows.num_rows())
            .map(|r| (reasons.value(r), savings.value(r)))
            .collect();
        assert_eq!(got, HashMap::from([("idle", 5000), ("not_hosting", 1000)]));
        let saving = reclaimer.stats().monthly_saving.clone().unwrap();
        assert_eq!(saving.total, 6000);
        assert_eq!(saving.by_reason[&ReclaimReason::NotHosting], 1000);
        assert!(saving.addons_counted);
    }
}
