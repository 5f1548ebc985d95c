//! The stateful part of the transform: one page in, one license batch and one rejects batch out,
//! with repeats dropped and every decision counted.

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use extractor::UsersPage;

use crate::batch::{LicenseBatchBuilder, RejectBatchBuilder};
use crate::dedup::SeenKeys;
use crate::rules::{Outcome, RunContext, classify};
use crate::stats::TransformStats;

/// The batches made from one page.
#[derive(Debug, Clone)]
pub struct TransformedPage {
    /// Rows for the license table (possibly empty).
    pub licenses: RecordBatch,
    /// Rows for the rejects table (possibly empty).
    pub rejects: RecordBatch,
}

/// Transforms the pages of one run, in order.
pub struct Transformer {
    ctx: RunContext,
    seen: SeenKeys,
    stats: TransformStats,
    rejects: RejectBatchBuilder,
}

impl Transformer {
    /// A transformer for one run.
    pub fn new(ctx: RunContext) -> Self {
        Transformer {
            ctx,
            seen: SeenKeys::default(),
            stats: TransformStats::default(),
            rejects: RejectBatchBuilder::default(),
        }
    }

    /// Turns one page into batches.
    pub fn transform_page(&mut self, page: &UsersPage) -> Result<TransformedPage, ArrowError> {
        // A sweep's first page says how many users it has: size the key set once for all of them.
        if page.meta.page_number == Some(1)
            && let Some(total) = page.meta.total_records
        {
            self.seen.reserve(usize::try_from(total).unwrap_or(0));
        }
        let mut licenses = LicenseBatchBuilder::with_capacity(page.len());
        for raw in page.users() {
            self.stats.users_seen += 1;
            let outcome = classify(raw, page.status);
            if let Some(key) = outcome.user_key()
                && !self.seen.insert(key)
            {
                self.stats.duplicates += 1;
                continue;
            }
            match outcome {
                Outcome::Row(row) => {
                    self.stats.rows += 1;
                    bump(&mut self.stats.by_plan, row.plan);
                    bump(&mut self.stats.by_status, &row.status);
                    licenses.append(&row);
                }
                Outcome::Reject(rejection) => {
                    *self.stats.rejects.entry(rejection.reason).or_default() += 1;
                    self.rejects.append(&rejection);
                }
            }
        }
        Ok(TransformedPage {
            licenses: licenses.finish(&self.ctx)?,
            rejects: self.rejects.finish(&self.ctx)?,
        })
    }

    /// The counts so far.
    pub fn stats(&self) -> &TransformStats {
        &self.stats
    }

    /// The final counts.
    pub fn into_stats(self) -> TransformStats {
        self.stats
    }
}

fn bump(counts: &mut std::collections::BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}
