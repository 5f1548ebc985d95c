//! The one rule that ends every sweep, live or replayed: a chain of pages must end, bounded only by
//! what the pages say, so no server keeps a run going for ever and no correct run is stopped. The
//! page size asked for is no bound (a server may clamp it, `../shared/zoom-api.md` §1.2); the
//! largest `total_records` seen is, with room for growth. Tokens must not repeat, empty pages must
//! not keep naming a next one, and a hard cap covers sweeps without a total (the sign-in report).

use std::collections::HashSet;

use crate::zoom::page::{Next, Page};

/// The most pages one pass of a sweep may take: above Zoom's largest daily Heavy quota (60,000),
/// and three times the pages of a million users at Zoom's default page size of 30.
pub const MAX_PAGES_PER_SWEEP: u64 = 100_000;

/// Records a pass may receive beyond twice the largest `total_records` seen: users added meanwhile.
pub const GROWTH_ALLOWANCE: u64 = 1_000;

/// Empty pages in a row that still name a next page, after which a sweep stops.
pub const MOST_EMPTY_PAGES_IN_A_ROW: u32 = 2;

/// What one pass of a sweep has read so far, checked page by page.
#[derive(Debug, Default)]
pub struct SweepGuard {
    /// The next pages named so far (tokens, page numbers).
    named: HashSet<Next>,
    pages: u64,
    records: u64,
    empty_in_a_row: u32,
    largest_total: Option<u64>,
}

impl SweepGuard {
    /// A guard for a sweep that has read nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the pass: the sweep starts again from its first page (an expired page token).
    pub fn restart(&mut self) {
        *self = Self::default();
    }

