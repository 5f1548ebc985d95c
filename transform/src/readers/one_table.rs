//! The datasets whose every page becomes rows of one table, through a state made on their first
//! page (so their counts reach the manifest only when a page arrived): each is one [`OneTable`].

use arrow_array::RecordBatch;
use extractor::zoom::groups::GROUPS;
use extractor::zoom::roles::ROLES;
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::{Endpoint, Page};

use crate::addons::{AddonTally, addon_rows};
use crate::context::RunContext;
use crate::directory::ListReader;
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::stats::TransformStats;
use crate::table::Table;

/// A dataset of one table: its endpoint, its table, how a page becomes rows, where its counts go.
pub struct OneTable<S: 'static> {
    endpoint: &'static Endpoint,
    table: Table,
    rows: fn(&mut S, &Page, &RunContext) -> Result<RecordBatch, TransformError>,
    stats: fn(S, &mut TransformStats),
}

/// Each user's settings into `zoom_user_addons`.
pub const ADDONS: OneTable<AddonTally> = OneTable {
    endpoint: &USER_SETTINGS,
    table: Table::UserAddons,
    rows: |tally, page, run| {
        addon_rows(page, run, tally).map_err(|e| TransformError::page(page, e))
    },
    stats: |tally, stats| stats.addons = Some(tally.stats),
};

/// `GET /groups` into `zoom_groups`.
pub const GROUPS_LIST: OneTable<ListReader> = OneTable {
    endpoint: &GROUPS,
    table: Table::Groups,
    rows: |reader, page, run| Ok(reader.groups(page, run)?),
    stats: |reader, stats| stats.groups = Some(reader.stats),
};

/// `GET /roles` into `zoom_roles`.
pub const ROLES_LIST: OneTable<ListReader> = OneTable {
    endpoint: &ROLES,
    table: Table::Roles,
    rows: |reader, page, run| Ok(reader.roles(page, run)?),
    stats: |reader, stats| stats.roles = Some(reader.stats),
};

/// Reads the pages of a [`OneTable`] dataset.
pub struct OneTableReader<S: 'static> {
    dataset: &'static OneTable<S>,
    state: Option<S>,
}

impl<S> OneTableReader<S> {
    /// A reader of `dataset`, its state not made yet.
    pub fn new(dataset: &'static OneTable<S>) -> Self {
        OneTableReader {
            dataset,
            state: None,
        }
    }
}

impl<S: Default + Send> PageReader for OneTableReader<S> {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint == self.dataset.endpoint
    }

    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        _followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let state = self.state.get_or_insert_with(S::default);
        let batch = (self.dataset.rows)(state, page, run)?;
        Ok(TransformedPage::of([(self.dataset.table, batch)]))
    }

    fn finish(
        self: Box<Self>,
        _run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        if let Some(state) = self.state {
            (self.dataset.stats)(state, stats);
        }
        Ok(TransformedPage::default())
    }
}
