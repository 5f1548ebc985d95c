//! Where pages come from: the [`PageSource`] trait, its live and replayed sources, the recorded-run
//! format that joins them, and the report of what a source read.

pub mod guard;
pub mod live;
pub mod recording;
pub mod replay;

use std::future::Future;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::ExtractError;
use crate::http::RequestStats;
pub use crate::zoom::endpoint::FollowUp;
use crate::zoom::endpoint::PageRequest;
use crate::zoom::page::Page;

/// Requests that follow from the pages of the earlier phases (a licensed user's settings for each
/// such user listed): a live run asks them as a last phase; a replay requires their answers.
pub type FollowUps = std::sync::Arc<dyn Fn(&Page) -> FollowUp + Send + Sync>;

/// Produces pages into a bounded channel, so the stages after it set the pace.
pub trait PageSource: Send {
    /// Sends every page in fetch order, then reports what was read.
    fn run(
        self,
        pages: mpsc::Sender<Page>,
    ) -> impl Future<Output = Result<SourceReport, ExtractError>> + Send;
}

/// What a source read, for the manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceReport {
    /// The Zoom account the pages belong to, when known.
    pub account_id: Option<String>,
    /// Pages read across all sweeps.
    pub pages: u64,
    /// Records on those pages, repeats included: every one must become a row, a rejection or a
    /// counted duplicate.
    pub records: u64,
    /// What each sweep read, in the order the sweeps were asked for (or first recorded).
    pub sweeps: Vec<SweepReport>,
    /// Requests, retries and limits, for live runs.
    pub api: Option<ApiReport>,
    /// Follow-ups that could not be asked for (each item once), see [`FollowUp::unaskable`].
    pub unaskable: u64,
}

/// The pages and records of one sweep: a first page and the pages its tokens led to.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    /// The sweep's first request.
    pub request: PageRequest,
    /// Pages read.
    pub pages: u64,
    /// Records received; after a restart (recorded ones too), those of the last pass only.
    pub records_received: u64,
    /// `total_records` as Zoom last reported it, when it did.
    pub total_records: Option<u64>,
    /// Times the sweep restarted from its first page (an expired page token).
    pub restarts: u64,
    /// Whether the item asked for was gone (a user deleted since the list), so nothing was read.
    pub gone: bool,
}

impl SweepReport {
    /// An empty report of the sweep starting with `request`.
    pub fn new(request: PageRequest) -> Self {
        SweepReport {
            request,
            pages: 0,
            records_received: 0,
            total_records: None,
            restarts: 0,
            gone: false,
        }
    }

    /// Counts one page of this sweep.
    pub fn count_page(&mut self, page: &Page) {
        self.pages += 1;
        self.records_received += page.record_count() as u64;
        self.total_records = page.meta.total_records.or(self.total_records);
    }
}

/// What the live source adds to the report.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct ApiReport {
    /// The API base URL.
    pub api_url: String,
    /// The requests per second the run allowed itself (`--max-rps`, the accounts file, or 10).
    pub max_rps: u32,
    /// The requests per second to Heavy endpoints, when the run read one (`--activity-max-rps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heavy_max_rps: Option<u32>,
    /// The page size of the first phase's sweeps (the users) in the end.
    pub page_size: u32,
    /// Whether Zoom refused the requested page size and 300 was used instead.
    pub page_size_fallback: bool,
    /// Requests, retries, 429s, waits and token renewals.
    #[serde(flatten)]
    pub requests: RequestStats,
}
