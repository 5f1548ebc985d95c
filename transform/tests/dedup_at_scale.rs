//! De-duplication over enough users that the key filter holds some records back (see
//! `transform::dedup`): every repeat must be dropped and every first sighting kept, exactly.

use std::collections::BTreeSet;

use arrow_array::cast::AsArray;
use extractor::{UserStatus, UsersPage};
use transform::transformer::HELD_LIMIT;
use transform::{RunContext, TransformStats, TransformedPage, Transformer};

/// 40,000 users, plan 3 (unsupported) for every tenth so that held rejects are covered too.
fn users() -> Vec<String> {
    (0..40_000)
        .map(|n| {
            let plan = if n % 10 == 0 { 3 } else { 2 };
            format!(
                r#"{{"id":"u{n:07}","email":"user{n}@example.com","type":{plan},"status":"active","user_created_at":"2024-01-01T00:00:00Z"}}"#
            )
        })
        .collect()
}

fn page(sequence: u64, first: bool, total: usize, users: &[String]) -> UsersPage {
    let meta = if first {
        format!(r#""page_number":1,"total_records":{total},"#)
    } else {
        String::new()
    };
    let body = format!(
        r#"{{{meta}"next_page_token":"t","users":[{}]}}"#,
        users.join(",")
    );
    UsersPage::parse(UserStatus::Active, sequence, body).unwrap()
}

/// What a run wrote: license keys in order, reject count, the last (held) batch, and the counts.
struct Written {
    keys: Vec<String>,
    rejects: usize,
    last: TransformedPage,
    stats: TransformStats,
}

/// Transforms `records` in pages of 2,000, checking after each page that held records stay bounded.
fn run(records: &[String]) -> Written {
    let mut transformer = Transformer::new(RunContext {
        run_id: "r".into(),
        account_id: None,
        extracted_at_micros: 0,
    });
    let mut written = Written {
        keys: Vec::new(),
        rejects: 0,
        last: TransformedPage::default(),
        stats: TransformStats::default(),
    };
    let collect = |out: &TransformedPage, written: &mut Written| {
        for batch in &out.licenses {
            let column = batch.column_by_name("user_key").unwrap().as_string::<i32>();
            written
                .keys
                .extend(column.iter().map(|k| k.unwrap().to_owned()));
        }
        written.rejects += out.reject_rows();
    };
    for (i, chunk) in records.chunks(2_000).enumerate() {
        let out = transformer
            .transform_page(&page(i as u64 + 1, i == 0, 40_000, chunk))
            .unwrap();
        collect(&out, &mut written);
        assert!(
            transformer.held() <= HELD_LIMIT,
            "{} records held",
            transformer.held()
        );
    }
    let (last, stats) = transformer.finish().unwrap();
    collect(&last, &mut written);
    written.last = last;
    written.stats = stats;
    written
}

fn assert_distinct(keys: &[String]) {
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "a user was written twice");
}

#[test]
fn first_sightings_the_filter_cannot_rule_out_are_written_last() {
    let w = run(&users());
    // Some first sightings were held back and written last: the exact path is covered.
    assert!(
        w.last.license_rows() > 0,
        "nothing held: the test misses the held path"
    );
    assert!(
        w.last.reject_rows() > 0,
        "no reject held: the test misses that path"
    );
    assert_distinct(&w.keys);
    assert_eq!((w.keys.len(), w.rejects), (36_000, 4_000));
    assert_eq!((w.stats.rows, w.stats.duplicates), (36_000, 0));
}

#[test]
fn every_repeat_is_dropped_even_when_a_whole_sweep_is_read_again() {
    let users = users();
    // A quarter of them again, then all of them again, as a sweep restarted from its first page
    // sends them: far more repeats than may be held at once.
    let records: Vec<String> = users
        .iter()
        .cloned()
        .chain(users.iter().step_by(4).cloned())
        .chain(users.iter().cloned())
        .collect();
    let w = run(&records);
    assert_distinct(&w.keys);
    assert_eq!((w.keys.len(), w.rejects), (36_000, 4_000));
    assert_eq!(w.stats.rows, 36_000);
    assert_eq!(w.stats.duplicates, 50_000);
    assert_eq!(w.stats.users_seen, 90_000);
    assert_eq!(w.stats.rejects.values().sum::<u64>(), 4_000);
}

/// Within one page too, the first occurrence wins, whether it became a row or a rejection.
#[test]
fn the_first_occurrence_in_a_page_wins_whatever_it_became() {
    let bad_time = r#"{"id":"u1","email":"a@x","type":2,"user_created_at":"yesterday"}"#;
    let good = r#"{"id":"u1","email":"a@x","type":2,"user_created_at":"2024-01-01T00:00:00Z"}"#;
    for (records, rows, rejects) in [([bad_time, good], 0, 1), ([good, bad_time], 1, 0)] {
        let records: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        let mut transformer = Transformer::new(RunContext {
            run_id: "r".into(),
            account_id: None,
            extracted_at_micros: 0,
        });
        let out = transformer
            .transform_page(&page(1, true, 2, &records))
            .unwrap();
        let (held, stats) = transformer.finish().unwrap();
        assert_eq!(out.license_rows() + held.license_rows(), rows);
        assert_eq!(out.reject_rows() + held.reject_rows(), rejects);
        assert_eq!((stats.rows as usize, stats.duplicates), (rows, 1));
    }
}
