//! Each user's settings page into `zoom_user_addons`.

use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::{Endpoint, Page};

use crate::addons::{AddonTally, addon_rows};
use crate::context::RunContext;
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::stats::TransformStats;
use crate::table::Table;

/// Reads users' settings; its counts are in the manifest once a settings page arrived.
#[derive(Default)]
pub struct AddonReader {
    tally: Option<AddonTally>,
}

impl PageReader for AddonReader {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint == &USER_SETTINGS
    }

    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        _followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let tally = self.tally.get_or_insert_with(AddonTally::default);
        let batch = addon_rows(page, run, tally).map_err(|e| TransformError::page(page, e))?;
        Ok(TransformedPage::of([(Table::UserAddons, batch)]))
    }

    fn finish(
        self: Box<Self>,
        _run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        stats.addons = self.tally.map(|t| t.stats);
        Ok(TransformedPage::default())
    }
}
