//! End-to-end tests of how the client reads Zoom's failures (issue 24): `Retry-After` values no
//! clock can wait for, what retries log, page tokens too long to send back, bare 404s after the API
//! answered, and tokens refused again while they rotate. Against the in-process mock on 127.0.0.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_users};
use serde_json::Value;

/// One sweep of 230 active users, 50 a page: request N is page N unless a fault repeats one.
const ONE_SWEEP: &[&str] = &["--statuses", "active", "--page-size", "50"];

/// A live run against `mock` writing NDJSON into `out`, with short retries.
fn live(mock: &MockZoom, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = against_mock(mock);
    cmd.args(["extract", "--retry-min-delay-ms", "20"])
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("u.ndjson"))
        .args(extra);
    cmd
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs one sweep of 230 active users with `faults`; returns the run, the mock and the directory.
async fn one_sweep(
    faults: BTreeMap<u64, Fault>,
    extra: &[&str],
) -> (Output, MockZoom, tempfile::TempDir) {
    let account = Account::new(generated_users(230, 0, 0));
    let mock = MockZoom::start(account, faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let args = [ONE_SWEEP, extra].concat();
    let output = run_blocking(live(&mock, out.path(), &args)).await;
    (output, mock, out)
}

/// The ids of the mock's active users.
fn active_ids(users: &BTreeMap<String, Vec<Value>>) -> BTreeSet<String> {
    users["active"]
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// A per-second 429 whose `Retry-After` is a number of seconds past any clock (u64::MAX, once
/// read as "no Retry-After" and retried for minutes), one too large for a u64, one longer than
/// `--max-wait`, or words: each ends the run at once with exit 75 and the WaitTooLong message,
/// without another request.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_any_clock_unreadable_or_over_max_wait_ends_the_run_at_once() {
    let values = [
        (
            "18446744073709551615",
            "Retry-After `18446744073709551615` names no time",
        ),
        (
            "99999999999999999999999999",
            "names no time this run can wait for",
        ),
        ("3600", "Zoom asked to wait until"),
        ("soon", "Retry-After `soon` names no time"),
    ];
    for (value, said) in values {
        let started = Instant::now();
        let fault = Fault::TooManyRequests {
            retry_after: Some(value.into()),
        };
        let (output, mock, out) =
            one_sweep(BTreeMap::from([(2, fault)]), &["--max-wait", "30"]).await;
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(75), "{value}: {text}");
        assert!(
            text.contains("longer than --max-wait (30s)"),
            "{value}: {text}"
        );
        assert!(text.contains(said), "{value}: expected {said:?} in {text}");
        assert_eq!(
            mock.seen().requests.len(),
            2,
            "{value}: a request after the 429"
        );
        assert!(dir_entries(out.path()).is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{value}: took {:?}",
            started.elapsed()
        );
    }
}

/// A 429 that a retry gets past is logged as what happened ("Zoom's rate limit was hit (HTTP
/// 429)"), never as retries running out: the run then succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_429_is_logged_as_what_happened_not_as_the_end() {
    let fault = Fault::TooManyRequests {
        retry_after: Some("1".into()),
    };
    let (output, _mock, out) = one_sweep(BTreeMap::from([(2, fault)]), &[]).await;
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert_eq!(written_keys(&out.path().join("u.ndjson")).len(), 230);
    let retries: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Retrying request."))
        .collect();
    assert_eq!(retries.len(), 1, "{text}");
    assert!(
        retries[0].contains("Zoom's rate limit was hit (HTTP 429)"),
        "{text}"
    );
    assert!(!text.contains("ran out"), "{text}");
}

/// When 429s outlast `--max-retries`, each retry's line says a 429 came, and only the error that
/// ends the run (exit 75) says retries ran out, with the number of requests sent.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_error_that_ends_the_run_says_retries_ran_out() {
    let storm = Fault::TooManyRequests {
        retry_after: Some("0".into()),
    };
    let faults = (2..=4).map(|n| (n, storm.clone())).collect();
    let (output, mock, _out) = one_sweep(faults, &["--max-retries", "2"]).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(75), "{text}");
    let retries = text.lines().filter(|l| l.contains("Retrying request."));
    let mut count = 0;
    for line in retries {
        count += 1;
        assert!(line.contains("(HTTP 429)"), "{line}");
        assert!(!line.contains("ran out"), "{line}");
    }
    assert_eq!(count, 2, "{text}");
    assert!(
        text.contains("(HTTP 429); retries ran out after 3 attempts"),
        "{text}"
    );
    assert_eq!(mock.seen().requests.len(), 4);
}

/// The body of a first page of one user whose `next_page_token` is `bytes` long.
fn page_with_token_of(bytes: usize) -> &'static str {
    let user = r#"{"id":"tok1","email":"tok1@example.com","type":1,"status":"active"}"#;
    let token = "A".repeat(bytes);
    let body = format!(r#"{{"total_records":230,"next_page_token":"{token}","users":[{user}]}}"#);
    Box::leak(body.into_boxed_str())
}

