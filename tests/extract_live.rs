//! End-to-end tests of live extraction against an in-process mock of the Zoom API on 127.0.0.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_users};
use serde_json::Value;

/// A command for a live run against `mock`, writing NDJSON into `out`.
fn live(mock: &MockZoom, out: &Path) -> Command {
    let mut cmd = against_mock(mock);
    cmd.args(["extract", "--retry-min-delay-ms", "20"])
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("u.ndjson"));
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn keys_of(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["user_key"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The keys a person would expect from the mock's users: every active and pending user once
/// (all generated plans are supported), pending ones keyed by email.
fn expected(users: &BTreeMap<String, Vec<Value>>, statuses: &[&str]) -> BTreeSet<String> {
    statuses
        .iter()
        .filter(|s| **s != "inactive")
        .flat_map(|s| users[*s].iter())
        .map(|u| match u["id"].as_str() {
            Some(id) => id.to_string(),
            None => format!("pending:{}", u["email"].as_str().unwrap()),
        })
        .collect()
}

fn manifest(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("u_manifest.json")).unwrap()).unwrap()
}

fn assert_exact_users(out: &Path, users: &BTreeMap<String, Vec<Value>>, statuses: &[&str]) {
    let keys = keys_of(&out.join("u.ndjson"));
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), unique.len(), "a user was written twice");
    assert_eq!(unique, expected(users, statuses), "users lost or invented");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_registered_user_across_pages_and_statuses_and_the_same_on_replay() {
    let users = generated_users(2500, 700, 300);
    let mock = MockZoom::start(Account::new(users.clone()), BTreeMap::new(), Duration::ZERO).await;
    let work = tempfile::tempdir().unwrap();
    let (live_out, replay_out) = (work.path().join("live"), work.path().join("replay"));
    let recording = work.path().join("recording");
    let fixed = ["--run-id", "r1", "--as-of", "2026-11-28T00:00:00Z"];

    let mut cmd = live(&mock, &live_out);
    cmd.args([
        "--statuses",
        "active,pending,inactive",
        "--page-size",
        "1000",
    ])
    .args(fixed)
    .arg("--record")
    .arg(&recording);
    let output = run(cmd).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_exact_users(&live_out, &users, &["active", "pending"]);

    let m = manifest(&live_out);
    assert_eq!(m["source"]["kind"], "zoom");
    assert_eq!(m["source"]["account_id"], "mockAccount123");
    assert_eq!(m["rejects"]["deactivated"], 300);
    assert_eq!(m["statuses"]["active"]["pages"], 3);
    assert_eq!(m["statuses"]["active"]["total_records"], 2500);
    assert_eq!(m["statuses"]["pending"]["users_received"], 700);
    assert_eq!(m["api"]["requests"], 3 + 1 + 1);
    assert_eq!(m["api"]["page_size"], 1000);
    assert_eq!(m["api"]["token_renewals"], 0);
    // The sweeps follow next_page_token, never page_count, and ask for every status.
    let seen = mock.seen();
    let statuses: BTreeSet<&str> = seen.requests.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(statuses, BTreeSet::from(["active", "inactive", "pending"]));
    assert_eq!(seen.token_requests, 1);

    let mut replay = zoom_licenses();
    replay
        .args(["extract", "--format", "ndjson", "--replay"])
        .arg(&recording)
        .args(fixed)
        .arg("--output")
        .arg(replay_out.join("u.ndjson"));
    let output = run(replay).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        fs::read(live_out.join("u.ndjson")).unwrap(),
        fs::read(replay_out.join("u.ndjson")).unwrap(),
        "replaying the recording gives other rows than the live run"
    );
    assert_eq!(
        fs::read(live_out.join("u_rejects.ndjson")).unwrap(),
        fs::read(replay_out.join("u_rejects.ndjson")).unwrap()
    );
}

