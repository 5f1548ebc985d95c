//! Pages of every shape docs/zoom-behaviour.md's "When a sweep ends" lists, through the binary,
//! live and replayed: a `next_page_token`, Zoom's older `page_number`/`page_count`, a first page
//! holding all of its `total_records`, and a `/groups` body with no paging member at all (as a real
//! one was captured); beside the shapes that cannot say whether they are whole and are refused.
//! Expectations are the mock's own users and groups.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use std::time::Duration;

use assert_cmd::Command;
use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_user, generated_users};
use serde_json::{Value, json};

/// A live run of the active users into `out` as NDJSON, recorded into `out/rec`.
fn live(mock: &MockZoom, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = against_mock(mock);
    cmd.args([
        "extract",
        "--statuses",
        "active",
        "--retry-min-delay-ms",
        "10",
    ])
    .args([
        "--format",
        "ndjson",
        "--as-of",
        "2026-12-01T12:00:00Z",
        "--run-id",
        "r",
    ])
    .args(extra)
    .arg("--record")
    .arg(out.join("rec"))
    .arg("--output")
    .arg(out.join("live/u.ndjson"));
    cmd
}

/// The recording in `out/rec` replayed into `out/replay`; its outputs must equal the live run's.
fn replay_equals_live(out: &Path) {
    let mut cmd = zoom_licenses();
    cmd.args([
        "extract",
        "--format",
        "ndjson",
        "--as-of",
        "2026-12-01T12:00:00Z",
    ])
    .args(["--run-id", "r", "--replay"])
    .arg(out.join("rec"))
    .arg("--output")
    .arg(out.join("replay/u.ndjson"));
    assert_succeeded(&cmd.output().unwrap());
    for name in dir_entries(&out.join("live")) {
        if name.ends_with("manifest.json") {
            continue;
        }
        let read = |dir: &str| fs::read(out.join(dir).join(&name)).unwrap();
        assert!(read("live") == read("replay"), "{name} differs on replay");
    }
}

/// The user keys of an NDJSON license table.
fn keys(path: &Path) -> BTreeSet<String> {
    written_keys(path)
}

