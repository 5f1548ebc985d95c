//! Users pages into the license table and its rejects, in page order, with repeats dropped and
//! every decision counted.
//!
//! Repeats: Zoom gives no ordering guarantee and a restarted sweep re-reads pages, so the same user
//! can arrive twice. The first occurrence of a key wins; later ones are counted as duplicates and
//! dropped. Seen keys are remembered as 128-bit XXH3 fingerprints in a `HashSet` (2²¹ slots of 17
//! bytes for a million users: 34 MiB): two different keys share a fingerprint with odds of about
//! n²/2¹²⁹ for n users (10⁻²⁷ at a million), and if they ever did, the second user would be dropped
//! as a repeat.

use std::collections::{BTreeMap, HashSet};

use extractor::{Endpoint, Page, UserStatus};
use xxhash_rust::xxh3::xxh3_128;

use crate::batch::{LicenseBatchBuilder, rejects_batch};
use crate::context::RunContext;
use crate::reader::{Followers, PageReader, TransformError, TransformedPage};
use crate::rules::{Outcome, classify};
use crate::stats::TransformStats;
use crate::table::Table;

/// The most users the set of seen keys is sized for up front from Zoom's `total_records`: what fits
/// 2²¹ slots (34 MiB). Past that it grows as needed, so a hostile or mistaken count cannot make it
/// reserve more.
const MAX_RESERVED: u64 = 1_835_000;

/// Reads users pages (`GET /users`, a sub account's) into `zoom_users` and `zoom_user_rejects`.
#[derive(Default)]
pub struct LicenseReader {
    seen: HashSet<u128>,
    /// Users each sweep's first page announced (`total_records`; a restarted sweep's again).
    announced: BTreeMap<String, u64>,
    /// The license counts (the other datasets' stay `None`).
    stats: TransformStats,
}

impl LicenseReader {
    /// A sweep's first page says how many users it has: the set is sized for all sweeps at once,
    /// so that it does not grow (and briefly double) mid-run.
    fn reserve(&mut self, page: &Page) {
        let total = page.meta.total_records.unwrap_or(0).min(MAX_RESERVED);
        self.announced.insert(page.request.sweep(), total);
        let wanted = self.announced.values().sum::<u64>().min(MAX_RESERVED) as usize;
        self.seen.reserve(wanted.saturating_sub(self.seen.len()));
    }

    /// What `raw` becomes, counted; `None` for a repeat of a key seen before in the run.
    fn decide<'a>(&mut self, raw: &'a str, sweep: UserStatus) -> Option<Outcome<'a>> {
        self.stats.users_seen += 1;
        let outcome = classify(raw, sweep);
        let repeat = outcome
            .user_key()
            .is_some_and(|key| !self.seen.insert(xxh3_128(key.as_bytes())));
        if repeat {
            self.stats.duplicates += 1;
            return None;
        }
        match &outcome {
            Outcome::Row(row) => self.stats.count_row(row),
            Outcome::Reject(rejection) => {
                *self.stats.rejects.entry(rejection.reason).or_default() += 1;
            }
        }
        Some(outcome)
    }
}

impl PageReader for LicenseReader {
    fn reads(&self, endpoint: &Endpoint) -> bool {
        endpoint.lists_users()
    }

    fn read(
        &mut self,
        page: &Page,
        run: &RunContext,
        followers: &mut Followers<'_>,
    ) -> Result<TransformedPage, TransformError> {
        let sweep = UserStatus::of(&page.request).map_err(|e| TransformError::page(page, e))?;
        if page.request.page_token.is_none() {
            self.reserve(page);
        }
        let mut licenses = LicenseBatchBuilder::with_capacity(page.record_count());
        // Rejections are gathered first so that their batch can be sized exactly.
        let mut rejections = Vec::new();
        for raw in page.records() {
            match self.decide(raw, sweep) {
                Some(Outcome::Row(row)) => {
                    followers
                        .user(&row)
                        .map_err(|e| TransformError::page(page, e))?;
                    licenses.append(&row);
                }
                Some(Outcome::Reject(rejection)) => rejections.push(rejection),
                None => {}
            }
        }
        Ok(TransformedPage::of([
            (Table::Licenses, licenses.finish(run)?),
            (Table::Rejects, rejects_batch(&rejections, run)?),
        ]))
    }

    fn finish(
        self: Box<Self>,
        _run: &RunContext,
        stats: &mut TransformStats,
    ) -> Result<TransformedPage, TransformError> {
        stats.add(&self.stats);
        Ok(TransformedPage::default())
    }
}
