//! The numbers a report shows, each with where it came from: filled by the caller from a day's
//! manifests and tables, rendered by [`crate::render`].

use std::collections::BTreeMap;

use chrono::NaiveDate;

/// One day's report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The day (the partition date, or the run's date for a file run).
    pub date: Option<NaiveDate>,
    /// Every account of the day, in name order.
    pub accounts: Vec<AccountDay>,
    /// One point per earlier partition date with the day's, oldest first (summed over accounts).
    pub trend: Vec<TrendPoint>,
    /// How many days back the trend looked.
    pub trend_days: u32,
    /// Whether the runs are partitions (a trend can have earlier points), not files.
    pub partitioned: bool,
    /// The tool's version.
    pub tool_version: String,
}

/// An amount of money in hundredths of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// Three-letter currency code.
    pub currency: String,
    /// Hundredths (cents).
    pub hundredths: u64,
}

/// One account's day.
#[derive(Debug, Clone, Default)]
pub struct AccountDay {
    /// The account's name (its partition's `account=`, else its Zoom account id).
    pub account: String,
    /// The extract's run id.
    pub run_id: String,
    /// The extract's `extracted_at` (RFC 3339).
    pub extracted_at: String,
    /// Rows per plan (`zoom_users`).
    pub by_plan: BTreeMap<String, u64>,
    /// Pending invitations, on any plan.
    pub pending_invitations: u64,
    /// Licensed seats: active and pending users on plan `licensed` (the reclaim's count; the
    /// licensed rows without one).
    pub licensed_seats: u64,
    /// How the licensed seats are used, as the day's reclaim judged them (`None`: no reclaim).
    pub usage: Option<Usage>,
    /// Tables that would have answered more, and the flag that adds each.
    pub missing: Vec<Missing>,
    /// The day's `reclaim`, when it ran.
    pub reclaim: Option<ReclaimDay>,
    /// The day's `changes`, when it ran.
    pub changes: Option<ChangesDay>,
    /// The tables and manifests every number came from.
    pub sources: Vec<String>,
}

/// Licensed seats by use: each seat counted once, in the first category that holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Pending invitations on plan `licensed`.
    pub pending: u64,
    /// Active users who hosted a meeting in the hosts report's window (`None`: not read).
    pub hosting: Option<u64>,
    /// Active users seen (login or sign-in) within `idle_days` who hosted nothing (all the seen
    /// ones without the hosts report).
    pub seen: u64,
    /// Active users last seen `idle_days` or more ago.
    pub idle: u64,
    /// Active users never seen.
    pub never_logged_in: u64,
    /// The idle threshold used (the day's reclaim's).
    pub idle_days: u32,
    /// Whether sign-ins (the sign-in report) counted as being seen.
    pub with_activity: bool,
}

impl Usage {
    /// Seats in use: hosting, or seen within the idle threshold.
    pub fn in_use(&self) -> u64 {
        self.hosting.unwrap_or(0) + self.seen
    }
}

/// A table the run did not write that would have answered more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The table.
    pub table: String,
    /// What it would have shown.
    pub shows: String,
    /// The flag that adds it.
    pub flag: String,
}

/// The day's reclaim of one account.
#[derive(Debug, Clone, Default)]
pub struct ReclaimDay {
    /// Seats listed.
    pub candidates: u64,
    /// Seats listed per reason.
    pub by_reason: BTreeMap<String, u64>,
    /// What they save a month, with a price list.
    pub saving: Option<Money>,
    /// What they save a month per reason, with a price list (hundredths of `saving`'s currency).
    pub saving_by_reason: BTreeMap<String, u64>,
    /// The listed seats, as the table holds them.
    pub rows: Vec<Candidate>,
}

/// One reclaim candidate.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// `idle`, `never_logged_in`, `pending_invitation` or `not_hosting`.
    pub reason: String,
    /// `remove` or `downgrade_to_basic`.
    pub action: String,
    /// The user's email.
    pub email: String,
    /// The user's display name.
    pub display_name: Option<String>,
    /// The user's department.
    pub department: Option<String>,
    /// Whole days since last seen.
    pub days_idle: Option<i32>,
    /// Whole days since the user was created.
    pub days_since_created: Option<i32>,
    /// The last login (RFC 3339).
    pub last_login_at: Option<String>,
    /// The last sign-in of the sign-in report's window (RFC 3339).
    pub last_sign_in_at: Option<String>,
    /// Meetings hosted in the hosts report's window.
    pub meetings_hosted: Option<i32>,
    /// What reclaiming the seat saves a month.
    pub saving: Option<Money>,
    /// Paid add-ons the user holds (empty without the add-ons table).
    pub addons: Vec<String>,
}

/// The day's changes of one account, against its previous partition.
#[derive(Debug, Clone, Default)]
pub struct ChangesDay {
    /// When the run compared with was extracted (RFC 3339).
    pub since: Option<String>,
    /// Changes per kind (`joined`, `left`, …).
    pub by_change: BTreeMap<String, u64>,
    /// The first rows of the changes table.
    pub first_rows: Vec<ChangeRow>,
}

/// One row of the changes table.
#[derive(Debug, Clone, Default)]
pub struct ChangeRow {
    /// The kind of change.
    pub change: String,
    /// The user's email.
    pub email: String,
    /// The value before (plan, department…), when it changed.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
}

/// One partition date of the trend, summed over accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    /// The partition date.
    pub date: NaiveDate,
    /// Licensed rows.
    pub licensed: u64,
    /// Basic rows.
    pub basic: u64,
    /// Pending invitations, on any plan.
    pub pending: u64,
    /// Reclaim candidates, when every account of the date was reclaimed.
    pub reclaimable: Option<u64>,
}
