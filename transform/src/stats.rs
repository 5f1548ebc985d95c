//! Counts kept while transforming, for the manifest and the run summary.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::row::{LicenseRow, RejectReason};

/// What the transform saw and decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransformStats {
    /// User records read, repeats included.
    pub users_seen: u64,
    /// Rows emitted to the license table.
    pub rows: u64,
    /// Records rejected, per reason.
    pub rejects: BTreeMap<RejectReason, u64>,
    /// Records dropped because their user key was already seen.
    pub duplicates: u64,
    /// Rows per plan name.
    pub by_plan: BTreeMap<String, u64>,
    /// Rows per status.
    pub by_status: BTreeMap<String, u64>,
    /// Rows of active users per plan name (held against Zoom's own counts).
    pub active_by_plan: BTreeMap<String, u64>,
    /// The sign-in report's counts, when the run read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<crate::activity::ActivityStats>,
    /// The users' settings and add-ons, when the run read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<crate::addons::AddonStats>,
    /// The groups' counts, when the run read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<crate::directory::ListStats>,
    /// The roles' counts, when the run read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<crate::directory::ListStats>,
    /// The active-hosts report's counts, when the run read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosting: Option<crate::hosting::HostingStats>,
}

impl TransformStats {
    /// Records read, of every endpoint, repeats included.
    pub fn records_read(&self) -> u64 {
        let lists = [&self.groups, &self.roles].into_iter().flatten();
        self.users_seen
            + self.activity.as_ref().map_or(0, |a| a.events_seen)
            + self.hosting.as_ref().map_or(0, |h| h.hosts_seen)
            + lists.map(|l| l.seen).sum::<u64>()
    }

    /// Records decided: rows, rejects and counted repeats, of every endpoint. Equal to
    /// [`TransformStats::records_read`] when nothing was lost.
    pub fn records_decided(&self) -> u64 {
        let lists = [&self.groups, &self.roles].into_iter().flatten();
        self.rows
            + self.rejects.values().sum::<u64>()
            + self.duplicates
            + self
                .activity
                .as_ref()
                .map_or(0, |a| a.events_written + a.duplicates)
            + self.hosting.as_ref().map_or(0, |h| h.decided())
            + lists.map(|l| l.written + l.duplicates).sum::<u64>()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &TransformStats) {
        self.users_seen += other.users_seen;
        self.rows += other.rows;
        self.duplicates += other.duplicates;
        for (reason, n) in &other.rejects {
            *self.rejects.entry(*reason).or_default() += n;
        }
        merge(&mut self.by_plan, &other.by_plan);
        merge(&mut self.by_status, &other.by_status);
        merge(&mut self.active_by_plan, &other.active_by_plan);
    }

    /// Counts a row of the license table: its plan and status.
    pub(crate) fn count_row(&mut self, row: &LicenseRow<'_>) {
        self.rows += 1;
        bump(&mut self.by_plan, row.plan);
        bump(&mut self.by_status, &row.status);
        if row.status == "active" {
            bump(&mut self.active_by_plan, row.plan);
        }
    }
}

/// Adds one to `key`'s count, allocating its name only the first time.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

/// Adds the counts of `other` to those of `counts`.
fn merge(counts: &mut BTreeMap<String, u64>, other: &BTreeMap<String, u64>) {
    for (key, n) in other {
        *counts.entry(key.clone()).or_default() += n;
    }
}