/// Zoom's older paging: three pages chained by `page_number` below `page_count`, no token. Each
/// page is asked for by its number, every user arrives, and the recording replays the same.
#[tokio::test(flavor = "multi_thread")]
async fn older_paging_by_page_number_is_followed_live_and_on_replay() {
    let members = |n: u64| -> String {
        format!(r#""page_count":3,"page_number":{n},"page_size":4,"total_records":10,"#)
    };
    let faults = BTreeMap::from([
        (1, Fault::Body(page_of_users(0..4, &members(1)))),
        (2, Fault::Body(page_of_users(4..8, &members(2)))),
        (3, Fault::Body(page_of_users(8..10, &members(3)))),
    ]);
    let mock = MockZoom::start(
        Account::new(generated_users(10, 0, 0)),
        faults,
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    assert_succeeded(&run_blocking(live(&mock, out.path(), &["--page-size", "4"])).await);
    let want: BTreeSet<String> = (0..10)
        .map(|n| {
            generated_user(n, "active")["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys(&out.path().join("live/u.ndjson")), want);
    assert_eq!(mock.seen().requests.len(), 3, "one request per page");
    // Pages 2 and 3 were asked for by number (the recording keeps each request's query).
    let index = json_file(out.path().join("rec/index.json"));
    let numbers: Vec<Value> = index["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["request"]["query"]["page_number"].clone())
        .collect();
    assert_eq!(numbers, [Value::Null, json!("2"), json!("3")]);
    replay_equals_live(out.path());
}

/// A first page with no token and no page number that holds all of its `total_records` (or more:
/// a total that moved) is the whole answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_page_holding_its_total_is_whole() {
    for total in [7, 6] {
        let body = page_of_users(0..7, &format!(r#""total_records":{total},"#));
        let faults = BTreeMap::from([(1, Fault::Body(body))]);
        let mock = MockZoom::start(
            Account::new(generated_users(7, 0, 0)),
            faults,
            Duration::ZERO,
        )
        .await;
        let out = tempfile::tempdir().unwrap();
        assert_succeeded(&run_blocking(live(&mock, out.path(), &[])).await);
        assert_eq!(
            keys(&out.path().join("live/u.ndjson")).len(),
            7,
            "total {total}"
        );
        assert_eq!(mock.seen().requests.len(), 1);
        replay_equals_live(out.path());
    }
}

/// The real `GET /groups` body of issue 29: one group, no `next_page_token`, no `total_records`.
/// It is the whole list: the groups table holds that group, and the users are written too.
#[tokio::test(flavor = "multi_thread")]
async fn a_groups_body_without_any_paging_member_is_the_whole_list() {
    let mut account = Account::new(generated_users(6, 0, 0));
    account.scopes = "user:read:list_users:admin group:read:list_groups:admin".into();
    account.groups = vec![json!({"id": "g-Sales4x7Q", "name": "Sales", "total_members": 2})];
    account.groups_unpaged = true;
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(live(&mock, out.path(), &["--with", "groups"])).await;
    assert_succeeded(&output);
    let groups = ndjson_file(&out.path().join("live/u_groups.ndjson"));
    let got: Vec<(Value, Value)> = groups
        .iter()
        .map(|g| (g["group_id"].clone(), g["name"].clone()))
        .collect();
    assert_eq!(got, [(json!("g-Sales4x7Q"), json!("Sales"))]);
    assert_eq!(keys(&out.path().join("live/u.ndjson")).len(), 6);
    // The recorded body is the one Zoom sent: no paging member.
    let index = json_file(out.path().join("rec/index.json"));
    let page = index["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["request"]["endpoint"] == "groups")
        .unwrap();
    let body =
        fs::read_to_string(out.path().join("rec").join(page["file"].as_str().unwrap())).unwrap();
    assert!(
        !body.contains("next_page_token") && !body.contains("total_records"),
        "{body}"
    );
    replay_equals_live(out.path());
}

/// Shapes that cannot tell a whole answer from a cut one are refused, live (each retried as a bad
/// body until retries run out: exit 75) and in a recording (exit 1, naming the page): fewer users
/// than `total_records` with no way to the rest, users with no paging member at all (`/users` was
/// never unpaged), a page number that is not the one asked for, and no records array.
#[tokio::test(flavor = "multi_thread")]
async fn pages_that_cannot_say_they_are_whole_are_refused() {
    let cases: [(&'static str, &str); 4] = [
        (
            page_of_users(0..5, r#""total_records":9,"#),
            "5 of its 9 `total_records`",
        ),
        (page_of_users(0..5, ""), "cannot tell whether it is whole"),
        (
            page_of_users(0..5, r#""page_count":3,"page_number":2,"total_records":9,"#),
            "`page_number` 2 answers a request for page 1",
        ),
        (r#"{"total_records":0}"#, "no `users` array"),
    ];
    for (body, message) in cases {
        let faults = (1..=3).map(|n| (n, Fault::Body(body))).collect();
        let mock = MockZoom::start(
            Account::new(generated_users(9, 0, 0)),
            faults,
            Duration::ZERO,
        )
        .await;
        let out = tempfile::tempdir().unwrap();
        let mut cmd = live(&mock, out.path(), &["--max-retries", "2"]);
        cmd.arg("--quiet");
        let output = run_blocking(cmd).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(75), "{message}: {stderr}");
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(!out.path().join("live/u.ndjson").exists(), "{message}");
    }

    // Recorded: a good two-page sweep, then each page's token taken away.
    let mock = MockZoom::start(
        Account::new(generated_users(9, 0, 0)),
        BTreeMap::new(),
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    assert_succeeded(&run_blocking(live(&mock, out.path(), &["--page-size", "5"])).await);
    let index = json_file(out.path().join("rec/index.json"));
    let files: Vec<String> = index["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2);
    // The mock's pages carry `page_count` and `page_number` beside the token: without the token,
    // the first is read by its page number (and the second, asked for by token, breaks the chain)
    // unless those go too.
    let every = ["next_page_token", "page_count", "page_number"];
    for (file, gone, message, named) in [
        (
            &files[0],
            &every[..],
            "5 of its 9 `total_records`",
            &files[0],
        ),
        (
            &files[0],
            &every[..1],
            "named page_number 2: a page is missing",
            &files[1],
        ),
        (
            &files[1],
            &every[..1],
            "no `next_page_token` on a page asked for with one",
            &files[1],
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        let rec = out.path().join("rec");
        let original = fs::read(rec.join(file)).unwrap();
        let page: Value = json_file(rec.join(file));
        let mut page = page.as_object().unwrap().clone();
        for member in gone {
            assert!(page.remove(*member).is_some(), "{file}: {member}");
        }
        fs::write(rec.join(file), Value::Object(page).to_string()).unwrap();
        let mut cmd = zoom_licenses();
        cmd.args(["extract", "--format", "ndjson", "--replay"])
            .arg(&rec)
            .arg("--output")
            .arg(work.path().join("out/u.ndjson"));
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{file}: {stderr}");
        assert!(
            stderr.contains(message) && stderr.contains(named.as_str()),
            "{file}: {stderr}"
        );
        let written = work.path().join("out");
        assert!(
            !written.exists() || dir_entries(&written).is_empty(),
            "{file}"
        );
        fs::write(rec.join(file), original).unwrap();
    }
}
