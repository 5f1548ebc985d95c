//! `--with activity`: Zoom's sign-in report read in month-long ranges into `zoom_signin_events`
//! and `zoom_user_activity`, against the mock's report. Expectations are computed here from the
//! mock's own users and events, never from the tool's code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_activity, generated_users};
use serde_json::Value;

const REPORT_SCOPES: &str = "user:read:list_users:admin report:read:user_activities:admin";

/// An account of 600 active and 5 pending users whose report holds 90 days of events ending
/// 2026-12-01, one of them twice.
fn report_account() -> (Account, BTreeMap<String, Vec<Value>>, Vec<Value>) {
    let users = generated_users(600, 5, 0);
    let mut events = generated_activity(&users, "2026-12-01", 90);
    events.push(events[0].clone());
    let mut account = Account::new(users.clone());
    account.scopes = REPORT_SCOPES.into();
    account.activity = events.clone();
    (account, users, events)
}

/// The mock serving [`report_account`].
async fn mock_with_report() -> (MockZoom, BTreeMap<String, Vec<Value>>, Vec<Value>) {
    let (account, users, events) = report_account();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    (mock, users, events)
}

/// Runs an extract with the report against `account`, which must fail with `code` and write
/// nothing; returns its stderr and the mock.
async fn refused(account: Account, code: i32) -> (String, MockZoom) {
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract_with_activity(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(dir_entries(out.path()).is_empty());
    (stderr, mock)
}

fn extract_with_activity(mock: &MockZoom, out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = against_mock(mock);
    // Fast unless a test sets the pace.
    let rps = match extra.contains(&"--activity-max-rps") {
        true => &[][..],
        false => &["--activity-max-rps", "40"][..],
    };
    cmd.args(["extract", "--with", "activity", "--activity-days", "90"])
        .args(["--as-of", "2026-12-01T18:00:00Z"])
        .args(rps)
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("u.ndjson"))
        .args(extra);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_lands_once_and_each_user_gets_their_count() {
    let (mock, users, events) = mock_with_report().await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract_with_activity(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    // 90 days ending 2026-12-01: three month-long ranges, each asked for from its first page.
    // (The ranges are read concurrently: in any order.)
    let firsts: BTreeSet<(String, String)> = mock
        .seen()
        .activity_requests
        .iter()
        .filter(|(_, _, token)| !token)
        .map(|(from, to, _)| (from.clone(), to.clone()))
        .collect();
    let want = [
        ("2026-09-03", "2026-10-02"),
        ("2026-10-03", "2026-11-02"),
        ("2026-11-03", "2026-12-01"),
    ];
    assert_eq!(
        firsts,
        BTreeSet::from(want.map(|(f, t)| (f.to_string(), t.to_string())))
    );
    // 300 events a page: some ranges took more than one.
    assert!(mock.seen().activity_requests.len() > 3);

    // Every event once: the repeat dropped and counted.
    let written = ndjson_file(&out.path().join("u_signin_events.ndjson"));
    let distinct: BTreeSet<String> = events.iter().map(Value::to_string).collect();
    assert_eq!(written.len(), distinct.len());
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["activity"]["events_seen"], events.len());
    assert_eq!(m["activity"]["duplicates"], 1);
    assert_eq!(m["activity"]["window_start"], "2026-09-03");
    assert_eq!(m["activity"]["window_end"], "2026-12-01");
    assert!(
        written.iter().all(|e| e["ip_address"].is_null()),
        "IP kept without --with-ip"
    );

    // Events are matched to users by email, whatever its case; strangers match nobody.
    let key_of: BTreeMap<String, String> = users["active"]
        .iter()
        .map(|u| {
            let email = u["email"].as_str().unwrap().to_lowercase();
            (email, u["id"].as_str().unwrap().to_string())
        })
        .collect();
    for e in &written {
        let email = e["email"].as_str().unwrap().to_lowercase();
        assert_eq!(
            e["user_key"].as_str(),
            key_of.get(&email).map(String::as_str),
            "{e}"
        );
    }

    // One activity row per license row, with the sign-ins counted from the mock's own events.
    // key -> (sign-ins, first, last, client types)
    type Seen = (u64, Option<String>, Option<String>, BTreeSet<String>);
    let mut expected: BTreeMap<String, Seen> = BTreeMap::new();
    for e in distinct
        .iter()
        .map(|t| serde_json::from_str::<Value>(t).unwrap())
    {
        if e["type"] != "Sign in" {
            continue;
        }
        let email = e["email"].as_str().unwrap().to_lowercase();
        let Some(key) = key_of.get(&email) else {
            continue;
        };
        let entry = expected.entry(key.clone()).or_default();
        entry.0 += 1;
        let time = e["time"].as_str().unwrap().to_string();
        entry.1 = Some(entry.1.take().map_or(time.clone(), |t| t.min(time.clone())));
        entry.2 = entry.2.take().max(Some(time));
        entry
            .3
            .insert(e["client_type"].as_str().unwrap().to_string());
    }
    let rows = ndjson_file(&out.path().join("u.ndjson"));
    let activity = ndjson_file(&out.path().join("u_user_activity.ndjson"));
    assert_eq!(activity.len(), rows.len());
    assert_eq!(activity.len(), 605);
    for row in &activity {
        let key = row["user_key"].as_str().unwrap();
        let (count, first, last, clients) = expected.get(key).cloned().unwrap_or_default();
        assert_eq!(row["sign_ins"], count, "{row}");
        assert_eq!(row["first_sign_in_at"].as_str(), first.as_deref(), "{row}");
        assert_eq!(row["last_sign_in_at"].as_str(), last.as_deref(), "{row}");
        let types: BTreeSet<String> = row["client_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        assert_eq!(types, clients, "{row}");
        assert_eq!(row["window_start"], "2026-09-03");
        assert_eq!(row["window_end"], "2026-12-01");
    }
    let idle = activity.iter().filter(|r| r["sign_ins"] == 0).count();
    assert!(
        idle > 100,
        "users without a sign-in get a row with zero: {idle}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ip_address_is_kept_only_when_asked_for() {
    let (mock, _, _) = mock_with_report().await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = extract_with_activity(&mock, out.path(), &["--with-ip"]);
    cmd.arg("--record").arg(out.path().join("recording"));
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let written = ndjson_file(&out.path().join("u_signin_events.ndjson"));
    assert!(written.iter().all(|e| {
        e["ip_address"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("192.0.2."))
    }));
    // Asked for, they are recorded too, so a replay with --with-ip has them.
    let recorded: String = fs::read_dir(out.path().join("recording/pages"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(recorded.contains("\"ip_address\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_report_scope_the_run_stops_before_any_page() {
    let (mut account, _, _) = report_account();
    account.scopes = "user:read:list_users:admin".into();
    let (stderr, mock) = refused(account, 2).await;
    assert!(
        stderr.contains("report:read:user_activities:admin"),
        "{stderr}"
    );
    assert!(mock.seen().requests.is_empty(), "a users page was fetched");
}

/// With two datasets' scopes missing, the run names the first in the datasets' order (groups
/// before the report) and stops before any request and before making its recording folder.
#[tokio::test(flavor = "multi_thread")]
async fn with_two_scopes_missing_the_first_is_named_before_any_request() {
    let (mut account, _, _) = report_account();
    account.scopes = "user:read:list_users:admin user:read:user:admin".into();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let recording = out.path().join("recording");
    let mut cmd = extract_with_activity(&mock, &out.path().join("u"), &["--with", "groups"]);
    cmd.arg("--record").arg(&recording);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--with groups reads `groups`"), "{stderr}");
    assert!(
        !stderr.contains("report:read:user_activities:admin"),
        "{stderr}"
    );
    assert!(
        mock.seen().requests.is_empty(),
        "{:?}",
        mock.seen().requests
    );
    assert!(!recording.exists(), "a recording folder was made");
    assert!(dir_entries(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_without_reports_is_a_clear_error() {
    let (mut account, _, _) = report_account();
    account.reports_allowed = false;
    let (stderr, _) = refused(account, 2).await;
    assert!(
        stderr.contains("reports need a Pro plan or higher"),
        "{stderr}"
    );
}

/// A recorded run with the report replays to the same four tables, byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_run_with_the_report_replays_to_the_same_tables() {
    let (mock, _, _) = mock_with_report().await;
    let out = tempfile::tempdir().unwrap();
    let recording = record_and_replay(&mock, out.path()).await;

    // IP addresses are personal data the run did not keep: the recording leaves them out too.
    let recorded: String = fs::read_dir(recording.join("pages"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(recorded.contains("activity_logs"));
    assert!(
        !recorded.contains("ip_address"),
        "an IP address was recorded"
    );
}

/// Concurrent sweeps whose pages arrive interleaved (one report range answered slowly, the other
/// ranges and the users' statuses at once) still replay to the live run's tables byte for byte:
/// the order the live run used pages in is the order its recording keeps (issue 30).
#[tokio::test(flavor = "multi_thread")]
async fn interleaved_sweeps_replay_to_the_same_tables() {
    // 2,400 active users: about 7,200 events, so each month-long range takes several pages.
    let users = generated_users(2400, 5, 0);
    let mut account = Account::new(users.clone());
    account.scopes = REPORT_SCOPES.into();
    account.activity = generated_activity(&users, "2026-12-01", 90);
    let slow = "2026-09-03";
    account.activity_slow_from = Some((slow.into(), Duration::from_millis(60)));
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let recording = record_and_replay(&mock, out.path()).await;

    // The slow range's pages were recorded with other ranges' pages between them: the sweeps
    // really did interleave (the 40-a-second pacing keeps the fast ranges going while it waits).
    let index: Value = json_file(recording.join("index.json"));
    let froms: Vec<&str> = index["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["request"]["query"]["from"].as_str())
        .collect();
    let slow_at: Vec<usize> = (0..froms.len()).filter(|&i| froms[i] == slow).collect();
    assert!(slow_at.len() > 2, "{froms:?}");
    let (first, last) = (slow_at[0], slow_at[slow_at.len() - 1]);
    assert!(
        froms[first..=last].iter().any(|&from| from != slow),
        "the ranges did not interleave: {froms:?}"
    );
}

/// Runs the extract with the report against `mock` into `out/live`, recording it, then replays
/// the recording into `out/replayed`; asserts each table is the same in both and returns the
/// recording's folder.
async fn record_and_replay(mock: &MockZoom, out: &Path) -> std::path::PathBuf {
    let recording = out.join("recording");
    let mut cmd = extract_with_activity(mock, &out.join("live"), &["--run-id", "r1"]);
    cmd.arg("--record").arg(&recording);
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);

    let mut replay = zoom_licenses();
    replay
        .args(["extract", "--replay"])
        .arg(&recording)
        .args(["--run-id", "r1", "--as-of", "2026-12-01T18:00:00Z"])
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("replayed/u.ndjson"));
    let output = run_blocking(replay).await;
    assert_succeeded(&output);
    for table in [
        "u.ndjson",
        "u_rejects.ndjson",
        "u_signin_events.ndjson",
        "u_user_activity.ndjson",
    ] {
        let live = fs::read(out.join("live").join(table)).unwrap();
        let replayed = fs::read(out.join("replayed").join(table)).unwrap();
        assert!(live == replayed, "{table} differs");
        assert!(
            table == "u_rejects.ndjson" || !live.is_empty(),
            "{table} is empty"
        );
    }
    recording
}

/// Partitioned, the two tables get partitions of their own, published with the others.
#[tokio::test(flavor = "multi_thread")]
async fn partitioned_runs_publish_the_activity_tables_beside_the_others() {
    let (mock, _, _) = mock_with_report().await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["-q", "extract", "--with", "activity", "--output-dir"])
        .arg(work.path())
        .args([
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "emea",
        ])
        // The run's date, which the six-month rule of the report is checked against.
        .args(["--as-of", "2026-12-01T18:00:00Z"]);
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    for table in [
        "zoom_users",
        "zoom_user_rejects",
        "zoom_signin_events",
        "zoom_user_activity",
    ] {
        let partition = work.path().join(table).join("dt=2026-12-01/account=emea");
        assert_eq!(
            dir_entries(&partition),
            ["_manifest.json", "part-0.parquet"],
            "{table}"
        );
    }
    let (batches, _) = read_parquet(
        &work
            .path()
            .join("zoom_user_activity/dt=2026-12-01/account=emea/part-0.parquet"),
    );
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 605);
    let run_ids: BTreeSet<String> = [
        "zoom_users",
        "zoom_user_rejects",
        "zoom_signin_events",
        "zoom_user_activity",
    ]
    .iter()
    .map(|table| {
        let path = work
            .path()
            .join(table)
            .join("dt=2026-12-01/account=emea/_manifest.json");
        let m: Value = json_file(path);
        m["run_id"].as_str().unwrap().to_string()
    })
    .collect();
    assert_eq!(
        run_ids.len(),
        1,
        "the four partitions come from one run: {run_ids:?}"
    );

    // The default window: 30 days ending on the partition's date.
    let m: Value = serde_json::from_str(
        &fs::read_to_string(
            work.path()
                .join("zoom_users/dt=2026-12-01/account=emea/_manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(m["activity"]["window_start"], "2026-11-02");
    assert!(
        m["outputs"]["user_activity"]["path"]
            .as_str()
            .unwrap()
            .ends_with("zoom_user_activity/dt=2026-12-01/account=emea/part-0.parquet")
    );

    // The same day again without the report: the sign-in partitions stay, and the run says so.
    let mut again = against_mock(&mock);
    again
        .args(["-q", "extract", "--output-dir"])
        .arg(work.path())
        .args([
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "emea",
        ]);
    let output = run_blocking(again).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Partitions of an earlier run remain"),
        "{stderr}"
    );
}

/// The report is paced by its own limit, and a Heavy 429 with `Retry-After` is waited out.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_is_paced_apart_and_a_heavy_429_is_waited_out() {
    let (mut account, _, events) = report_account();
    account.activity_throttled = vec![2];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let extra = ["--activity-max-rps", "4", "--retry-min-delay-ms", "20"];
    let cmd = extract_with_activity(&mock, out.path(), &extra);
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["api"]["http_429"], 1);
    assert_eq!(m["activity"]["events_seen"], events.len());
    // At 4 a second, n requests span at least (n - 1) / 4 s (sleeps only lengthen it); after the
    // 429 (the second request), nothing is sent for the second Zoom asked for.
    let offsets = mock.seen().activity_offsets;
    let n = offsets.len() as f64;
    let span = offsets.last().unwrap().as_secs_f64();
    assert!(span >= (n - 1.0) / 4.0, "{n} requests in {span} s");
    let held = (offsets[2] - offsets[1]).as_secs_f64();
    assert!(
        held >= 0.95,
        "the request after the 429 left {held} s later"
    );
}

/// The report's daily quota used up ends the run at once with exit 75 and the reset time, and
/// writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_spent_daily_quota_for_the_report_is_exit_75_with_the_reset_time() {
    let (mut account, _, _) = report_account();
    account.activity_quota_spent = true;
    let (stderr, _) = refused(account, 75).await;
    assert!(stderr.contains("daily API quota"), "{stderr}");
    assert!(stderr.contains("T00:00:00Z"), "{stderr}");
}

/// Settings of the report that cannot work are refused before any request: a window reaching past
/// Zoom's six months or into days to come, and report options without `--with activity`.
#[test]
fn impossible_windows_and_orphan_options_are_refused_at_once() {
    let base = [
        "extract",
        "--account-id",
        "a",
        "--client-id",
        "b",
        "--client-secret",
        "c",
    ];
    for (args, says) in [
        (
            vec![
                "--with",
                "activity",
                "--activity-days",
                "180",
                "--as-of",
                "2026-12-01T00:00:00Z",
                "--output-dir",
                "wh",
                "--partition-date",
                "2026-11-01",
            ],
            "Zoom keeps six months",
        ),
        (
            vec![
                "--with",
                "activity",
                "--as-of",
                "2026-12-01T00:00:00Z",
                "--output-dir",
                "wh",
                "--partition-date",
                "2026-12-02",
            ],
            "after today",
        ),
        (vec!["--with-ip"], "--with-ip is about the sign-in report"),
        (
            vec!["--activity-days", "7"],
            "--activity-days is about the sign-in report",
        ),
        (
            vec!["--activity-max-rps", "5"],
            "--activity-max-rps is about the sign-in report",
        ),
    ] {
        zoom_licenses()
            // Nothing listens here: a request would fail with another message and code.
            .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
            .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9")
            .args(base)
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
}

/// Events the report dates far outside the window (2999, 1970) are written, counted in the
/// manifest and warned about, but are nobody's sign-ins: a licensed user whose only events they
/// are has no sign-in, so `reclaim` can still find the idle seat.
#[tokio::test(flavor = "multi_thread")]
async fn events_dated_outside_the_window_count_as_no_sign_in() {
    let users = generated_users(10, 0, 0);
    let mut account = Account::new(users.clone());
    account.scopes = REPORT_SCOPES.into();
    let idle = users["active"][1].clone();
    assert_eq!(idle["type"], 2, "user 1 is licensed");
    let email = idle["email"].as_str().unwrap();
    account.activity_misdated = ["2999-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]
        .iter()
        .map(|time| {
            serde_json::json!({"email": email, "time": time, "type": "Sign in",
                               "client_type": "Browser", "version": "6.0"})
        })
        .collect();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract_with_activity(&mock, out.path(), &[])).await;
    let stderr = assert_succeeded(&output);
    assert!(stderr.contains("dated outside the window"), "{stderr}");
    let events = ndjson_file(&out.path().join("u_signin_events.ndjson"));
    assert_eq!(events.len(), 2, "both events are written");
    let activity = ndjson_file(&out.path().join("u_user_activity.ndjson"));
    let row = activity
        .iter()
        .find(|r| r["email"] == email)
        .expect("the user's activity row");
    assert_eq!(row["sign_ins"], 0, "{row}");
    assert!(row["last_sign_in_at"].is_null(), "{row}");
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["activity"]["outside_window"], 2, "{}", m["activity"]);
}

/// A report record that is a JSON array is no event, whatever it holds: serde would read it
/// positionally into an email, a time and a type, and count a sign-in nobody made. It is written
/// as a row without values and counted as malformed.
#[tokio::test(flavor = "multi_thread")]
async fn a_record_that_is_an_array_is_malformed_not_a_sign_in() {
    let users = generated_users(2, 0, 0);
    let email = users["active"][0]["email"].as_str().unwrap().to_string();
    let mut account = Account::new(users);
    account.scopes = REPORT_SCOPES.into();
    // Served in the first range asked for (the mock dates an event by its `time` member).
    account.activity_misdated = vec![serde_json::json!([
        email,
        "2026-11-20T09:00:00Z",
        "Sign in"
    ])];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    assert_succeeded(&run_blocking(extract_with_activity(&mock, out.path(), &[])).await);

    let events = ndjson_file(&out.path().join("u_signin_events.ndjson"));
    assert_eq!(events.len(), 1);
    assert!(
        events[0]["email"].is_null() && events[0]["user_key"].is_null(),
        "{events:?}"
    );
    let activity = ndjson_file(&out.path().join("u_user_activity.ndjson"));
    assert!(activity.iter().all(|u| u["sign_ins"] == 0), "{activity:?}");
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["activity"]["malformed"], 1, "{m}");
}
