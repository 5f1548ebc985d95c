//! What the caller tells the transform about the run: it stamps every row with it, and the rules
//! never read the clock.

use chrono::NaiveDate;

/// What a run stamps on every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    /// The run id written to every row.
    pub run_id: String,
    /// The Zoom account, when known.
    pub account_id: Option<String>,
    /// `extracted_at`, microseconds since the epoch, UTC.
    pub extracted_at_micros: i64,
    /// The sign-in report's window and options, when the run reads it.
    pub activity: Option<ActivityContext>,
    /// The active-hosts report's window, when the run reads it.
    pub hosting: Option<Window>,
}

/// What the run asked of the sign-in report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityContext {
    /// The window's first day (inclusive).
    pub from: NaiveDate,
    /// The window's last day (inclusive).
    pub to: NaiveDate,
    /// Whether to keep each event's IP address.
    pub with_ip: bool,
}

/// A window of days, first and last inclusive: what a report was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}
