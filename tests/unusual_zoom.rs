//! Zoom answers that are valid but unusual, where Zoom's own behaviour is unconfirmed (a page size
//! above the maximum clamped or refused, pages shorter than asked, a `total_records` that moves),
//! beside the hostile ones the same guards must still stop (members given twice, chains of pages
//! that never end). A guard that fails a good run is worse than none: every guard is tested on
//! both sides here, through the binary. Expectations are the mock's own users.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_user, generated_users};
use serde_json::Value;

/// A live run against `mock` into `out` as NDJSON, at the default page size (2000) and 1000
/// requests a second.
fn live(mock: &MockZoom, out: &Path) -> Command {
    let mut cmd = against_mock(mock);
    cmd.args(["extract", "--retry-min-delay-ms", "20", "--max-rps", "1000"])
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("u.ndjson"));
    cmd
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The keys of the account's users of `statuses`, from the mock's own records: a user's id, or
/// `pending:` and its email for a pending user (which has none).
fn expected(users: &BTreeMap<String, Vec<Value>>, statuses: &[&str]) -> BTreeSet<String> {
    statuses
        .iter()
        .flat_map(|s| users.get(*s).into_iter().flatten())
        .map(|u| match u["id"].as_str() {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => format!("pending:{}", u["email"].as_str().unwrap().to_lowercase()),
        })
        .collect()
}

/// 20,000 users against a Zoom that clamps the page size asked for (2000) to 300, or to 200, and
/// says so in each page's `page_size`; and against one that refuses it (the run falls back to
/// 300). Every user arrives under every reading, and the manifest says the size Zoom served.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_thousand_users_arrive_whether_zoom_clamps_or_refuses_the_page_size() {
    let users = generated_users(20_000, 40, 0);
    for (max, clamp) in [(300u32, true), (200, true), (300, false)] {
        let mut account = Account::new(users.clone());
        account.max_page_size = max;
        account.clamp_page_size = clamp;
        let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
        let out = tempfile::tempdir().unwrap();
        let output = run_blocking(live(&mock, out.path())).await;
        assert_succeeded(&output);
        let context = format!("max {max}, clamp {clamp}");
        let want = expected(&users, &["active", "pending"]);
        assert_same_keys(&written_keys(&out.path().join("u.ndjson")), &want, &context);
        let m = json_file(out.path().join("u_manifest.json"));
        assert_eq!(m["api"]["page_size"], max, "clamp {clamp}");
        assert_eq!(m["api"]["page_size_fallback"], !clamp);
        assert_eq!(
            m["statuses"]["active"]["pages"],
            20_000u64.div_ceil(max as u64),
            "max {max}, clamp {clamp}"
        );
    }
}

