//! The stateful part of the transform: one page in, one license batch and one rejects batch out,
//! with repeats dropped and every decision counted.

use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::ArrowError;
use extractor::UsersPage;

use crate::batch::{LicenseBatchBuilder, RejectBatchBuilder};
use crate::dedup::{KeyLog, Seen, SeenKeys, fingerprint};
use crate::row::RejectReason;
use crate::rules::{Outcome, RunContext, classify};
use crate::schema::{license_schema, rejects_schema};
use crate::stats::TransformStats;

/// Held records that make the transform decide them before the end of the run: a few MiB of
/// records at most, and one read of the key log per this many (a restarted sweep holds every repeat).
pub const HELD_LIMIT: usize = 8192;

/// The batches made from one page.
#[derive(Debug, Clone)]
pub struct TransformedPage {
    /// Rows for the license table (possibly empty).
    pub licenses: RecordBatch,
    /// Rows for the rejects table (possibly empty).
    pub rejects: RecordBatch,
}

/// Why the transform could not go on.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A batch could not be built.
    #[error("cannot build a record batch: {0}")]
    Batch(#[from] ArrowError),
    /// The log of seen user keys could not be written or read.
    #[error("cannot keep the log of seen user keys: {0}")]
    KeyLog(#[from] std::io::Error),
}

/// Transforms the pages of one run, in order.
pub struct Transformer {
    ctx: RunContext,
    seen: SeenKeys,
    stats: TransformStats,
    held: Held,
}

/// Records whose key the de-duplication could not rule out as seen: they wait for the end of the
/// run (see [`crate::dedup`]), with what their counts need.
#[derive(Default)]
struct Held {
    licenses: Option<LicenseBatchBuilder>,
    license_keys: Vec<(u128, &'static str, String)>,
    rejects: RejectBatchBuilder,
    reject_keys: Vec<(u128, RejectReason)>,
}

impl Transformer {
    /// A transformer for one run that keeps the seen user keys in memory.
    pub fn new(ctx: RunContext) -> Self {
        Self::with_key_log(ctx, Box::<Vec<u128>>::default())
    }

    /// A transformer for one run that logs seen user keys to `log` (e.g. a temporary file).
    pub fn with_key_log(ctx: RunContext, log: Box<dyn KeyLog>) -> Self {
        Transformer {
            ctx,
            seen: SeenKeys::new(log),
            stats: TransformStats::default(),
            held: Held::default(),
        }
    }

    /// Turns one page into batches.
    pub fn transform_page(&mut self, page: &UsersPage) -> Result<TransformedPage, TransformError> {
        // A sweep's first page says how many users it has: size the key filter once for all of them.
        if page.meta.page_number == Some(1)
            && let Some(total) = page.meta.total_records
        {
            self.seen.reserve(usize::try_from(total).unwrap_or(0));
        }
        let mut licenses = LicenseBatchBuilder::with_capacity(page.len());
        // Rejections are gathered first so that their batch can be sized exactly.
        let mut rejections = Vec::new();
        for raw in page.users() {
            self.stats.users_seen += 1;
            let outcome = classify(raw, page.status);
            let verdict = match outcome.user_key() {
                Some(key) => {
                    let fp = fingerprint(key);
                    (self.seen.check(fp)?, fp)
                }
                None => (Seen::New, 0),
            };
            match verdict {
                (Seen::Repeat, _) => self.stats.duplicates += 1,
                (Seen::New, _) => match outcome {
                    Outcome::Row(row) => {
                        self.stats.rows += 1;
                        bump(&mut self.stats.by_plan, row.plan);
                        bump(&mut self.stats.by_status, &row.status);
                        licenses.append(&row);
                    }
                    Outcome::Reject(rejection) => {
                        *self.stats.rejects.entry(rejection.reason).or_default() += 1;
                        rejections.push(rejection);
                    }
                },
                (Seen::Unsure, fp) => match outcome {
                    Outcome::Row(row) => {
                        let held = &mut self.held;
                        held.licenses
                            .get_or_insert_with(|| LicenseBatchBuilder::with_capacity(16))
                            .append(&row);
                        held.license_keys
                            .push((fp, row.plan, row.status.into_owned()));
                    }
                    Outcome::Reject(rejection) => {
                        self.held.rejects.append(&rejection);
                        self.held.reject_keys.push((fp, rejection.reason));
                    }
                },
            }
        }
        let raw_bytes = rejections.iter().map(|r| r.raw.len()).sum();
        let mut rejects = RejectBatchBuilder::with_capacity(rejections.len(), raw_bytes);
        rejections.iter().for_each(|r| rejects.append(r));
        let mut out = TransformedPage {
            licenses: licenses.finish(&self.ctx)?,
            rejects: rejects.finish(&self.ctx)?,
        };
        if self.held() >= HELD_LIMIT {
            // Bound memory: decide the held records now and send the new ones after this page's.
            let decided = self.decide_held()?;
            let concat = arrow_select::concat::concat_batches;
            out = TransformedPage {
                licenses: concat(&license_schema(), [&out.licenses, &decided.licenses])?,
                rejects: concat(&rejects_schema(), [&out.rejects, &decided.rejects])?,
            };
        }
        Ok(out)
    }

    /// The counts so far (records still held for the end of the run are not counted yet).
    pub fn stats(&self) -> &TransformStats {
        &self.stats
    }

    /// Records held for the final check so far (see [`crate::dedup`]); never more than [`HELD_LIMIT`].
    pub fn held(&self) -> usize {
        self.held.license_keys.len() + self.held.reject_keys.len()
    }

    /// Ends the run: decides the held records (the last batches: those that were not repeats) and
    /// returns them with the final counts.
    pub fn finish(mut self) -> Result<(TransformedPage, TransformStats), TransformError> {
        let page = self.decide_held()?;
        Ok((page, self.stats))
    }

    /// Decides the held records now; returns those that were not repeats.
    fn decide_held(&mut self) -> Result<TransformedPage, TransformError> {
        let repeats = self.seen.resolve_held()?;
        let held = std::mem::take(&mut self.held);
        let licenses = match held.licenses {
            Some(mut builder) => builder.finish(&self.ctx)?,
            None => LicenseBatchBuilder::with_capacity(0).finish(&self.ctx)?,
        };
        let mut keep = Vec::with_capacity(held.license_keys.len());
        for (fp, plan, status) in &held.license_keys {
            let new = !repeats.contains(fp);
            if new {
                self.stats.rows += 1;
                bump(&mut self.stats.by_plan, plan);
                bump(&mut self.stats.by_status, status);
            } else {
                self.stats.duplicates += 1;
            }
            keep.push(new);
        }
        let licenses = arrow_select::filter::filter_record_batch(&licenses, &keep.into())?;
        let mut rejects_builder = held.rejects;
        let rejects = rejects_builder.finish(&self.ctx)?;
        let keep: BooleanArray = held
            .reject_keys
            .iter()
            .map(|(fp, reason)| {
                let new = !repeats.contains(fp);
                if new {
                    *self.stats.rejects.entry(*reason).or_default() += 1;
                } else {
                    self.stats.duplicates += 1;
                }
                Some(new)
            })
            .collect();
        let rejects = arrow_select::filter::filter_record_batch(&rejects, &keep)?;
        Ok(TransformedPage { licenses, rejects })
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
