//! What the per-user tables of the reports share (`zoom_user_activity`, `zoom_host_usage`): one row
//! per license row, a report's record finding its user by email, the rows ending with the window
//! and the run.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array};
use chrono::NaiveDate;
use xxhash_rust::xxh3::xxh3_128;

use crate::batch::{repeat_option, repeat_time};
use crate::context::{RunContext, Window};

/// XXH3-128 of a lower-cased, trimmed email: the key a report's email finds its user by.
pub(crate) fn email_key(email: &str) -> u128 {
    xxh3_128(email.trim().to_lowercase().as_bytes())
}

/// Indexes license row `index`, of `status`, under `email`. An invitation accepted during the run
/// leaves a pending and an active user with one email, in either order (the statuses are read at
/// once): the active one keeps it. `status_of` gives an indexed row's status.
pub(crate) fn index_email<'a>(
    by_email: &mut HashMap<u128, usize>,
    email: &str,
    index: usize,
    status: &str,
    status_of: impl Fn(usize) -> &'a str,
) {
    let slot = by_email.entry(email_key(email)).or_insert(index);
    if status == "active" && status_of(*slot) != "active" {
        *slot = index;
    }
}

/// The last columns of a per-user table of `n` rows: `window_start`, `window_end`,
/// `extracted_at`, `run_id`.
pub(crate) fn window_and_run(window: Window, run: &RunContext, n: usize) -> [ArrayRef; 4] {
    // Date32: days since 1970-01-01 (NaiveDate's default).
    let days = |d: NaiveDate| (d - NaiveDate::default()).num_days() as i32;
    [
        Arc::new(Date32Array::from(vec![days(window.from); n])),
        Arc::new(Date32Array::from(vec![days(window.to); n])),
        repeat_time(run.extracted_at_micros, n),
        repeat_option(Some(&run.run_id), n),
    ]
}
