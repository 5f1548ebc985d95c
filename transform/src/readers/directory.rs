//! The account's groups and roles pages into `zoom_groups` and `zoom_roles`: one reader, two lists.

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use extractor::zoom::groups::GROUPS;
use extractor::zoom::roles::ROLES;
use extractor::{Endpoint, Page};

use crate::context::RunContext;
use crate::directory::{ListReader, ListStats};
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::stats::TransformStats;
use crate::table::Table;

/// One list of the account: its endpoint, its table, how a page becomes rows, where its counts go.
pub struct DirectoryList {
    endpoint: &'static Endpoint,
    table: Table,
    rows: fn(&mut ListReader, &Page, &RunContext) -> Result<RecordBatch, ArrowError>,
    stats: fn(&mut TransformStats) -> &mut Option<ListStats>,
}

/// `GET /groups` into `zoom_groups`.
pub const GROUPS_LIST: DirectoryList = DirectoryList {
    endpoint: &GROUPS,
    table: Table::Groups,
    rows: ListReader::groups,
    stats: |stats| &mut stats.groups,
};

/// `GET /roles` into `zoom_roles`.
pub const ROLES_LIST: DirectoryList = DirectoryList {
    endpoint: &ROLES,
    table: Table::Roles,
    rows: ListReader::roles,
    stats: |stats| &mut stats.roles,
};

/// Reads one list; its counts are in the manifest once a page of it arrived.
pub struct ListPages {
    list: &'static DirectoryList,
    reader: Option<ListReader>,
}

impl ListPages {
    /// A reader of `list`.
    pub fn new(list: &'static DirectoryList) -> Self {
        ListPages { list, reader: None }
    }
}

impl PageReader for ListPages {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint == self.list.endpoint
    }

    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        _followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let reader = self.reader.get_or_insert_with(ListReader::default);
        let batch = (self.list.rows)(reader, page, run)?;
        Ok(TransformedPage::of([(self.list.table, batch)]))
    }

    fn finish(
        self: Box<Self>,
        _run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        *(self.list.stats)(stats) = self.reader.map(|r| r.stats);
        Ok(TransformedPage::default())
    }
}