    /// Counts `page` into the pass; `Err` says why the sweep must stop instead of going on.
    pub fn admit(&mut self, page: &Page) -> Result<(), String> {
        let records = page.record_count() as u64;
        self.pages += 1;
        self.records += records;
        // `None` orders below any `Some`: the largest total seen, if any.
        self.largest_total = self.largest_total.max(page.meta.total_records);
        let repeated = match &page.next {
            Next::Last => return Ok(()),
            Next::Token(_) => "the same next_page_token twice",
            Next::Number(_) => "the same next page_number twice",
        };
        if !self.named.insert(page.next.clone()) {
            return Err(format!(
                "Zoom sent {repeated} (its pages would go round in a circle)"
            ));
        }
        self.empty_in_a_row = match records {
            0 => self.empty_in_a_row + 1,
            _ => 0,
        };
        if self.empty_in_a_row >= MOST_EMPTY_PAGES_IN_A_ROW {
            return Err(format!(
                "Zoom sent {} empty pages in a row that each named a next page",
                self.empty_in_a_row
            ));
        }
        if let Some(total) = self.largest_total {
            let most = total.saturating_mul(2).saturating_add(GROWTH_ALLOWANCE);
            if self.records > most {
                return Err(format!(
                    "Zoom sent {} records and named a next page, more than its total_records of \
                     {total} allows ({most} at most, growth included)",
                    self.records
                ));
            }
        }
        if self.pages >= MAX_PAGES_PER_SWEEP {
            return Err(format!(
                "Zoom named a next page after {} pages, the most one sweep may take",
                self.pages
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::endpoint::PageRequest;
    use crate::zoom::users::USERS;

    fn page(total: Option<u64>, records: usize, token: &str) -> Page {
        let users = vec![r#"{"id":"u"}"#; records].join(",");
        let total = total.map_or(String::new(), |t| format!(r#""total_records":{t},"#));
        let body = format!(r#"{{{total}"next_page_token":"{token}","users":[{users}]}}"#);
        let request = PageRequest::first(&USERS, &[]).with_page_size(2000);
        Page::parse(request, 1, body).unwrap()
    }

    /// A server that clamps 2000 to 300 (or to 200, or sends shorter pages still) needs many more
    /// pages than the size asked for implies: every one of them is admitted.
    #[test]
    fn clamped_and_short_pages_of_a_real_total_are_admitted() {
        for per_page in [300usize, 200, 7, 1] {
            let total = 20_000u64;
            let mut guard = SweepGuard::new();
            let mut left = total as usize;
            let mut n = 0;
            while left > 0 {
                let take = per_page.min(left);
                left -= take;
                n += 1;
                let token = if left == 0 {
                    String::new()
                } else {
                    format!("t{n}")
                };
                guard.admit(&page(Some(total), take, &token)).unwrap();
            }
        }
    }

    /// A total that moves while the sweep runs (users added, or removed) is not a failure.
    #[test]
    fn a_total_that_moves_is_admitted() {
        let mut guard = SweepGuard::new();
        guard.admit(&page(Some(1000), 300, "a")).unwrap();
        guard.admit(&page(Some(400), 300, "b")).unwrap();
        guard.admit(&page(Some(1500), 300, "c")).unwrap();
        guard.admit(&page(None, 300, "d")).unwrap();
        guard.admit(&page(Some(1200), 300, "")).unwrap();
    }

    #[test]
    fn a_chain_past_twice_its_total_is_stopped() {
        let mut guard = SweepGuard::new();
        let mut stopped = None;
        for n in 0..10_000 {
            if let Err(e) = guard.admit(&page(Some(230), 1, &format!("t{n}"))) {
                stopped = Some((n, e));
                break;
            }
        }
        let (n, e) = stopped.expect("never stopped");
        // 2 × 230 + 1,000 records of one each are allowed: the 1,461st page stops it.
        assert_eq!(n + 1, 2 * 230 + 1000 + 1, "{e}");
        assert!(e.contains("total_records of 230"), "{e}");
    }

    #[test]
    fn a_chain_without_a_total_is_stopped_by_the_cap() {
        let mut guard = SweepGuard::new();
        let mut n = 0u64;
        let e = loop {
            n += 1;
            if let Err(e) = guard.admit(&page(None, 1, &format!("t{n}"))) {
                break e;
            }
        };
        // docs/zoom-behaviour.md: "100,000 pages in one pass".
        assert_eq!(n, 100_000);
        assert!(e.contains("the most one sweep may take"), "{e}");
    }

    /// Zoom's older paging by number is bounded as a token chain is: by the records its total
    /// allows, and by empty pages that keep naming a next one.
    #[test]
    fn a_chain_of_page_numbers_is_bounded_as_a_token_chain() {
        let numbered = |n: u64, records: usize| {
            let users = vec![r#"{"id":"u"}"#; records].join(",");
            let body = format!(
                r#"{{"page_count":1000000,"page_number":{n},"total_records":10,"users":[{users}]}}"#
            );
            let request = PageRequest::first(&USERS, &[]).with_page_size(2000);
            Page::parse(request.numbered(n), 1, body).unwrap()
        };
        let mut guard = SweepGuard::new();
        let mut n = 0;
        let e = loop {
            n += 1;
            if let Err(e) = guard.admit(&numbered(n, 5)) {
                break e;
            }
        };
        // 2 × 10 + 1,000 records of five a page: the 205th page is past them.
        assert_eq!(n, 205, "{e}");
        assert!(e.contains("total_records of 10"), "{e}");
        let mut guard = SweepGuard::new();
        guard.admit(&numbered(1, 0)).unwrap();
        let e = guard.admit(&numbered(2, 0)).unwrap_err();
        assert!(e.contains("2 empty pages in a row"), "{e}");
    }

    #[test]
    fn repeated_tokens_and_empty_pages_are_stopped() {
        let mut guard = SweepGuard::new();
        guard.admit(&page(None, 5, "a")).unwrap();
        guard.admit(&page(None, 5, "b")).unwrap();
        assert!(
            guard
                .admit(&page(None, 5, "a"))
                .unwrap_err()
                .contains("twice")
        );

        let mut guard = SweepGuard::new();
        guard.admit(&page(None, 0, "a")).unwrap();
        guard.admit(&page(None, 1, "b")).unwrap();
        guard.admit(&page(None, 0, "c")).unwrap();
        let e = guard.admit(&page(None, 0, "d")).unwrap_err();
        assert!(e.contains("2 empty pages in a row"), "{e}");

        // A restarted pass may see its tokens again.
        guard.restart();
        guard.admit(&page(None, 5, "a")).unwrap();
    }
}