/// Runs the default extract (active and pending, 50 users a page) with `faults` and checks that
/// exactly the expected users arrive; returns the manifest.
async fn survive(faults: &[(u64, Fault)], extra: &[&str]) -> Value {
    let users = generated_users(230, 70, 20);
    let faults: BTreeMap<u64, Fault> = faults.iter().cloned().collect();
    let mock = MockZoom::start(Account::new(users.clone()), faults.clone(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--page-size", "50"]).args(extra);
    let output = run(cmd).await;
    assert!(
        output.status.success(),
        "faults {faults:?}: {}",
        stderr(&output)
    );
    assert_exact_users(out.path(), &users, &["active", "pending"]);
    assert_eq!(
        mock.seen().faults_applied.len(),
        faults.len(),
        "not every fault was applied"
    );
    manifest(out.path())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_with_retry_after_is_waited_out() {
    let storm = Fault::TooManyRequests {
        retry_after: Some("1".into()),
    };
    let m = survive(&[(2, storm.clone()), (3, storm.clone()), (4, storm)], &[]).await;
    assert_eq!(m["api"]["http_429"], 3);
    assert_eq!(m["api"]["retries"]["rate_limited"], 3);
    // Every request waited for the pause each 429 imposed on all of them.
    assert!(m["api"]["rate_limit_wait_seconds"].as_f64().unwrap() >= 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_without_retry_after_backs_off() {
    let storm = Fault::TooManyRequests { retry_after: None };
    let m = survive(&[(1, storm.clone()), (2, storm.clone()), (5, storm)], &[]).await;
    assert_eq!(m["api"]["http_429"], 3);
    assert_eq!(m["api"]["retries"]["rate_limited"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_dropped_connections_and_cut_pages_are_retried() {
    let m = survive(
        &[
            (2, Fault::ServerError(503)),
            (4, Fault::ServerError(500)),
            (5, Fault::Drop),
            (7, Fault::Truncate),
            (8, Fault::HalfJson),
        ],
        &[],
    )
    .await;
    let retries = &m["api"]["retries"];
    assert_eq!(retries["server_error"], 2);
    assert_eq!(
        retries["network"].as_u64().unwrap_or(0) + retries["bad_body"].as_u64().unwrap_or(0),
        3,
        "{retries}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_expires_mid_run_is_renewed_once() {
    let m = survive(&[(4, Fault::ExpireTokens)], &[]).await;
    assert_eq!(m["api"]["token_renewals"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_page_token_restarts_the_sweep_without_doubling_users() {
    let m = survive(&[(3, Fault::ExpirePageToken)], &[]).await;
    let restarts: u64 = ["active", "pending"]
        .iter()
        .map(|s| m["statuses"][s]["restarts"].as_u64().unwrap())
        .sum();
    assert_eq!(restarts, 1);
    assert!(m["duplicates"].as_u64().unwrap() > 0, "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_remaining_zero_pauses_and_completes() {
    let m = survive(&[(2, Fault::RemainingZero)], &[]).await;
    assert!(
        m["api"]["rate_limit_wait_seconds"].as_f64().unwrap() >= 0.5,
        "{m}"
    );
}

/// One sweep of 300-user pages (so requests go one after another) whose second page has `fault`;
/// checks every user arrived and returns how long after that page the third request came.
async fn gap_after_second_page(fault: Fault) -> Duration {
    let users = generated_users(3000, 0, 0);
    let faults = BTreeMap::from([(2, fault)]);
    let mock = MockZoom::start(Account::new(users.clone()), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--page-size", "300", "--statuses", "active"]);
    let output = run(cmd).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_exact_users(out.path(), &users, &["active"]);
    let offsets = mock.seen().request_offsets;
    offsets[2] - offsets[1]
}

/// Zoom sends `next_page_token` before the users: the next request leaves once it has arrived, not
/// once the whole page has.
#[tokio::test(flavor = "multi_thread")]
async fn the_next_request_leaves_before_a_slow_page_has_arrived() {
    // The page's second half comes 0.3 s after its first, which holds the token.
    let gap = gap_after_second_page(Fault::SlowBody).await;
    assert!(
        gap < Duration::from_millis(250),
        "the next request waited {gap:?} for the whole page"
    );
}

/// The pause holds the request that the paused page's own token would send early, too.
#[tokio::test(flavor = "multi_thread")]
async fn no_request_leaves_during_a_remaining_zero_pause() {
    // The paused page's body also comes in two halves 0.3 s apart: its token, in the first half,
    // must not send the next request past the pause.
    let gap = gap_after_second_page(Fault::RemainingZero).await;
    assert!(
        gap >= Duration::from_millis(900),
        "the request after the paused page left {gap:?} after it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_limit_within_max_wait_is_waited_out() {
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    survive(
        &[(2, Fault::DailyLimit { retry_after: soon })],
        &["--max-wait", "30"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_page_size_falls_back_to_300_once() {
    let users = generated_users(700, 10, 0);
    let mut account = Account::new(users.clone());
    account.max_page_size = 300;
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run(live(&mock, out.path())).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_exact_users(out.path(), &users, &["active", "pending"]);
    let m = manifest(out.path());
    assert_eq!(m["api"]["page_size"], 300);
    assert_eq!(m["api"]["page_size_fallback"], true);
    assert_eq!(m["statuses"]["active"]["pages"], 3);
}

/// Runs against `account` with `faults` and expects a failure with `code` and `message`, and no
/// output files.
async fn refuse(account: Account, faults: BTreeMap<u64, Fault>, code: i32, message: &str) {
    let mock = MockZoom::start(account, faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run(live(&mock, out.path())).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(text.contains(message), "expected {message:?} in: {text}");
    assert!(
        dir_entries(out.path()).is_empty(),
        "{:?}",
        dir_entries(out.path())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_scope_names_the_scope_to_add() {
    let mut account = Account::new(generated_users(10, 0, 0));
    account.scopes = "meeting:read:list_meetings:admin".into();
    refuse(account, BTreeMap::new(), 2, "`user:read:list_users:admin`").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_say_which_to_fix() {
    let mut wrong_secret = Account::new(generated_users(10, 0, 0));
    wrong_secret.client_secret = "a-different-secret".into();
    let mock = MockZoom::start(wrong_secret, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.env("ZOOM_CLIENT_SECRET", "the-wrong-secret");
    let output = run(cmd).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("client ID or client secret"));
    assert!(dir_entries(out.path()).is_empty());

    let mut cmd = live(&mock, out.path());
    cmd.env("ZOOM_CLIENT_SECRET", "a-different-secret")
        .env("ZOOM_ACCOUNT_ID", "someoneElse");
    let output = run(cmd).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("ZOOM_ACCOUNT_ID"));
    assert!(dir_entries(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_limit_hours_away_fails_fast_with_exit_75() {
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(5))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let faults = BTreeMap::from([(
        1,
        Fault::DailyLimit {
            retry_after: later.clone(),
        },
    )]);
    refuse(
        Account::new(generated_users(10, 0, 0)),
        faults,
        75,
        &format!("resets at {later}"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_is_temporary() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mock = MockZoom::start(
        Account::new(generated_users(1, 0, 0)),
        BTreeMap::new(),
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.env("ZOOM_API_URL", format!("http://127.0.0.1:{port}/v2"))
        .args(["--max-retries", "2"]);
    let output = run(cmd).await;
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("network error"),
        "{}",
        stderr(&output)
    );
    assert!(dir_entries(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limiter_holds_max_rps_across_concurrent_sweeps() {
    let users = generated_users(100, 100, 100);
    let mock = MockZoom::start(Account::new(users.clone()), BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(["--max-rps", "8", "--page-size", "10"])
        .args(["--statuses", "active,pending,inactive"]);
    let output = run(cmd).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let seen = mock.seen();
    assert_eq!(seen.requests.len(), 30);
    assert!(
        seen.max_requests_per_second <= 8,
        "the mock saw {} requests within one second",
        seen.max_requests_per_second
    );
    assert!(
        seen.max_requests_per_second >= 6,
        "the limiter is far too slow"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_or_token_appears_in_logs_outputs_or_recordings() {
    let users = generated_users(120, 30, 10);
    let faults = BTreeMap::from([(2, Fault::ExpireTokens), (3, Fault::ServerError(502))]);
    let mock = MockZoom::start(Account::new(users), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.env("RUST_LOG", "trace")
        .args(["-vv", "--page-size", "30", "--record"])
        .arg(out.path().join("recording"));
    let output = run(cmd).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let seen = mock.seen();
    assert_eq!(seen.tokens_issued.len(), 2);
    let mut secrets: Vec<String> = seen.tokens_issued.clone();
    secrets.push(mock.account().client_secret);
    let mut haystacks = vec![
        ("stderr".to_string(), stderr(&output)),
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
    ];
    for (path, bytes) in files_under(out.path()) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        haystacks.push((path.display().to_string(), text));
    }
    assert!(haystacks.len() > 5);
    for (name, text) in &haystacks {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} contains a secret");
        }
        assert!(
            !text.contains("Authorization"),
            "{name} contains an Authorization header"
        );
    }
}
