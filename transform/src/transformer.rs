//! One page in, its license rows and rejections out as Arrow batches, in page order, with repeats
//! dropped and every decision counted.
//!
//! Repeats: Zoom gives no ordering guarantee and a restarted sweep re-reads pages, so the same user
//! can arrive twice. The first occurrence of a key wins; later ones are counted as duplicates and
//! dropped. Seen keys are remembered as 128-bit XXH3 fingerprints in a `HashSet` (2²¹ slots of 17
//! bytes for a million users: 34 MiB): two different keys share a fingerprint with odds of about
//! n²/2¹²⁹ for n users (10⁻²⁷ at a million), and if they ever did, the second user would be dropped
//! as a repeat.

use std::collections::{BTreeMap, HashSet};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use extractor::zoom::activities::ACTIVITIES;
use extractor::zoom::groups::GROUPS;
use extractor::zoom::roles::ROLES;
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::{Page, UserStatus};
use xxhash_rust::xxh3::xxh3_128;

use crate::activity::ActivityTracker;
use crate::addons::{AddonTally, addon_rows};
use crate::batch::{LicenseBatchBuilder, RejectBatchBuilder};
use crate::context::RunContext;
use crate::directory::ListReader;
use crate::rules::{Outcome, classify};
use crate::stats::TransformStats;
use crate::table::Table;

/// The most users the set of seen keys is sized for up front from Zoom's `total_records`: what fits
/// 2²¹ slots (34 MiB). Past that it grows as needed, so a hostile or mistaken count cannot make it
/// reserve more.
const MAX_RESERVED: u64 = 1_835_000;

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
            .find(|(t, _)| *t == table)
            .map(|(_, b)| b)
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

/// Turns users pages into batches, remembering the keys seen so far in the run.
pub struct Transformer {
    ctx: RunContext,
    seen: HashSet<u128>,
    /// Users each sweep's first page announced (`total_records`; a restarted sweep's again).
    announced: BTreeMap<String, u64>,
    stats: TransformStats,
    /// Users and their sign-ins, when the run reads the sign-in report.
    activity: Option<ActivityTracker>,
    /// Groups and roles, when the run reads them.
    groups: Option<ListReader>,
    roles: Option<ListReader>,
    /// The add-ons' counts, once a user's settings arrived.
    addons: Option<AddonTally>,
}

impl Transformer {
    /// A transformer for one run.
    pub fn new(ctx: RunContext) -> Self {
        Transformer {
            activity: ctx.activity.clone().map(ActivityTracker::new),
            groups: None,
            roles: None,
            addons: None,
            ctx,
            seen: HashSet::new(),
            announced: BTreeMap::new(),
            stats: TransformStats::default(),
        }
    }

    /// Turns one page into its batches: each record becomes a row or a rejection, unless its key
    /// was seen before in the run.
    pub fn transform_page(&mut self, page: &Page) -> Result<TransformedPage, TransformError> {
        let invalid = |reason: String| TransformError::Page {
            sequence: page.sequence,
            reason,
        };
        if page.request.endpoint == &USER_SETTINGS {
            let tally = self.addons.get_or_insert_with(AddonTally::default);
            let batch = addon_rows(page, &self.ctx, tally).map_err(invalid)?;
            return Ok(TransformedPage::of([(Table::UserAddons, batch)]));
        }
        if page.request.endpoint == &GROUPS {
            let reader = self.groups.get_or_insert_with(ListReader::default);
            let batch = reader.groups(page, &self.ctx)?;
            return Ok(TransformedPage::of([(Table::Groups, batch)]));
        }
        if page.request.endpoint == &ROLES {
            let reader = self.roles.get_or_insert_with(ListReader::default);
            let batch = reader.roles(page, &self.ctx)?;
            return Ok(TransformedPage::of([(Table::Roles, batch)]));
        }
        if page.request.endpoint == &ACTIVITIES {
            let Some(tracker) = &mut self.activity else {
                return Err(invalid(
                    "sign-in events, but the run does not read them".into(),
                ));
            };
            let events = tracker.events(page, &self.ctx).map_err(invalid)?;
            return Ok(TransformedPage::of([(Table::SigninEvents, events)]));
        }
        if !page.request.endpoint.lists_users() {
            let path = page.request.endpoint.path;
            return Err(invalid(format!("a page of `{path}`, not of `users`")));
        }
        let sweep = UserStatus::of(&page.request).map_err(invalid)?;
        if page.request.page_token.is_none() {
            // A sweep's first page says how many users it has: size the set for all sweeps at once,
            // so that it does not grow (and briefly double) mid-run.
            let total = page.meta.total_records.unwrap_or(0).min(MAX_RESERVED);
            self.announced.insert(page.request.sweep(), total);
            let wanted = self.announced.values().sum::<u64>().min(MAX_RESERVED) as usize;
            self.seen.reserve(wanted.saturating_sub(self.seen.len()));
        }
        let mut licenses = LicenseBatchBuilder::with_capacity(page.record_count());
        // Rejections are gathered first so that their batch can be sized exactly.
        let mut rejections = Vec::new();
        for raw in page.records() {
            self.stats.users_seen += 1;
            let outcome = classify(raw, sweep);
            let repeat = outcome
                .user_key()
                .is_some_and(|key| !self.seen.insert(xxh3_128(key.as_bytes())));
            if repeat {
                self.stats.duplicates += 1;
                continue;
            }
            match outcome {
                Outcome::Row(row) => {
                    self.stats.rows += 1;
                    bump(&mut self.stats.by_plan, row.plan);
                    bump(&mut self.stats.by_status, &row.status);
                    if row.status == "active" {
                        bump(&mut self.stats.active_by_plan, row.plan);
                    }
                    if let Some(tracker) = &mut self.activity {
                        tracker.add_user(&row).map_err(invalid)?;
                    }
                    licenses.append(&row);
                }
                Outcome::Reject(rejection) => {
                    *self.stats.rejects.entry(rejection.reason).or_default() += 1;
                    rejections.push(rejection);
                }
            }
        }
        let raw_bytes = rejections.iter().map(|r| r.raw.len()).sum();
        let mut rejects = RejectBatchBuilder::with_capacity(rejections.len(), raw_bytes);
        rejections.iter().for_each(|r| rejects.append(r));
        Ok(TransformedPage::of([
            (Table::Licenses, licenses.finish(&self.ctx)?),
            (Table::Rejects, rejects.finish(&self.ctx)?),
        ]))
    }

