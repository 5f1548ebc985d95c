//! The sign-in report's pages into `zoom_signin_events`, and at the end `zoom_user_activity`: every
//! license row with its sign-ins.

use extractor::zoom::activities::ACTIVITIES;
use extractor::{Endpoint, Page};

use crate::activity::ActivityTracker;
use crate::context::RunContext;
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::row::LicenseRow;
use crate::stats::TransformStats;
use crate::table::Table;

/// Reads the sign-in report, following the license table's users; idle when the run does not
/// read the report.
pub struct SigninReader {
    tracker: Option<ActivityTracker>,
}

impl SigninReader {
    /// A reader for the window `ctx` asks for, if any.
    pub fn new(ctx: &RunContext) -> Self {
        SigninReader {
            tracker: ctx.activity.clone().map(ActivityTracker::new),
        }
    }
}

impl PageReader for SigninReader {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint == &ACTIVITIES
    }

    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        _followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let Some(tracker) = &mut self.tracker else {
            let reason = "sign-in events, but the run does not read them";
            return Err(TransformError::page(page, reason));
        };
        let events = tracker
            .events(page, run)
            .map_err(|e| TransformError::page(page, e))?;
        Ok(TransformedPage::of([(Table::SigninEvents, events)]))
    }

    fn follow_user(&mut self, row: &LicenseRow<'_>) -> Result<(), String> {
        self.tracker.as_mut().map_or(Ok(()), |t| t.add_user(row))
    }

    fn finish(
        self: Box<Self>,
        run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        let Some(tracker) = self.tracker else {
            return Ok(TransformedPage::default());
        };
        let (batches, activity) = tracker.finish(run)?;
        stats.activity = Some(activity);
        let batches = batches.into_iter().map(|b| (Table::UserActivity, b));
        Ok(TransformedPage::of(batches))
    }
}
