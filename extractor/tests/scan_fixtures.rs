//! The structural scanner finds exactly the records serde_json finds, on every recorded page.

use std::path::Path;

#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    users: Option<Vec<&'a serde_json::value::RawValue>>,
}

#[test]
fn every_fixture_page_splits_as_serde_json_splits_it() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut pages = 0;
    for set in std::fs::read_dir(&fixtures).unwrap() {
        let dir = set.unwrap().path().join("pages");
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            let body = std::fs::read_to_string(&path).unwrap();
            let Ok(expected) = serde_json::from_str::<Page<'_>>(&body) else {
                continue;
            };
            let layout = extractor::scan::scan_page(&body)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let found: Option<Vec<&str>> = layout
                .users
                .map(|users| users.into_iter().map(|r| &body[r]).collect());
            let expected: Option<Vec<&str>> = expected
                .users
                .map(|users| users.iter().map(|r| r.get()).collect());
            assert_eq!(found, expected, "{}", path.display());
            pages += 1;
        }
    }
    assert!(pages >= 20, "only {pages} pages compared");
}
