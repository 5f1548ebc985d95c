//! One page in, its batches out: each page goes to the reader of its dataset (see
//! [`crate::reader`]), which turns it into rows of its tables, in page order, with repeats dropped
//! and every decision counted.

use extractor::Page;

use crate::context::RunContext;
use crate::reader::{Followers, PageReader};
pub use crate::reader::{TransformError, TransformedPage};
use crate::readers;
use crate::stats::TransformStats;

/// Turns pages into batches, each through the reader of its dataset.
pub struct Transformer {
    ctx: RunContext,
    readers: Vec<Box<dyn PageReader>>,
}

impl Transformer {
    /// A transformer for one run.
    pub fn new(ctx: RunContext) -> Self {
        Transformer {
            readers: readers::for_run(&ctx),
            ctx,
        }
    }

    /// Turns one page into its batches: each record becomes a row or a rejection, unless its key
    /// was seen before in the run.
    pub fn transform_page(&mut self, page: &Page) -> Result<TransformedPage, TransformError> {
        let endpoint = page.request.endpoint;
        let index = self.readers.iter().position(|r| r.reads(endpoint));
        let Some((reader, mut followers)) =
            index.and_then(|i| Followers::around(&mut self.readers, i))
        else {
            let path = endpoint.path;
            let reason = format!("a page of `{path}`, not of `users`");
            return Err(TransformError::page(page, reason));
        };
        reader.read(page, &self.ctx, &mut followers)
    }

    /// Ends the run: its counts, and the batches held until the end (the `zoom_user_activity`
    /// table when the run read the sign-in report), each for its table.
    pub fn finish(self) -> Result<(TransformStats, TransformedPage), TransformError> {
        let mut stats = TransformStats::default();
        let mut last = TransformedPage::default();
        for reader in self.readers {
            last.batches
                .extend(reader.finish(&self.ctx, &mut stats)?.batches);
        }
        Ok((stats, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;
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
            hosting: None,
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