/// A page whose `next_page_token` is too long to send back (1 MB: once exit 75 "not a valid Uri",
/// retried as a network error; 10 KB: within the part of a body read for an early next request)
/// is an invalid page: exit 1 at once, naming the sweep and the token, and no request sent with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_next_page_token_too_long_to_send_back_is_an_invalid_page() {
    for bytes in [1 << 20, 10 * 1024] {
        let started = Instant::now();
        let faults = BTreeMap::from([(1, Fault::Body(page_with_token_of(bytes)))]);
        let (output, mock, out) = one_sweep(faults, &[]).await;
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{bytes}: {text}");
        assert!(text.contains("reading `users?status=active`"), "{text}");
        assert!(
            text.contains(&format!(
                "next_page_token of {bytes} bytes, which is unusable"
            )),
            "{text}"
        );
        assert!(!text.contains("Uri"), "{text}");
        assert_eq!(
            mock.seen().requests.len(),
            1,
            "{bytes}: a request sent with the token"
        );
        assert!(dir_entries(out.path()).is_empty());
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

/// Settings of the licensed users (`--with addons`), one of whom answers a bare 404 (no Zoom code)
/// after the list and other users' settings were read: that user is gone, skipped and counted
/// like Zoom's code 1001, and the run succeeds; nothing blames the API URL.
#[tokio::test(flavor = "multi_thread")]
async fn a_bare_404_for_one_users_settings_after_others_were_read_is_a_counted_skip() {
    let users = generated_users(100, 5, 5);
    let licensed: BTreeSet<String> = users["active"]
        .iter()
        .filter(|u| u["type"] == 2)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let bare = licensed.iter().next_back().unwrap().clone();
    let mut account = Account::new(users.clone());
    account.scopes = "user:read:list_users:admin user:read:settings:admin".into();
    account.settings_bare_404 = vec![bare.clone()];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let args = ["--with", "addons", "--max-rps", "200"];
    let output = run_blocking(live(&mock, out.path(), &args)).await;
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("--api-url"), "{text}");
    assert!(text.contains("Gone since it was listed"), "{text}");
    let asked: BTreeSet<String> = mock.seen().settings_requests.into_iter().collect();
    assert_eq!(asked, licensed, "a settings request per licensed user");
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["addons"]["users_gone"], 1);
    assert_eq!(m["addons"]["users_read"], licensed.len() as u64 - 1);
    let addon_users: BTreeSet<String> = ndjson_file(&out.path().join("u_user_addons.ndjson"))
        .iter()
        .map(|r| r["user_key"].as_str().unwrap().to_string())
        .collect();
    assert!(!addon_users.contains(&bare), "the gone user has add-ons");
    assert_eq!(written_keys(&out.path().join("u.ndjson")), {
        let mut all = active_ids(&users);
        all.extend(
            users["pending"]
                .iter()
                .map(|u| format!("pending:{}", u["email"].as_str().unwrap())),
        );
        all
    });
}

/// A bare 404 on a list's second page, after its first page was read from the same API URL, is a
/// failure (exit 1) that says what happened, naming the sweep; it does not send the user to
/// check `--api-url`, which just answered.
#[tokio::test(flavor = "multi_thread")]
async fn a_bare_404_on_a_list_after_pages_were_read_is_exit_1_without_blaming_the_api_url() {
    let faults = BTreeMap::from([(2, Fault::Refused(404, 0))]);
    let (output, mock, out) = one_sweep(faults, &[]).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("reading `users?status=active`"), "{text}");
    assert!(text.contains("HTTP 404 without an error code"), "{text}");
    assert!(!text.contains("check --api-url"), "{text}");
    assert_eq!(mock.seen().requests.len(), 2, "a bare 404 is not retried");
    assert!(dir_entries(out.path()).is_empty());
}

/// A token refused right after its renewal (it rotated again under the request: another request
/// renewed it, or Zoom dropped it) is renewed again, since each renewal gave a new token: the run
/// completes with every user, after two renewals. Deterministic: Zoom drops every token on two
/// requests in a row.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_again_right_after_its_renewal_is_renewed_again() {
    let faults = BTreeMap::from([(2, Fault::ExpireTokens), (3, Fault::ExpireTokens)]);
    let (output, mock, out) = one_sweep(faults, &[]).await;
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let seen = mock.seen();
    assert_eq!(seen.faults_applied.len(), 2, "both refusals happened");
    assert_eq!(seen.token_requests, 3, "one token, then two renewals");
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["api"]["token_renewals"], 2);
    let users = generated_users(230, 0, 0);
    assert_eq!(
        written_keys(&out.path().join("u.ndjson")),
        active_ids(&users)
    );
}

/// Zoom refusing every token it issues is a configuration problem: after three renewals for one
/// request, each a new token, the fourth refusal ends the run with exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_after_three_renewals_ends_the_run_with_exit_2() {
    let faults = (2..=5).map(|n| (n, Fault::ExpireTokens)).collect();
    let (output, mock, out) = one_sweep(faults, &[]).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("Zoom refused the access token"), "{text}");
    assert_eq!(
        mock.seen().token_requests,
        4,
        "one token, then three renewals"
    );
    assert!(dir_entries(out.path()).is_empty());
}
