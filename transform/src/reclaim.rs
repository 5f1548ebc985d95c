//! `zoom_reclaim_candidates`: the paid seats a run's license table shows can be taken back, each
//! with its reason and the numbers behind it. Derived from a run's outputs, with no Zoom call.
//!
//! A licensed seat (plan `licensed`) is a candidate when, counted in whole days to the run's
//! `extracted_at`:
//! - `idle`: an active user whose last login (or last sign-in, when the run read the sign-in
//!   report) is at least `idle_days` old;
//! - `never_logged_in`: an active user with no login and no sign-in, created at least `idle_days`
//!   ago;
//! - `pending_invitation`: an invitation not yet accepted, created at least `pending_days` ago.
//!
//! A licensed user with no login whose creation time Zoom did not send cannot be aged: it is
//! counted (`without_creation_time`), never listed by guess.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, Date32Array, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use serde::Serialize;

use crate::activity::user_activity_schema;
use crate::batch::{repeat_text, repeat_time};
use crate::columns::{column, fingerprint, take_rows, text_of};
use crate::plan::Plan;
use crate::schema::{fields_of, license_schema, shared, text, text_list_type, timestamp_type};

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
}

impl ReclaimReason {
    /// Every reason, in the order the summary lists them.
    pub const ALL: [ReclaimReason; 3] = [
        ReclaimReason::Idle,
        ReclaimReason::NeverLoggedIn,
        ReclaimReason::PendingInvitation,
    ];

    /// Its name in the `reason` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimReason::Idle => "idle",
            ReclaimReason::NeverLoggedIn => "never_logged_in",
            ReclaimReason::PendingInvitation => "pending_invitation",
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

/// The activity table's columns a reclaim reads, when the run wrote it.
pub fn activity_columns() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        fields_of(
            &user_activity_schema(),
            &["user_key", "plan", "last_sign_in_at", "window_start"],
        )
    })
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
            Field::new("user_created_at", timestamp_type(), true),
            Field::new("last_login_at", timestamp_type(), true),
            Field::new("last_sign_in_at", timestamp_type(), true),
            Field::new("days_idle", DataType::Int32, true),
            Field::new("days_since_created", DataType::Int32, true),
            Field::new("threshold_days", DataType::Int32, false),
            Field::new("activity_window_start", DataType::Date32, true),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
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
    /// Candidates per reason (every reason listed, zeros included).
    pub by_reason: BTreeMap<ReclaimReason, u64>,
    /// Licensed users with no login whose creation time is unknown, so they cannot be aged.
    pub without_creation_time: u64,
    /// Whether the run's sign-in report counted as activity.
    pub with_activity: bool,
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

/// Each licensed user's last sign-in, from a run's `zoom_user_activity`.
#[derive(Debug, Default)]
pub struct SignIns {
    last: HashMap<u128, Option<i64>>,
    window_start: Option<i32>,
}

impl SignIns {
    /// Adds a batch of [`activity_columns`]; only licensed users are kept.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
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

/// Lists the candidates of a license table, batch by batch.
#[derive(Debug)]
pub struct Reclaimer {
    rules: ReclaimRules,
    sign_ins: Option<SignIns>,
    stats: ReclaimStats,
}

impl Reclaimer {
    /// A reclaim under `rules`, with the run's sign-ins when it read the report.
    pub fn new(rules: ReclaimRules, sign_ins: Option<SignIns>) -> Self {
        let stats = ReclaimStats {
            by_reason: ReclaimReason::ALL.iter().map(|r| (*r, 0)).collect(),
            with_activity: sign_ins.is_some(),
            ..ReclaimStats::default()
        };
        Reclaimer {
            rules,
            sign_ins,
            stats,
        }
    }

    /// The candidates among a batch of [`license_columns`] (`None` when there are none).
    pub fn push(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>, ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let status = text_of(batch, "status")?;
        let plan = text_of(batch, "plan")?;
        let created = column(batch, "user_created_at")?.as_primitive::<TimestampMicrosecondType>();
        let login = column(batch, "last_login_at")?.as_primitive::<TimestampMicrosecondType>();
        let time =
            |a: &arrow_array::TimestampMicrosecondArray, row| a.is_valid(row).then(|| a.value(row));
        let days = |at: i64| ((self.rules.as_of - at).div_euclid(DAY_MICROS)).max(0);
        let mut candidates = Vec::new();
        self.stats.users_read += batch.num_rows() as u64;
        for row in 0..batch.num_rows() {
            if plan.value(row) != Plan::Licensed.as_str() {
                continue;
            }
            let pending = match status.value(row) {
                "active" => false,
                "pending" => true,
                _ => continue,
            };
            self.stats.licensed_seats += 1;
            let signed_in = self
                .sign_ins
                .as_ref()
                .and_then(|s| s.last.get(&fingerprint(keys.value(row))).copied().flatten());
            let seen = time(login, row).max(signed_in);
            let since_created = time(created, row).map(days);
            let (reason, threshold) = match (pending, seen) {
                (true, _) => (ReclaimReason::PendingInvitation, self.rules.pending_days),
                (false, Some(_)) => (ReclaimReason::Idle, self.rules.idle_days),
                (false, None) => (ReclaimReason::NeverLoggedIn, self.rules.idle_days),
            };
            let days_idle = seen.map(days);
            let age = match reason {
                ReclaimReason::Idle => days_idle,
                _ => since_created,
            };
            let Some(age) = age else {
                self.stats.without_creation_time += 1;
                continue;
            };
            if age < i64::from(threshold) {
                continue;
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
            });
        }
        if candidates.is_empty() {
            return Ok(None);
        }
        let window = self.sign_ins.as_ref().and_then(|s| s.window_start);
        build(&candidates, batch, &self.rules, window).map(Some)
    }

    /// What the reclaim found so far.
    pub fn stats(&self) -> &ReclaimStats {
        &self.stats
    }
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
}

/// The candidates' rows: the input's columns taken at their rows, and the evidence.
fn build(
    candidates: &[Candidate],
    batch: &RecordBatch,
    rules: &ReclaimRules,
    window_start: Option<i32>,
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
    let signed_in = candidates.iter().map(|c| c.signed_in);
    let thresholds = candidates.iter().map(|c| clamp(c.threshold.into()));
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
        take("user_created_at")?,
        take("last_login_at")?,
        Arc::new(TimestampMicrosecondArray::from_iter(signed_in).with_timezone("UTC")),
        days(|c| c.days_idle),
        days(|c| c.since_created),
        Arc::new(Int32Array::from_iter_values(thresholds)),
        Arc::new(Date32Array::from(vec![window_start; n])),
        repeat_time(rules.as_of, n),
        repeat_text(&rules.run_id, n),
    ];
    RecordBatch::try_new(reclaim_schema(), columns)
}
