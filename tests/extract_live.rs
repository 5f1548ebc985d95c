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
    json_file(out.join("u_manifest.json"))
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
    assert_succeeded(&output);
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
    assert_succeeded(&output);
    assert_eq!(
        fs::read(live_out.join("u.ndjson")).unwrap(),
        fs::read(replay_out.join("u.ndjson")).unwrap(),
        "replaying the recording gives other rows than the live run"
    );
    assert_eq!(
        fs::read(live_out.join("u_rejects.ndjson")).unwrap(),
        fs::read(replay_out.join("u_rejects.ndjson")).unwrap()
    );
    assert_recorded_requests(&recording, "1000");
}

/// Every recorded page names the request that fetched it: the `users` endpoint, its status and
/// `page_size` (the size actually sent), and the page token sent, which is the previous page of its
/// sweep's `next_page_token` (none on a first page). Checked against the recorded bodies.
fn assert_recorded_requests(recording: &Path, page_size: &str) {
    let index: Value = json_file(recording.join("index.json"));
    let mut next: BTreeMap<String, String> = BTreeMap::new();
    for page in index["pages"].as_array().unwrap() {
        let request = &page["request"];
        assert_eq!(request["endpoint"], "users");
        assert_eq!(request["query"]["page_size"], page_size, "{page}");
        let status = request["query"]["status"].as_str().unwrap().to_string();
        match next.get(&status) {
            None => assert!(request["page_token"].is_null(), "{page}"),
            Some(token) => assert_eq!(request["page_token"], token.as_str(), "{page}"),
        }
        let body: Value = serde_json::from_str(
            &fs::read_to_string(recording.join(page["file"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        next.insert(
            status,
            body["next_page_token"].as_str().unwrap().to_string(),
        );
    }
    assert!(
        next.values().all(String::is_empty),
        "every sweep ran to its last page"
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

/// With `user:read:summary:admin`, a run reads Zoom's own counts and sets them beside its own in
/// the manifest; a difference is a warning naming it (exit 0), agreement is said once.
#[tokio::test(flavor = "multi_thread")]
async fn counts_are_reconciled_with_zooms_summary() {
    let users = generated_users(40, 5, 5);
    // Expected from the mock's users, not from the tool: active users of plan type 2 and 1.
    let of_type = |t: i64| users["active"].iter().filter(|u| u["type"] == t).count() as u64;
    let (licensed, basic) = (of_type(2), of_type(1));
    let run_with = |overrides: Value| {
        let users = users.clone();
        async move {
            let mut account = Account::new(users);
            account.scopes = "user:read:list_users:admin user:read:summary:admin".into();
            account.summary_overrides = overrides;
            let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
            let out = tempfile::tempdir().unwrap();
            let output = run(live(&mock, out.path())).await;
            assert_succeeded(&output);
            (manifest(out.path()), stderr(&output))
        }
    };
    let (m, said) = run_with(serde_json::json!({})).await;
    let counts = &m["reconciliation"]["counts"];
    assert_eq!(counts["licensed"]["zoom"], licensed);
    assert_eq!(counts["licensed"]["extract"], licensed);
    assert_eq!(counts["basic"]["extract"], basic);
    assert_eq!(counts["pending"]["zoom"], 5);
    assert_eq!(counts["pending"]["extract"], 5);
    assert_eq!(counts["total"]["difference"], 0);
    assert!(said.contains("all agree"), "{said}");
    assert!(!said.contains("WARN"), "agreement is silent: {said}");

    // Zoom's total counts its Zoom Rooms, as its spec defines it: no difference.
    let active = users["active"].len() as u64;
    let rooms = serde_json::json!({"room_users_count": 3, "total_users_count": active + 3});
    let (m, said) = run_with(rooms).await;
    assert_eq!(m["reconciliation"]["counts"]["rooms"]["zoom"], 3);
    assert!(said.contains("all agree"), "{said}");

    let (m, said) = run_with(serde_json::json!({"licensed_users_count": licensed + 1})).await;
    assert_eq!(m["reconciliation"]["counts"]["licensed"]["difference"], -1);
    let expected = format!(
        "licensed: Zoom counts {}, the extract {licensed} (1 fewer)",
        licensed + 1
    );
    assert!(said.contains(&expected), "{said}");
    assert!(said.contains("WARN"), "{said}");
}

/// Our own spacing under `--max-rps` is pacing, not waiting on Zoom's rate limits: a run Zoom never
/// held reports no rate-limit wait.
#[tokio::test(flavor = "multi_thread")]
async fn pacing_is_not_counted_as_waiting_on_rate_limits() {
    let mock = MockZoom::start(
        Account::new(generated_users(300, 0, 0)),
        BTreeMap::new(),
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args([
        "--statuses",
        "active",
        "--page-size",
        "50",
        "--max-rps",
        "5",
    ]);
    let output = run(cmd).await;
    assert_succeeded(&output);
    let m = manifest(out.path());
    assert_eq!(m["api"]["http_429"], 0);
    assert_eq!(m["api"]["rate_limit_wait_seconds"], 0.0);
    // Without user:read:summary:admin there is nothing to reconcile with.
    assert!(m["reconciliation"].is_null());
    // 6 pages at 5 a second: the last 5 each wait up to 0.2 s for their turn (less when a page is
    // slow to arrive on a busy machine); 0.3 s leaves room for that.
    assert!(
        m["api"]["pacing_wait_seconds"].as_f64().unwrap() >= 0.3,
        "{}",
        m["api"]
    );
}

/// 429s without `Retry-After` are retried after growing waits: the first retry of a page at least
/// `--retry-min-delay-ms` after the refusal, the second at least twice that.
#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_without_retry_after_backs_off() {
    let storm = Fault::TooManyRequests { retry_after: None };
    let users = generated_users(230, 0, 0);
    let faults = BTreeMap::from([(2, storm.clone()), (3, storm)]);
    let mock = MockZoom::start(Account::new(users.clone()), faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    // A single sweep, so requests 2, 3 and 4 are page 2 and its two retries.
    cmd.args([
        "extract",
        "--retry-min-delay-ms",
        "300",
        "--format",
        "ndjson",
        "--output",
    ])
    .arg(out.path().join("u.ndjson"))
    .args(["--page-size", "50", "--statuses", "active"]);
    let output = run(cmd).await;
    assert_succeeded(&output);
    assert_exact_users(out.path(), &users, &["active"]);
    let seen = mock.seen();
    assert_eq!(seen.faults_applied.len(), 2);
    let gap = |i: usize| seen.request_offsets[i] - seen.request_offsets[i - 1];
    assert!(
        gap(2) >= Duration::from_millis(300),
        "first retry after {:?}",
        gap(2)
    );
    assert!(
        gap(3) >= Duration::from_millis(600),
        "second retry after {:?}",
        gap(3)
    );
    let m = manifest(out.path());
    assert_eq!(m["api"]["http_429"], 2);
    assert_eq!(m["api"]["retries"]["rate_limited"], 2);
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
    assert_succeeded(&output);
    assert_exact_users(out.path(), &users, &["active"]);
    let offsets = mock.seen().request_offsets;
    offsets[2] - offsets[1]
}

/// Zoom sends `next_page_token` before the users: the next request leaves once it has arrived, not
/// once the whole page has.
#[tokio::test(flavor = "multi_thread")]
async fn the_next_request_leaves_before_a_slow_page_has_arrived() {
    // The page's second half comes a second after its first, which holds the token: a run that
    // waited for the whole page asks for the next one a second later at the earliest.
    let gap = gap_after_second_page(Fault::SlowBody).await;
    assert!(
        gap < mock_zoom::SLOW_BODY_GAP * 2 / 3,
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

/// A daily limit that resets within `--max-wait` is waited for, then the run completes.
#[tokio::test(flavor = "multi_thread")]
async fn a_daily_limit_within_max_wait_is_waited_out() {
    // Zoom's Retry-After is a timestamp in whole seconds: this one is 2 to 3 s away.
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let started = std::time::Instant::now();
    let m = survive(
        &[(2, Fault::DailyLimit { retry_after: soon })],
        &["--max-wait", "30"],
    )
    .await;
    // Without the wait this run takes well under a second.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the run did not wait: {:?}",
        started.elapsed()
    );
    assert_eq!(m["api"]["http_429"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_page_size_falls_back_to_300_once() {
    let users = generated_users(700, 10, 0);
    let mut account = Account::new(users.clone());
    account.max_page_size = 300;
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.arg("--record").arg(out.path().join("recording"));
    let output = run(cmd).await;
    assert_succeeded(&output);
    assert_exact_users(out.path(), &users, &["active", "pending"]);
    let m = manifest(out.path());
    assert_eq!(m["api"]["page_size"], 300);
    assert_eq!(m["api"]["page_size_fallback"], true);
    assert_eq!(m["statuses"]["active"]["pages"], 3);
    // Only answered pages are recorded, each with the size that was sent.
    assert_recorded_requests(&out.path().join("recording"), "300");
}

/// Runs against `account` with `faults` and expects a failure with `code` and `message`, and no
/// output files.
async fn refuse(account: Account, faults: BTreeMap<u64, Fault>, code: i32, message: &str) {
    refuse_with(account, faults, &[], code, message).await;
}

/// Like [`refuse`], with `extra` arguments; returns the mock to look at what it saw.
async fn refuse_with(
    account: Account,
    faults: BTreeMap<u64, Fault>,
    extra: &[&str],
    code: i32,
    message: &str,
) -> MockZoom {
    let mock = MockZoom::start(account, faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(extra);
    let output = run(cmd).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(text.contains(message), "expected {message:?} in: {text}");
    assert!(
        dir_entries(out.path()).is_empty(),
        "{:?}",
        dir_entries(out.path())
    );
    mock
}

/// One sweep of 230 active users, 50 a page: request N is page N unless a fault repeats one.
const ONE_SWEEP: &[&str] = &["--statuses", "active", "--page-size", "50"];

/// An expired page token restarts its sweep at most three times; the fourth expiry ends the run.
#[tokio::test(flavor = "multi_thread")]
async fn a_fourth_expired_page_token_ends_the_run() {
    // Each fault waits for a request that sends a page token.
    let faults = (2..=5).map(|n| (n, Fault::ExpirePageToken)).collect();
    let account = Account::new(generated_users(230, 0, 0));
    let mock = refuse_with(account, faults, ONE_SWEEP, 1, "the next page token expired").await;
    assert_eq!(mock.seen().faults_applied.len(), 4);
    let first_pages = mock.seen().requests.iter().filter(|r| !r.2).count();
    assert_eq!(first_pages, 4, "the first page and three restarts");
}

/// A page that hands back the token it was asked with would loop for ever: the run stops instead.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_next_page_token_twice_stops_the_run() {
    let faults = BTreeMap::from([(2, Fault::SameToken)]);
    let account = Account::new(generated_users(230, 0, 0));
    let mock = refuse_with(
        account,
        faults,
        ONE_SWEEP,
        1,
        "the same next_page_token twice",
    )
    .await;
    assert_eq!(
        mock.seen().requests.len(),
        2,
        "it asked again with the same token"
    );
}

/// A refusal that is neither about the token, the scope, rate limits nor paging is exit 1, with
/// Zoom's code and message.
#[tokio::test(flavor = "multi_thread")]
async fn any_other_4xx_is_exit_1_with_zooms_code_and_message() {
    for status in [403, 404] {
        let faults = BTreeMap::from([(2, Fault::Refused(status, 200))]);
        let account = Account::new(generated_users(230, 0, 0));
        let message = format!("HTTP {status}, code 200: No permission.");
        refuse_with(account, faults, ONE_SWEEP, 1, &message).await;
    }
}

/// `--timeout` bounds each request: a page that never comes is retried, then the run ends (exit 75)
/// long before the page would have.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_past_timeout_is_retried_then_temporary() {
    let faults = BTreeMap::from([(2, Fault::Stall), (3, Fault::Stall)]);
    let account = Account::new(generated_users(230, 0, 0));
    let started = std::time::Instant::now();
    let extra = [ONE_SWEEP, &["--timeout", "1", "--max-retries", "1"]].concat();
    let mock = refuse_with(account, faults, &extra, 75, "network error").await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(mock.seen().requests.len(), 3, "page 2 and one retry");
}

/// A live run that fails leaves the pages it recorded, but no `index.json`: the recording cannot be
/// replayed as if it were whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_recording_has_no_index() {
    let faults = BTreeMap::from([(3, Fault::Refused(403, 200))]);
    let mock = MockZoom::start(
        Account::new(generated_users(230, 0, 0)),
        faults,
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let recording = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(ONE_SWEEP)
        .arg("--record")
        .arg(recording.path().join("rec"));
    let output = run(cmd).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let rec = recording.path().join("rec");
    assert_eq!(
        dir_entries(&rec.join("pages")).len(),
        2,
        "the pages that came"
    );
    assert!(!rec.join("index.json").exists());
    zoom_licenses()
        .args(["extract", "--replay"])
        .arg(&rec)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("index.json"));
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
async fn wrong_base_urls_name_the_flag_to_fix() {
    let mock = MockZoom::start(
        Account::new(generated_users(10, 0, 0)),
        BTreeMap::new(),
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    // The API base without /v2: every endpoint is a bare 404.
    let mut cmd = live(&mock, out.path());
    cmd.env("ZOOM_API_URL", mock.oauth_url());
    let output = run(cmd).await;
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("check --api-url"), "{said}");
    assert!(said.contains("with /v2 at the end"), "{said}");
    assert!(dir_entries(out.path()).is_empty());

    // An OAuth base where no token endpoint is: not "Zoom refused the credentials".
    let mut cmd = live(&mock, out.path());
    cmd.env(
        "ZOOM_OAUTH_URL",
        format!("{}/nothing-here", mock.oauth_url()),
    );
    let output = run(cmd).await;
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("check --oauth-url"), "{said}");
    assert!(!said.contains("refused the credentials"), "{said}");
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

/// Runs against an API base nothing useful answers, with the default retries; returns the
/// output and the wall time.
async fn against_unreachable(api_url: String, mock: &MockZoom) -> (Output, Duration) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(mock);
    cmd.env("ZOOM_API_URL", api_url)
        .args(["extract", "--format", "ndjson", "--output"])
        .arg(out.path().join("u.ndjson"));
    let started = std::time::Instant::now();
    let output = run(cmd).await;
    assert!(dir_entries(out.path()).is_empty());
    (output, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_gives_up_in_well_under_a_minute_with_the_cause() {
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
    // Default retries (8, up to 30 s each) would take minutes; connection failures have a 20 s
    // budget. 45 s leaves a wide margin for a busy machine and stays well under a minute.
    let (output, took) = against_unreachable(format!("http://127.0.0.1:{port}/v2"), &mock).await;
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{said}"
    );
    assert!(said.contains("Connection refused"), "{said}");
    assert!(took < Duration::from_secs(45), "took {took:?}");

    // TLS spoken to a server that answers plain HTTP: the handshake fails, and says so.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_url = format!("https://{}/v2", plain.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = plain.accept().await {
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let (output, took) = against_unreachable(plain_url, &mock).await;
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(said.contains("the TLS handshake with 127.0.0.1"), "{said}");
    assert!(took < Duration::from_secs(45), "took {took:?}");
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
    assert_succeeded(&output);
    let seen = mock.seen();
    assert_eq!(seen.requests.len(), 30);
    // Evenly spaced at 8 a second, the 30 requests span at least 29/8 s. A busy machine can only
    // delay requests, but a delay of the first ones shortens the span: a second is allowed for
    // it. Without the limiter they would all come within a fraction of a second.
    let span = seen.request_offsets[29] - seen.request_offsets[0];
    let spaced = Duration::from_secs(29) / 8;
    assert!(
        span >= spaced - Duration::from_secs(1),
        "30 requests came within {span:?}: more than 8 a second"
    );
    assert!(span < spaced * 5, "the limiter is far too slow: {span:?}");
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
    assert_succeeded(&output);
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

/// `--include-fields custom_attributes` asks Zoom for them (the mock sends them only then) and
/// fills the column with their JSON exactly as sent; without it the column is null. The manifest
/// says which fields were asked for.
#[tokio::test(flavor = "multi_thread")]
async fn include_fields_custom_attributes_reaches_the_request_and_the_column() {
    let users = generated_users(40, 5, 0);
    let mock = MockZoom::start(Account::new(users.clone()), BTreeMap::new(), Duration::ZERO).await;
    for asked in [true, false] {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = live(&mock, out.path());
        if asked {
            cmd.args(["--include-fields", "custom_attributes", "--record"])
                .arg(out.path().join("recording"));
        }
        let output = run(cmd).await;
        assert_succeeded(&output);
        let rows: Vec<Value> = fs::read_to_string(out.path().join("u.ndjson"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 45);
        for row in &rows {
            let email = row["email"].as_str().unwrap();
            let user = users
                .values()
                .flatten()
                .find(|u| u["email"] == email)
                .unwrap();
            let want = match asked {
                true => Value::from(
                    mock_zoom::with_custom_attributes(user)["custom_attributes"].to_string(),
                ),
                false => Value::Null,
            };
            assert_eq!(row["custom_attributes"], want, "{email}");
        }
        let fields = manifest(out.path())["source"]["include_fields"].clone();
        let want: Vec<&str> = if asked {
            vec!["custom_attributes"]
        } else {
            vec![]
        };
        assert_eq!(fields, serde_json::json!(want));
        if asked {
            // Replayed, the recording gives the same column and says it was asked for.
            let replayed = out.path().join("replayed");
            zoom_licenses()
                .args(["-q", "extract", "--format", "ndjson", "--replay"])
                .arg(out.path().join("recording"))
                .arg("--output")
                .arg(replayed.join("u.ndjson"))
                .assert()
                .success();
            let again = fs::read_to_string(replayed.join("u.ndjson")).unwrap();
            let again: Vec<Value> = again
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let column = |rows: &[Value]| -> Vec<Value> {
                rows.iter()
                    .map(|r| r["custom_attributes"].clone())
                    .collect()
            };
            assert_eq!(column(&again), column(&rows));
            assert_eq!(
                manifest(&replayed)["source"]["include_fields"],
                serde_json::json!(want)
            );
        }
    }
    // host_key is a secret: it cannot be asked for, and a replay cannot ask at all.
    zoom_licenses()
        .args(["extract", "--include-fields", "host_key"])
        .assert()
        .code(2);
    zoom_licenses()
        .args([
            "extract",
            "--include-fields",
            "custom_attributes",
            "--replay",
        ])
        .arg(fixture("sample"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "a replay reads what was recorded",
        ));
}

/// A 200 that is not a page (`{}`, users as an object, no token) is a bad body: retried, and the
/// run ends with every user; never an empty page that drops them.
#[tokio::test(flavor = "multi_thread")]
async fn a_200_without_a_users_array_or_token_is_retried_as_a_bad_body() {
    let m = survive(
        &[
            (2, Fault::Body("{}")),
            (
                4,
                Fault::Body(r#"{"next_page_token":"","users":{"id":"x"}}"#),
            ),
            (6, Fault::Body(r#"{"users":[]}"#)),
        ],
        &[],
    )
    .await;
    assert_eq!(m["api"]["retries"]["bad_body"], 3);
}

/// However Zoom asks to wait past `--max-wait` (a per-second 429's Retry-After in seconds or as a
/// date in 2099, or a page's `X-RateLimit-Remaining: 0` with a Retry-After of a day), the run ends
/// at once with exit 75 and the time Zoom asked for, instead of sleeping it out.
#[tokio::test(flavor = "multi_thread")]
async fn a_wait_longer_than_max_wait_ends_the_run_at_once() {
    let waits = [
        Fault::TooManyRequests {
            retry_after: Some("86400".into()),
        },
        Fault::TooManyRequests {
            retry_after: Some("2099-01-01T00:00:00Z".into()),
        },
        Fault::RemainingZeroFor("86400"),
    ];
    for fault in waits {
        let started = std::time::Instant::now();
        let faults = BTreeMap::from([(2, fault.clone())]);
        let account = Account::new(generated_users(230, 0, 0));
        let extra = [ONE_SWEEP, &["--max-wait", "30"]].concat();
        refuse_with(account, faults, &extra, 75, "longer than --max-wait (30s)").await;
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{fault:?} was waited out"
        );
    }
}

/// Page tokens that go round in a circle (A, B, then A again) or never end (a fresh token on every
/// empty page) stop the run (exit 1) instead of looping for ever; non-empty chains past their
/// `total_records` are in `tests/unusual_zoom.rs`.
#[tokio::test(flavor = "multi_thread")]
async fn cycling_or_endless_page_tokens_stop_the_run() {
    // Page 1 gives the mock's own token for page 2 (offset 50); page 2 gives `cycB`, whose page
    // gives page 2's token again.
    let again = r#"{"next_page_token":"ptactivex50xQ7w2","users":[]}"#;
    let faults = BTreeMap::from([
        (2, Fault::Body(r#"{"next_page_token":"cycB","users":[]}"#)),
        (3, Fault::Body(again)),
    ]);
    let account = Account::new(generated_users(230, 0, 0));
    refuse_with(
        account,
        faults,
        ONE_SWEEP,
        1,
        "the same next_page_token twice",
    )
    .await;

    // Empty pages that keep naming a next page end the sweep at the second, total_records or not.
    let page = |n: u64| {
        let body = format!(r#"{{"total_records":230,"next_page_token":"fresh{n}","users":[]}}"#);
        (n, Fault::Body(Box::leak(body.into_boxed_str())))
    };
    let account = Account::new(generated_users(230, 0, 0));
    let faults = (2..=40).map(page).collect();
    let mock = refuse_with(account, faults, ONE_SWEEP, 1, "2 empty pages in a row").await;
    assert!(
        mock.seen().requests.len() <= 4,
        "{} requests",
        mock.seen().requests.len()
    );
}

/// A proxy or server that echoes the request's credentials, a terminal escape and a forged log
/// line in its error body: the message shown keeps Zoom's words but none of those.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_body_echoing_credentials_reaches_no_log() {
    let faults = BTreeMap::from([(2, Fault::Echo(403))]);
    let mock = MockZoom::start(
        Account::new(generated_users(230, 0, 0)),
        faults,
        Duration::ZERO,
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = live(&mock, out.path());
    cmd.args(ONE_SWEEP).args(["-vv"]).env("RUST_LOG", "trace");
    let output = run(cmd).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("denied for Bearer ***"), "{text}");
    for token in mock.seen().tokens_issued {
        assert!(!text.contains(&token), "the access token reached stderr");
    }
    assert!(!text.contains('\u{1b}'), "a terminal escape reached stderr");
    assert!(
        !text.contains("\n2026-01-01T00:00:00Z INFO forged"),
        "{text}"
    );
}
