//! One page in, one license batch and one rejects batch out, with repeats dropped and every decision
//! counted, in two steps so that the heavy one can run on several threads:
//!
//! - [`PageBuilder::build`] parses and classifies a page's records and builds its Arrow batches. It
//!   needs nothing from other pages, so pages can be built on any thread, in any order.
//! - [`Transformer::accept`] takes the built pages **in page order** and drops repeats (the first
//!   occurrence wins, so order matters), adjusting the counts. It touches only rows that are repeats
//!   or held back (see [`crate::dedup`]); a page without any passes through untouched.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::ArrowError;
use arrow_select::concat::concat_batches;
use arrow_select::filter::filter_record_batch;
use arrow_select::take::take_record_batch;
use extractor::UsersPage;

use crate::batch::{LicenseBatchBuilder, RejectBatchBuilder};
use crate::dedup::{KeyLog, Seen, SeenKeys, fingerprint};
use crate::row::RejectReason;
use crate::rules::{Outcome, RunContext, classify, classify_parsed};
use crate::schema::{license_schema, rejects_schema};
use crate::stats::TransformStats;

/// Held records that make the transform decide them before the end of the run: a few MiB of
/// records at most, and one read of the key log per this many (a restarted sweep holds every repeat).
pub const HELD_LIMIT: usize = 8192;
/// Held batches (each a page's one or two held rows) merged into one once there are this many: a
/// batch of one row costs a few KiB of array headers and aligned buffers, more than the row.
const HELD_BATCHES: usize = 32;

/// The batches made from one page, in order: usually one each; when repeats were dropped, the
/// slices between them (no copy).
#[derive(Debug, Clone, Default)]
pub struct TransformedPage {
    /// Rows for the license table.
    pub licenses: Vec<RecordBatch>,
    /// Rows for the rejects table.
    pub rejects: Vec<RecordBatch>,
}

impl TransformedPage {
    /// Number of license rows.
    pub fn license_rows(&self) -> usize {
        self.licenses.iter().map(RecordBatch::num_rows).sum()
    }

    /// Number of rejected records.
    pub fn reject_rows(&self) -> usize {
        self.rejects.iter().map(RecordBatch::num_rows).sum()
    }

    /// Bytes of memory the page's batches hold. A buffer that several of them share (slices around
    /// dropped repeats) counts once per batch, so this can overstate, never understate.
    pub fn memory_size(&self) -> usize {
        self.licenses
            .iter()
            .chain(&self.rejects)
            .map(RecordBatch::get_array_memory_size)
            .sum()
    }
}