    /// Ends the run: its counts, and the `zoom_user_activity` table when the run read the report.
    pub fn finish(self) -> Result<(TransformStats, Vec<RecordBatch>), TransformError> {
        let mut stats = self.stats;
        stats.groups = self.groups.map(|r| r.stats);
        stats.addons = self.addons.map(|t| t.stats);
        stats.roles = self.roles.map(|r| r.stats);
        let Some(tracker) = self.activity else {
            return Ok((stats, Vec::new()));
        };
        let (batches, activity) = tracker.finish(&self.ctx)?;
        stats.activity = Some(activity);
        Ok((stats, batches))
    }
}

fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use extractor::{PageRequest, USERS};

    /// A page of the users with these numbers; a first page announces `total`.
    fn page(sequence: u64, users: impl Iterator<Item = usize>, total: Option<u64>) -> Page {
        let users: Vec<String> = users
            .map(|i| format!(r#"{{"id":"u{i}","email":"u{i}@example.com","type":2}}"#))
            .collect();
        let meta = total.map_or(String::new(), |t| format!(r#""total_records":{t},"#));
        let body = format!(
            r#"{{{meta}"next_page_token":"t","users":[{}]}}"#,
            users.join(",")
        );
        let first = PageRequest::first(&USERS, &[("status", "active".to_string())]);
        let request = match total {
            Some(_) => first,
            None => first.next("t"),
        };
        Page::parse(request, sequence, body).unwrap()
    }

    fn keys(out: &TransformedPage) -> Vec<String> {
        use arrow_array::cast::AsArray;
        out.batch(Table::Licenses)
            .into_iter()
            .flat_map(|b| {
                let col = b.column_by_name("user_key").unwrap().as_string::<i32>();
                col.iter()
                    .map(|k| k.unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn transformer() -> Transformer {
        Transformer::new(RunContext {
            run_id: "r".into(),
            account_id: None,
            extracted_at_micros: 0,
            activity: None,
        })
    }

    /// A restarted sweep sends every user again: each repeat is dropped where it comes, the first
    /// occurrence stays, and rows keep page order.
    #[test]
    fn repeats_across_and_within_pages_are_dropped_in_page_order() {
        let mut t = transformer();
        let first = t.transform_page(&page(1, 0..3, Some(6))).unwrap();
        assert_eq!(keys(&first), ["u0", "u1", "u2"]);
        let again = t
            .transform_page(&page(2, [1, 3, 3, 0, 4].into_iter(), None))
            .unwrap();
        assert_eq!(keys(&again), ["u3", "u4"]);
        let none_new = t.transform_page(&page(3, 0..5, None)).unwrap();
        assert!(none_new.batch(Table::Licenses).is_none());
        let (stats, _) = t.finish().unwrap();
        assert_eq!((stats.users_seen, stats.rows, stats.duplicates), (13, 5, 8));
    }

    /// A repeat is dropped whatever its first occurrence became: a row after a rejection of the
    /// same key, and a rejection after a row, are both counted as duplicates.
    #[test]
    fn the_first_occurrence_wins_whatever_it_became() {
        let body = r#"{"next_page_token":"","users":[
            {"id":"a","email":"a@x","type":7},
            {"id":"a","email":"a@x","type":2},
            {"id":"b","email":"b@x","type":2},
            {"id":"b","email":"b@x","type":2,"status":"inactive"}]}"#;
        let request = PageRequest::first(&USERS, &[("status", "active".to_string())]);
        let page = Page::parse(request, 1, body.to_string()).unwrap();
        let mut t = transformer();
        let out = t.transform_page(&page).unwrap();
        assert_eq!(keys(&out), ["b"]);
        assert_eq!(out.batch(Table::Rejects).map(|b| b.num_rows()), Some(1));
        let (stats, _) = t.finish().unwrap();
        assert_eq!((stats.users_seen, stats.rows, stats.duplicates), (4, 1, 2));
        let unsupported = stats.rejects.get(&crate::RejectReason::UnsupportedPlan);
        assert_eq!(unsupported, Some(&1));
    }

    #[test]
    fn a_page_of_another_endpoint_is_refused() {
        let request = PageRequest::first(&extractor::zoom::users_summary::USERS_SUMMARY, &[]);
        let page = Page::parse(request, 4, r#"{"total_users_count":3}"#.into()).unwrap();
        let err = transformer().transform_page(&page).unwrap_err();
        assert!(err.to_string().contains("users/summary"), "{err}");
    }
}
