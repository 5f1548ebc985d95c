//! How a run's licensed seats are used, each seat in one category: pending, hosting (with the
//! hosts report), seen lately, idle, never seen. What a report shows beside the reclaim list.

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use arrow_schema::ArrowError;

use crate::columns::{column, fingerprint, text_of};
use crate::plan::Plan;
use crate::reclaim::{Hosting, SignIns};

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// Licensed seats per use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeatUse {
    /// Pending invitations.
    pub pending: u64,
    /// Active users who hosted a meeting in the window (0 without the report).
    pub hosting: u64,
    /// Active users seen within the idle threshold who hosted nothing.
    pub seen: u64,
    /// Active users last seen at least the idle threshold ago (and not hosting).
    pub idle: u64,
    /// Active users never seen (and not hosting).
    pub never_logged_in: u64,
}

/// Counts [`SeatUse`] over batches of `reclaim::license_columns`.
#[derive(Debug)]
pub struct UseCounter {
    idle_days: u32,
    as_of: i64,
    sign_ins: Option<SignIns>,
    hosting: Option<Hosting>,
    counts: SeatUse,
}

impl UseCounter {
    /// Seats judged at `as_of` (microseconds) with the idle threshold `idle_days`.
    pub fn new(
        idle_days: u32,
        as_of: i64,
        sign_ins: Option<SignIns>,
        hosting: Option<Hosting>,
    ) -> Self {
        UseCounter {
            idle_days,
            as_of,
            sign_ins,
            hosting,
            counts: SeatUse::default(),
        }
    }

    /// Counts the licensed seats of a batch.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let keys = text_of(batch, "user_key")?;
        let status = text_of(batch, "status")?;
        let plan = text_of(batch, "plan")?;
        let login = column(batch, "last_login_at")?.as_primitive::<TimestampMicrosecondType>();
        for row in 0..batch.num_rows() {
            if plan.value(row) != Plan::Licensed.as_str() {
                continue;
            }
            let counts = &mut self.counts;
            match status.value(row) {
                "pending" => {
                    counts.pending += 1;
                    continue;
                }
                "active" => {}
                _ => continue,
            }
            let key = fingerprint(keys.value(row));
            let hosting = self.hosting.as_ref();
            if hosting
                .and_then(|h| h.meetings.get(&key))
                .is_some_and(|m| *m > 0)
            {
                counts.hosting += 1;
                continue;
            }
            let signed_in = self.sign_ins.as_ref();
            let signed_in = signed_in.and_then(|s| s.last.get(&key).copied().flatten());
            let seen = login.is_valid(row).then(|| login.value(row)).max(signed_in);
            match seen {
                None => counts.never_logged_in += 1,
                Some(at)
                    if (self.as_of - at).div_euclid(DAY_MICROS) >= i64::from(self.idle_days) =>
                {
                    counts.idle += 1
                }
                Some(_) => counts.seen += 1,
            }
        }
        Ok(())
    }

    /// The counts so far.
    pub fn counts(&self) -> &SeatUse {
        &self.counts
    }
}
