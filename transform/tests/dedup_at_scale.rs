//! De-duplication over enough users that the key filter holds some records back (see
//! `transform::dedup`): every repeat must be dropped and every first sighting kept, exactly.

use std::collections::BTreeSet;

use arrow_array::cast::AsArray;
use extractor::{UserStatus, UsersPage};
use transform::{RunContext, Transformer};

fn user(n: usize, plan: u8) -> String {
    format!(
        r#"{{"id":"u{n:07}","email":"user{n}@example.com","type":{plan},"status":"active","user_created_at":"2024-01-01T00:00:00Z"}}"#
    )
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

#[test]
fn every_repeat_is_dropped_and_every_first_sighting_kept() {
    let mut transformer = Transformer::new(RunContext {
        run_id: "r".into(),
        account_id: None,
        extracted_at_micros: 0,
    });
    // 40,000 users, plan 3 (unsupported) for every tenth so that held rejects are covered too, and
    // then 10,000 of them again, as a restarted sweep would send them.
    let users: Vec<String> = (0..40_000)
        .map(|n| user(n, if n % 10 == 0 { 3 } else { 2 }))
        .collect();
    let repeats: Vec<String> = (0..40_000).step_by(4).map(|n| users[n].clone()).collect();
    let mut keys = Vec::new();
    let mut rejects = 0;
    let mut collect = |out: &transform::TransformedPage| {
        let column = out
            .licenses
            .column_by_name("user_key")
            .unwrap()
            .as_string::<i32>();
        keys.extend(column.iter().map(|k| k.unwrap().to_owned()));
        rejects += out.rejects.num_rows();
    };
    for (i, chunk) in users.chunks(2_000).chain(repeats.chunks(2_000)).enumerate() {
        let out = transformer
            .transform_page(&page(i as u64 + 1, i == 0, 40_000, chunk))
            .unwrap();
        collect(&out);
    }
    let (held, stats) = transformer.finish().unwrap();
    // Some first sightings were held back and written last: the exact path is covered.
    assert!(
        held.licenses.num_rows() > 0,
        "nothing held: the test misses the held path"
    );
    assert!(
        held.rejects.num_rows() > 0,
        "no reject held: the test misses that path"
    );
    collect(&held);

    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "a user was written twice");
    assert_eq!(keys.len(), 36_000);
    assert_eq!(rejects, 4_000);
    assert_eq!(stats.rows, 36_000);
    assert_eq!(stats.duplicates, 10_000);
    assert_eq!(stats.users_seen, 50_000);
    assert_eq!(stats.rejects.values().sum::<u64>(), 4_000);
}
