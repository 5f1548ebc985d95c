//! The active-hosts report's pages, and at the end `zoom_host_usage`: every license row with the
//! meetings it hosted.

use extractor::zoom::host_report::HOST_REPORT;
use extractor::{Endpoint, Page};

use crate::context::RunContext;
use crate::hosting::HostTracker;
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::row::LicenseRow;
use crate::stats::TransformStats;
use crate::table::Table;

/// Reads the active-hosts report, following the license table's users; idle when the run does
/// not read the report.
pub struct HostingReader {
    tracker: Option<HostTracker>,
}

impl HostingReader {
    /// A reader for the window `ctx` asks for, if any.
    pub fn new(ctx: &RunContext) -> Self {
        HostingReader {
            tracker: ctx.hosting.map(HostTracker::new),
        }
    }
}

impl PageReader for HostingReader {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint == &HOST_REPORT
    }

    fn read(
        &mut self,
        page: &Page,
        _run: &RunContext,
        _followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let Some(tracker) = &mut self.tracker else {
            let reason = "hosts of the active-hosts report, but the run does not read it";
            return Err(TransformError::page(page, reason));
        };
        tracker.hosts(page);
        Ok(TransformedPage::default())
    }

    fn follow_user(&mut self, row: &LicenseRow<'_>) -> Result<(), String> {
        match &mut self.tracker {
            Some(tracker) => tracker.add_user(row),
            None => Ok(()),
        }
    }

    fn finish(
        self: Box<Self>,
        run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        let Some(tracker) = self.tracker else {
            return Ok(TransformedPage::default());
        };
        let (batches, hosting) = tracker.finish(run)?;
        stats.hosting = Some(hosting);
        let batches = batches.into_iter().map(|b| (Table::HostUsage, b));
        Ok(TransformedPage::of(batches))
    }
}
