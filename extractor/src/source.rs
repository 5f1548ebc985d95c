//! The `PageSource` trait: anything that produces Zoom users pages, live or replayed.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::ExtractError;
use crate::page::UsersPage;
use crate::status::UserStatus;

/// Produces users pages into a bounded channel, so the stages after it set the pace.
pub trait PageSource: Send {
    /// Sends every page in fetch order, then reports what was read.
    fn run(
        self,
        pages: mpsc::Sender<UsersPage>,
    ) -> impl Future<Output = Result<SourceReport, ExtractError>> + Send;
}

/// What a source read, per status, for the manifest.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SourceReport {
    /// The Zoom account the pages belong to, when known.
    pub account_id: Option<String>,
    /// Pages read across all statuses.
    pub pages: u64,
    /// Pages and users per status.
    pub statuses: BTreeMap<UserStatus, StatusReport>,
    /// Requests, retries and limits, for live runs.
    pub api: Option<crate::live::ApiReport>,
}

/// Pages and users of one status sweep.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StatusReport {
    /// Pages read.
    pub pages: u64,
    /// User records received (for replayed pages, counted once the transform has read them).
    pub users_received: u64,
    /// `total_records` as Zoom last reported it, when it did.
    pub total_records: Option<u64>,
    /// Times the sweep restarted from its first page (an expired page token).
    pub restarts: u64,
}

impl SourceReport {
    /// Counts one page into the report.
    pub fn count_page(&mut self, page: &UsersPage) {
        self.pages += 1;
        self.statuses
            .entry(page.status)
            .or_default()
            .count_page(page);
    }
}

impl StatusReport {
    /// Counts one page of this status.
    pub fn count_page(&mut self, page: &UsersPage) {
        self.pages += 1;
        self.users_received += page.record_count().unwrap_or(0) as u64;
        if let Some(total) = page.meta.total_records {
            self.total_records = Some(total);
        }
    }
}
