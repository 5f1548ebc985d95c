//! What a reader of one dataset is: which endpoint's pages it reads, how a page becomes batches of
//! its tables, and what it yields when the run ends. The [`Transformer`](crate::Transformer)
//! holds one reader per dataset and hands each page to the one that reads it.

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use extractor::{Endpoint, Page};

use crate::context::RunContext;
use crate::row::LicenseRow;
use crate::stats::TransformStats;
use crate::table::Table;

/// The batches made from one page (or, last, the activity table), each for its table.
#[derive(Debug, Clone, Default)]
pub struct TransformedPage {
    /// Non-empty batches and the table each belongs to.
    pub batches: Vec<(Table, RecordBatch)>,
}

impl TransformedPage {
    /// Batches for the tables they name, the empty ones left out.
    pub fn of(batches: impl IntoIterator<Item = (Table, RecordBatch)>) -> Self {
        TransformedPage {
            batches: batches
                .into_iter()
                .filter(|(_, b)| b.num_rows() > 0)
                .collect(),
        }
    }

    /// The batch for `table`, if the page gave one.
    pub fn batch(&self, table: Table) -> Option<&RecordBatch> {
        self.batches
            .iter()
            .find_map(|(t, b)| (*t == table).then_some(b))
    }
}

/// Why the transform could not go on.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A batch could not be built.
    #[error("cannot build a record batch: {0}")]
    Batch(#[from] ArrowError),
    /// The page is not a page of user records.
    #[error("page {sequence}: {reason}")]
    Page {
        /// The page's position in the run.
        sequence: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl TransformError {
    /// What is wrong with `page`.
    pub fn page(page: &Page, reason: impl Into<String>) -> Self {
        TransformError::Page {
            sequence: page.sequence,
            reason: reason.into(),
        }
    }
}

/// Turns the pages of one dataset into batches of its tables, and counts what it decided.
pub trait PageReader: Send {
    /// Whether it reads the pages of `endpoint`.
    fn reads(&self, endpoint: &Endpoint) -> bool;

    /// One page's batches; each license row it makes is told to `followers`, in page order.
    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError>;

    /// Hears of a license row another reader made; `Err` says why it cannot be taken.
    fn follow_user(&mut self, _row: &LicenseRow<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Ends the run: puts its counts into `stats` and gives the batches it held until the end.
    fn finish(
        self: Box<Self>,
        run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError>;
}

/// The readers other than the one reading a page: they hear of every license row it makes.
pub struct Followers<'a> {
    before: &'a mut [Box<dyn PageReader>],
    after: &'a mut [Box<dyn PageReader>],
}

impl<'a> Followers<'a> {
    /// The readers of `readers` but the one at `index`, and that one.
    pub fn around(
        readers: &'a mut [Box<dyn PageReader>],
        index: usize,
    ) -> Option<(&'a mut Box<dyn PageReader>, Self)> {
        let (before, rest) = readers.split_at_mut(index);
        let (reader, after) = rest.split_first_mut()?;
        Some((reader, Followers { before, after }))
    }

    /// Tells every follower of `row`, in the readers' order.
    pub fn user(&mut self, row: &LicenseRow<'_>) -> Result<(), String> {
        self.before
            .iter_mut()
            .chain(self.after.iter_mut())
            .try_for_each(|reader| reader.follow_user(row))
    }
}