/// The fault mix at the default page size: 429s with and without Retry-After, 5xx, dropped
/// connections, cut bodies, an expired token and an expired page token, a page that is no page,
/// across three statuses. Every user arrives exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_mix_of_faults_at_the_default_page_size_loses_no_user() {
    let users = generated_users(9_000, 2_500, 300);
    let faults = BTreeMap::from([
        (2, Fault::ServerError(503)),
        (
            3,
            Fault::TooManyRequests {
                retry_after: Some("1".into()),
            },
        ),
        (4, Fault::Drop),
        (5, Fault::TooManyRequests { retry_after: None }),
        (6, Fault::Truncate),
        (7, Fault::ExpireTokens),
        (8, Fault::HalfJson),
        (9, Fault::ExpirePageToken),
        (10, Fault::RemainingZero),
        (11, Fault::Body(r#"{"users":[]}"#)),
        (12, Fault::ServerError(502)),
        (13, Fault::Body("<html>busy</html>")),
    ]);
    let mock = MockZoom::start(Account::new(users.clone()), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--statuses", "active,pending,inactive"]);
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let want = expected(&users, &["active", "pending"]);
    assert_same_keys(
        &written_keys(&out.path().join("u.ndjson")),
        &want,
        "fault mix",
    );
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["rejects"]["deactivated"], 300);
}

/// A `total_records` that moves between pages (users added or removed while the sweep runs), and
/// pages shorter than the 50 asked for, are followed to the end: every user arrives.
#[tokio::test(flavor = "multi_thread")]
async fn pages_shorter_than_asked_and_a_moving_total_are_followed_to_the_end() {
    let users = generated_users(230, 0, 0);
    // Page 1 is the mock's (users 0..50, total 230); pages 2 to 4 are short and their totals move;
    // page 4's token leads back to the mock's own pages at user 100.
    let faults = BTreeMap::from([
        (
            2,
            Fault::Body(page_of_users(
                50..60,
                r#""page_size":50,"total_records":90,"next_page_token":"s1","#,
            )),
        ),
        (
            3,
            Fault::Body(page_of_users(
                60..61,
                r#""page_size":50,"total_records":5000,"next_page_token":"s2","#,
            )),
        ),
        (
            4,
            Fault::Body(page_of_users(
                61..100,
                r#""page_size":50,"next_page_token":"ptactivex100xQ7w2","#,
            )),
        ),
    ]);
    every_active_user_arrives(&users, faults, "short pages").await;
}

/// That `got` and `want` hold the same keys, saying what differs in a few lines if not.
fn assert_same_keys(got: &BTreeSet<String>, want: &BTreeSet<String>, context: &str) {
    let missing: Vec<&String> = want.difference(got).take(5).collect();
    let extra: Vec<&String> = got.difference(want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{context}: {} written, {} expected; missing {missing:?}…, extra {extra:?}…",
        got.len(),
        want.len()
    );
}

/// One sweep of the active users (50 a page) against a mock of `users` with `faults`: every
/// active user must arrive once. Returns the manifest.
async fn every_active_user_arrives(
    users: &BTreeMap<String, Vec<Value>>,
    faults: BTreeMap<u64, Fault>,
    context: &str,
) -> Value {
    let mock = MockZoom::start(Account::new(users.clone()), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--statuses", "active", "--page-size", "50"]);
    assert_succeeded(&run_blocking(cmd).await);
    let want = expected(users, &["active"]);
    assert_same_keys(&written_keys(&out.path().join("u.ndjson")), &want, context);
    json_file(out.path().join("u_manifest.json"))
}

/// Runs `cmd` and expects exit `code` with `message` on stderr and nothing in `out`.
async fn refused(cmd: Command, out: &Path, code: i32, message: &str) -> String {
    let output = run_blocking(cmd).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(text.contains(message), "expected {message:?} in: {text}");
    assert!(dir_entries(out).is_empty(), "{:?}", dir_entries(out));
    text
}

/// A page whose `users` (or `next_page_token`) member comes twice is no page: serde would keep
/// the last one and lose the first's users, or end the sweep early. Live, it is retried as a bad
/// body (and a run that only ever gets such pages ends with exit 75); a recording holding one is
/// refused (exit 1) naming the page.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_a_member_given_twice_is_retried_live_and_refused_on_replay() {
    let users = generated_users(230, 0, 0);
    let twice_users = Fault::Body(page_of_users(
        50..60,
        r#""next_page_token":"","users":[{"id":"lost","email":"lost@example.com","type":2}],"#,
    ));
    let twice_token = Fault::Body(page_of_users(
        50..100,
        r#""next_page_token":"ptactivex100xQ7w2","next_page_token":"","#,
    ));
    for fault in [twice_users, twice_token] {
        let faults = BTreeMap::from([(2, fault.clone())]);
        let m = every_active_user_arrives(&users, faults, &format!("{fault:?}")).await;
        assert_eq!(m["api"]["retries"]["bad_body"], 1, "{fault:?}");
    }

    // Every answer has the member twice: retries run out (exit 75), nothing is written.
    let faults = (1..=4)
        .map(|n| {
            (
                n,
                Fault::Body(r#"{"next_page_token":"","users":[],"users":[]}"#),
            )
        })
        .collect();
    let mock = MockZoom::start(Account::new(users.clone()), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--statuses", "active", "--max-retries", "3"]);
    refused(cmd, out.path(), 75, "the member `users` comes twice").await;

    // A recording whose second page has its users twice.
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("recording");
    let mock = MockZoom::start(Account::new(users), BTreeMap::new(), Duration::ZERO).await;
    let mut cmd = live(&mock, &work.path().join("live"));
    cmd.args(["--statuses", "active", "--page-size", "50", "--record"])
        .arg(&recording);
    assert_succeeded(&run_blocking(cmd).await);
    let index = json_file(recording.join("index.json"));
    let second = index["pages"][1]["file"].as_str().unwrap().to_string();
    let body = fs::read_to_string(recording.join(&second)).unwrap();
    let doubled = body.replacen(r#""users":["#, r#""users":[],"users":["#, 1);
    fs::write(recording.join(&second), doubled).unwrap();
    let out = work.path().join("replay");
    fs::create_dir(&out).unwrap();
    let mut cmd = zoom_licenses();
    cmd.args(["extract", "--format", "ndjson", "--replay"])
        .arg(&recording)
        .arg("--output")
        .arg(out.join("u.ndjson"));
    let text = refused(cmd, &out, 1, "the member `users` comes twice").await;
    assert!(text.contains(&second), "the page is not named: {text}");
}

/// A chain of pages that would never end stops the run (exit 1, nothing written) with the sweep
/// named: non-empty pages with fresh tokens past twice their `total_records` (and growth room).
/// Repeated tokens and empty pages that keep naming a next one are in `tests/extract_live.rs`.
#[tokio::test(flavor = "multi_thread")]
async fn chains_of_pages_past_their_total_stop_the_run() {
    // Every page from the second on holds one new user and a new token, claiming 230 in all:
    // 2 × 230 + 1,000 records is the most a sweep may receive; the first page held 50.
    let one_user = |n: u64| {
        let body = format!(
            r#"{{"total_records":230,"next_page_token":"fresh{n}","users":[{}]}}"#,
            generated_user(10_000 + n as usize, "active")
        );
        (n, Fault::Body(Box::leak(body.into_boxed_str())))
    };
    let faults = (2..=1_600).map(one_user).collect();
    let mock = MockZoom::start(
        Account::new(generated_users(230, 0, 0)),
        faults,
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--statuses", "active", "--page-size", "50"]);
    refused(
        cmd,
        out.path(),
        1,
        "Zoom's pages of `users?status=active` do not end",
    )
    .await;
    let pages = 1 + (2 * 230 + 1_000 + 1 - 50);
    let requests = mock.seen().requests.len();
    // The next request may leave before its page is checked (the token arrives first).
    assert!(
        (pages..=pages + 1).contains(&requests),
        "{requests} requests"
    );
}

/// `GET /accounts` (the sub accounts of `--sub-accounts`) answering empty pages with fresh tokens
/// for ever stops at the second such page (exit 1), before any sub account is read.
#[tokio::test(flavor = "multi_thread")]
async fn listing_sub_accounts_that_never_ends_stops_the_run() {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = "account:read:list_sub_accounts:master user:read:list_users:master".into();
    account.sub_accounts = vec![("subA1".into(), "Alpha".into(), generated_users(3, 0, 0))];
    account.sub_accounts_endless = true;
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.current_dir(work.path())
        .args(["extract", "--sub-accounts", "--output-dir"])
        .arg(work.path().join("out"))
        .args(["--partition-date", "2026-12-01"]);
    let output = tokio::time::timeout(Duration::from_secs(120), run_blocking(cmd))
        .await
        .expect("listing the sub accounts never ended");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Zoom's pages of `accounts` do not end"),
        "{text}"
    );
    assert!(
        !work.path().join("out").exists(),
        "a sub account was written"
    );
}

/// A good page that says no requests are left (`X-RateLimit-Remaining: 0`) with a `Retry-After`
/// the tool cannot place (words, fractional seconds) is kept, and the run pauses the usual second:
/// dropping the page and exiting 75 would fail a good run.
#[tokio::test(flavor = "multi_thread")]
async fn a_good_page_with_an_unreadable_retry_after_is_kept() {
    let users = generated_users(230, 0, 0);
    for retry_after in ["soon", "1.5"] {
        let faults = BTreeMap::from([(2, Fault::RemainingZeroFor(retry_after))]);
        every_active_user_arrives(&users, faults, retry_after).await;
    }
}