/// Why the transform could not go on.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A batch could not be built.
    #[error("cannot build a record batch: {0}")]
    Batch(#[from] ArrowError),
    /// The page is not well-formed JSON (found while reading its records).
    #[error("page {sequence}: {reason}")]
    Page {
        /// The page's position in the run.
        sequence: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The log of seen user keys could not be written or read.
    #[error("cannot keep the log of seen user keys: {0}")]
    KeyLog(#[from] std::io::Error),
}

/// A page built into batches, repeats not yet dropped (see [`Transformer::accept`]).
pub struct BuiltPage {
    /// The sweep the page belongs to.
    pub status: extractor::UserStatus,
    /// `total_records` as the page gives it.
    pub total_records: Option<u64>,
    /// The sweep's `total_records`, on its first page.
    announced: Option<usize>,
    licenses: RecordBatch,
    rejects: RecordBatch,
    /// The key fingerprint of each license row.
    license_keys: Vec<u128>,
    /// The key fingerprint (when the record had a key) and reason of each rejection.
    reject_keys: Vec<(Option<u128>, RejectReason)>,
    /// For each record in page order, whether it became a license row (else a rejection): repeats
    /// are decided in this order, so the first occurrence wins within a page too.
    row_order: Vec<bool>,
    /// This page's counts, as if none of its records were a repeat.
    counts: TransformStats,
}

impl BuiltPage {
    /// Number of user records the page held.
    pub fn users(&self) -> u64 {
        self.counts.users_seen
    }
}

/// Builds pages into batches; cheap to clone, one per thread.
#[derive(Clone)]
pub struct PageBuilder {
    ctx: Arc<RunContext>,
}

impl PageBuilder {
    /// A builder for one run.
    pub fn new(ctx: RunContext) -> Self {
        PageBuilder { ctx: Arc::new(ctx) }
    }

    /// Parses, classifies and builds one page.
    pub fn build(&self, page: &UsersPage) -> Result<BuiltPage, TransformError> {
        let mut counts = TransformStats::default();
        let mut licenses = LicenseBatchBuilder::with_capacity(page.len_hint());
        let mut license_keys = Vec::with_capacity(page.len_hint());
        // Rejections are gathered first so that their batch can be sized exactly.
        let mut rejections = Vec::new();
        let mut row_order = Vec::with_capacity(page.len_hint());
        let visited = page.visit_records(|raw, user| {
            counts.users_seen += 1;
            let outcome = match user {
                Some(user) => classify_parsed(raw, user, page.status),
                None => classify(raw, page.status),
            };
            match outcome {
                Outcome::Row(row) => {
                    row_order.push(true);
                    counts.rows += 1;
                    bump(&mut counts.by_plan, row.plan);
                    bump(&mut counts.by_status, &row.status);
                    license_keys.push(fingerprint(&row.user_key));
                    licenses.append(&row);
                }
                Outcome::Reject(rejection) => {
                    row_order.push(false);
                    *counts.rejects.entry(rejection.reason).or_default() += 1;
                    rejections.push(rejection);
                }
            }
        });
        visited.map_err(|reason| TransformError::Page {
            sequence: page.sequence,
            reason,
        })?;
        let raw_bytes = rejections.iter().map(|r| r.raw.len()).sum();
        let mut rejects = RejectBatchBuilder::with_capacity(rejections.len(), raw_bytes);
        let mut reject_keys = Vec::with_capacity(rejections.len());
        for r in &rejections {
            rejects.append(r);
            reject_keys.push((r.user_key.as_deref().map(fingerprint), r.reason));
        }
        let announced = match (page.meta.page_number, page.meta.total_records) {
            (Some(1), Some(total)) => Some(usize::try_from(total).unwrap_or(0)),
            _ => None,
        };
        Ok(BuiltPage {
            status: page.status,
            total_records: page.meta.total_records,
            announced,
            licenses: licenses.finish(&self.ctx)?,
            rejects: rejects.finish(&self.ctx)?,
            license_keys,
            reject_keys,
            row_order,
            counts,
        })
    }
}

/// Drops repeats from built pages taken in page order, and keeps the run's counts.
pub struct Transformer {
    builder: PageBuilder,
    seen: SeenKeys,
    stats: TransformStats,
    held: Held,
}

/// Records whose key the de-duplication could not rule out as seen, waiting to be decided (see
/// [`crate::dedup`]); they are not in the counts until then.
#[derive(Default)]
struct Held {
    licenses: Vec<RecordBatch>,
    license_keys: Vec<u128>,
    rejects: Vec<RecordBatch>,
    reject_keys: Vec<(u128, RejectReason)>,
}

impl Held {
    /// Merges the held batches of each table into one once there are [`HELD_BATCHES`] of them.
    fn compact(&mut self) -> Result<(), ArrowError> {
        for (batches, schema) in [
            (&mut self.licenses, license_schema()),
            (&mut self.rejects, rejects_schema()),
        ] {
            if batches.len() >= HELD_BATCHES {
                *batches = vec![concat_batches(&schema, batches.iter())?];
            }
        }
        Ok(())
    }
}

impl Transformer {
    /// A transformer for one run that keeps the seen user keys in memory.
    pub fn new(ctx: RunContext) -> Self {
        Self::with_key_log(ctx, Box::<Vec<u128>>::default())
    }

    /// A transformer for one run that logs seen user keys to `log` (e.g. a temporary file).
    pub fn with_key_log(ctx: RunContext, log: Box<dyn KeyLog>) -> Self {
        Transformer {
            builder: PageBuilder::new(ctx),
            seen: SeenKeys::new(log),
            stats: TransformStats::default(),
            held: Held::default(),
        }
    }

    /// A builder for this run's pages, for other threads.
    pub fn builder(&self) -> PageBuilder {
        self.builder.clone()
    }

    /// Builds and accepts one page, on this thread.
    pub fn transform_page(&mut self, page: &UsersPage) -> Result<TransformedPage, TransformError> {
        let built = self.builder.build(page)?;
        self.accept(built)
    }

    /// Takes the next built page, in page order; returns its rows that are not repeats.
    pub fn accept(&mut self, page: BuiltPage) -> Result<TransformedPage, TransformError> {
        // A sweep's first page says how many users it has: size the key filter once for all of them.
        if let Some(total) = page.announced {
            self.seen.reserve(total);
        }
        self.stats.add(&page.counts);
        let (licenses, rejects) = (page.licenses, page.rejects);

        let keys = page.license_keys.iter().copied();
        self.seen
            .prefetch(keys.chain(page.reject_keys.iter().filter_map(|(fp, _)| *fp)));
        // Decided in page order; then each batch is split by its own verdicts.
        let mut verdicts = Vec::with_capacity(page.license_keys.len());
        let mut reject_verdicts = Vec::with_capacity(page.reject_keys.len());
        let (mut rows, mut rejected) = (page.license_keys.iter(), page.reject_keys.iter());
        for is_row in &page.row_order {
            let fp = match is_row {
                true => rows.next().copied(),
                false => rejected.next().and_then(|(fp, _)| *fp),
            };
            let verdict = match fp {
                Some(fp) => self.seen.check(fp)?,
                None => Seen::New,
            };
            match is_row {
                true => verdicts.push(verdict),
                false => reject_verdicts.push(verdict),
            }
        }
        for (i, verdict) in verdicts.iter().enumerate() {
            if *verdict == Seen::New {
                continue;
            }
            // Not written now: out of the counts (a held row comes back in when it is decided).
            if let Some((plan, status)) = plan_and_status(&licenses, i) {
                self.stats.rows -= 1;
                unbump(&mut self.stats.by_plan, plan);
                unbump(&mut self.stats.by_status, status);
            }
            match verdict {
                Seen::Repeat => self.stats.duplicates += 1,
                _ => self.held.license_keys.push(page.license_keys[i]),
            }
        }
        let (licenses, held) = split(licenses, &verdicts)?;
        self.held.licenses.extend(held);

        let verdicts = reject_verdicts;
        for (verdict, (fp, reason)) in verdicts.iter().zip(&page.reject_keys) {
            if *verdict == Seen::New {
                continue;
            }
            unbump(&mut self.stats.rejects, reason);
            match (verdict, fp) {
                (Seen::Unsure, Some(fp)) => self.held.reject_keys.push((*fp, *reason)),
                _ => self.stats.duplicates += 1,
            }
        }
        let (rejects, held) = split(rejects, &verdicts)?;
        self.held.rejects.extend(held);
        self.held.compact()?;

        let mut out = TransformedPage { licenses, rejects };
        if self.held() >= HELD_LIMIT {
            // Bound memory: decide the held records now and send the new ones after this page's.
            let decided = self.decide_held()?;
            out.licenses.extend(decided.licenses);
            out.rejects.extend(decided.rejects);
        }
        Ok(out)
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

    /// Decides the held records now; returns those that were not repeats, and counts them all.
    fn decide_held(&mut self) -> Result<TransformedPage, TransformError> {
        let repeats = self.seen.resolve_held()?;
        let held = std::mem::take(&mut self.held);

        let licenses = concat_batches(&license_schema(), &held.licenses)?;
        let keep: Vec<bool> = held
            .license_keys
            .iter()
            .enumerate()
            .map(|(i, fp)| {
                let new = !repeats.contains(fp);
                if !new {
                    self.stats.duplicates += 1;
                } else if let Some((plan, status)) = plan_and_status(&licenses, i) {
                    self.stats.rows += 1;
                    bump(&mut self.stats.by_plan, plan);
                    bump(&mut self.stats.by_status, status);
                }
                new
            })
            .collect();
        let licenses = filter_record_batch(&licenses, &keep.into())?;

        let rejects = concat_batches(&rejects_schema(), &held.rejects)?;
        let keep: Vec<bool> = held
            .reject_keys
            .iter()
            .map(|(fp, reason)| {
                let new = !repeats.contains(fp);
                if new {
                    *self.stats.rejects.entry(*reason).or_default() += 1;
                } else {
                    self.stats.duplicates += 1;
                }
                new
            })
            .collect();
        let rejects = filter_record_batch(&rejects, &keep.into())?;
        Ok(TransformedPage {
            licenses: non_empty(licenses),
            rejects: non_empty(rejects),
        })
    }
}

/// Splits a batch by its rows' verdicts: the runs of new rows as slices of it (no copy), and a copy
/// of the held rows when there are any (a few per page at most, unless a sweep is read again).
fn split(
    batch: RecordBatch,
    verdicts: &[Seen],
) -> Result<(Vec<RecordBatch>, Option<RecordBatch>), ArrowError> {
    if verdicts.iter().all(|v| *v == Seen::New) {
        return Ok((non_empty(batch), None));
    }
    let mut kept = Vec::new();
    let mut run_start = 0;
    for (i, verdict) in verdicts.iter().enumerate() {
        if *verdict != Seen::New {
            if i > run_start {
                kept.push(batch.slice(run_start, i - run_start));
            }
            run_start = i + 1;
        }
    }
    if verdicts.len() > run_start {
        kept.push(batch.slice(run_start, verdicts.len() - run_start));
    }
    let held: Vec<u32> = (0..verdicts.len() as u32)
        .filter(|&i| verdicts[i as usize] == Seen::Unsure)
        .collect();
    let held = match held.is_empty() {
        true => None,
        false => Some(take_record_batch(&batch, &UInt32Array::from(held))?),
    };
    Ok((kept, held))
}

/// The batch as a list, left out when it has no rows.
fn non_empty(batch: RecordBatch) -> Vec<RecordBatch> {
    match batch.num_rows() {
        0 => Vec::new(),
        _ => vec![batch],
    }
}

/// The plan and status a license row was counted under.
fn plan_and_status(batch: &RecordBatch, row: usize) -> Option<(&str, &str)> {
    let text = |name| {
        batch
            .column_by_name(name)
            .map(|c| c.as_string::<i32>().value(row))
    };
    Some((text("plan")?, text("status")?))
}

fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

/// Takes one back from `key`, forgetting it at zero (as if it had never been counted).
fn unbump<K, Q>(counts: &mut BTreeMap<K, u64>, key: &Q)
where
    K: Ord + std::borrow::Borrow<Q>,
    Q: Ord + ?Sized,
{
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use extractor::UserStatus;

    /// A page of `n` users numbered from `from`; the first page of a sweep announces `total`.
    fn page(sequence: u64, from: usize, n: usize, total: Option<usize>) -> UsersPage {
        let users: Vec<String> = (from..from + n)
            .map(|i| format!(r#"{{"id":"u{i}","email":"u{i}@example.com","type":2}}"#))
            .collect();
        let meta = total.map_or(String::new(), |t| format!(r#""total_records":{t},"#));
        let body = format!(
            r#"{{{meta}"next_page_token":"t","users":[{}]}}"#,
            users.join(",")
        );
        UsersPage::parse(UserStatus::Active, sequence, body).unwrap()
    }

    /// Held rows from many pages are merged as they come, so each costs its bytes rather than a
    /// batch's headers; and they are still decided exactly at the end.
    #[test]
    fn held_rows_from_many_pages_are_merged_and_decided() {
        let mut transformer = Transformer::new(RunContext {
            run_id: "r".into(),
            account_id: None,
            extracted_at_micros: 0,
        });
        let mut written = 0;
        // 50 pages of 20 users, then the same pages again, as a restarted sweep sends them: the
        // filter says "maybe seen" for every record of the second pass, so each is held.
        for p in 0..100 {
            let first = p % 50 * 20;
            let total = (p == 0).then_some(1_000);
            let out = transformer
                .transform_page(&page(p as u64 + 1, first, 20, total))
                .unwrap();
            written += out.license_rows();
            assert!(
                transformer.held.licenses.len() < HELD_BATCHES,
                "{} held batches after page {p}",
                transformer.held.licenses.len()
            );
        }
        assert_eq!(transformer.held(), 1_000, "the second pass is held");
        let (last, stats) = transformer.finish().unwrap();
        assert_eq!((written, last.license_rows()), (1_000, 0));
        assert_eq!((stats.rows, stats.duplicates), (1_000, 1_000));
    }
}
