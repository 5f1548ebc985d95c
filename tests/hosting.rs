//! `--with hosting`: Zoom's active-hosts report (`GET /report/users`) read in month-long ranges
//! into `zoom_host_usage`, and the report as the project's mock serves it (sums per host and range,
//! both types, paging, Zoom's refusals). Expectations are built here from the meetings the test
//! gives the mock, never from the tool's code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_activity, generated_users};
use serde_json::{Value, json};

const SCOPES: &str = "user:read:list_users:admin report:read:list_users:admin";

/// A token from the mock's server-to-server grant.
async fn token(mock: &MockZoom, http: &reqwest::Client) -> String {
    let account = mock.account();
    let url = format!(
        "{}/oauth/token?grant_type=account_credentials&account_id={}",
        mock.oauth_url(),
        account.account_id
    );
    let answer = http
        .post(url)
        .basic_auth(&account.client_id, Some(&account.client_secret))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

/// `GET /report/users` with `query`: the status and the body.
async fn report(mock: &MockZoom, query: &[(&str, &str)]) -> (u16, Value) {
    let http = extractor::http::client_builder()
        .no_proxy()
        .build()
        .unwrap();
    let token = token(mock, &http).await;
    // The query's values are dates, digits and the mock's tokens: nothing to escape.
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("{}/report/users?{}", mock.api_url(), query.join("&"));
    let answer = http.get(url).bearer_auth(token).send().await.unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
    )
}

fn meeting(host: &str, date: &str, participants: u64, minutes: u64) -> Value {
    json!({"host_id": host, "date": date, "participants": participants, "minutes": minutes})
}

/// Four users with ids u0..u3 (active), meetings by u0 and u2 and by a host the account no longer
/// lists, in two months.
async fn mock() -> MockZoom {
    let mut users = generated_users(4, 1, 0);
    for (n, user) in users.get_mut("active").unwrap().iter_mut().enumerate() {
        user["id"] = json!(format!("u{n}"));
    }
    let mut account = Account::new(users);
    account.scopes = SCOPES.into();
    account.meetings = vec![
        meeting("u0", "2026-11-05", 3, 40),
        meeting("u2", "2026-11-06", 10, 55),
        meeting("u0", "2026-11-30", 2, 15),
        meeting("u0", "2026-10-01", 7, 60),
        json!({"host_id": "gone1", "host_email": "gone@example.com", "date": "2026-11-20",
               "participants": 4, "minutes": 30}),
    ];
    MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await
}

fn row(users: &Value, id: &str) -> (u64, u64, u64) {
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap();
    let n = |name: &str| user[name].as_u64().unwrap();
    (n("meetings"), n("participants"), n("meeting_minutes"))
}

#[tokio::test]
async fn the_active_hosts_of_a_range_carry_their_sums_and_the_range_its_totals() {
    let mock = mock().await;
    let range = [("from", "2026-11-01"), ("to", "2026-11-30")];
    let (status, body) = report(&mock, &[&[("type", "active")], &range[..]].concat()).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    // u0's October meeting is outside the range; the host the account no longer lists is listed.
    assert_eq!(ids, ["u0", "u2", "gone1"]);
    assert_eq!(row(&body["users"], "u0"), (2, 5, 55));
    assert_eq!(row(&body["users"], "u2"), (1, 10, 55));
    assert_eq!(row(&body["users"], "gone1"), (1, 4, 30));
    assert_eq!(body["users"][2]["email"], "gone@example.com");
    assert_eq!(
        (&body["total_meetings"], &body["total_participants"]),
        (&json!(4), &json!(19))
    );
    assert_eq!(body["total_meeting_minutes"], 140);
    assert_eq!(
        (&body["total_records"], &body["next_page_token"]),
        (&json!(3), &json!(""))
    );

    // type=inactive: the users with an id who hosted nothing (the pending user has no id).
    let (status, body) = report(&mock, &[&[("type", "inactive")], &range[..]].concat()).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u1", "u3"]);
    assert_eq!(row(&body["users"], "u1"), (0, 0, 0));
    assert_eq!(mock.seen().host_requests.len(), 2);
}

#[tokio::test]
async fn pages_chain_by_token_within_their_range() {
    let mock = mock().await;
    let query = [
        ("from", "2026-11-01"),
        ("to", "2026-11-30"),
        ("page_size", "2"),
    ];
    let (_, first) = report(&mock, &query).await;
    assert_eq!(first["users"].as_array().unwrap().len(), 2);
    assert_eq!(first["page_count"], 2);
    let token = first["next_page_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let (_, last) = report(
        &mock,
        &[&query[..], &[("next_page_token", &token)]].concat(),
    )
    .await;
    assert_eq!(last["users"][0]["id"], "gone1");
    assert_eq!(last["next_page_token"], "");
    // A token is good only for the range it came from.
    let other = [
        ("from", "2026-10-01"),
        ("to", "2026-10-31"),
        ("next_page_token", &token),
    ];
    let (status, body) = report(&mock, &other).await;
    assert_eq!((status, &body["code"]), (400, &json!(300)));
}

#[tokio::test]
async fn zoom_refuses_long_or_old_ranges_a_bad_type_and_a_plan_without_reports() {
    let mock = mock().await;
    for (from, to, message) in [
        ("2026-11-01", "2026-12-01", "within one month"),
        ("2026-05-01", "2026-05-20", "last six months"),
        ("2026-11-02", "2026-11-01", "within one month"),
    ] {
        let (status, body) = report(&mock, &[("from", from), ("to", to)]).await;
        assert_eq!(status, 400, "{from} {to}");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
    let bad_type = [
        ("type", "all"),
        ("from", "2026-11-01"),
        ("to", "2026-11-02"),
    ];
    assert_eq!(report(&mock, &bad_type).await.0, 400);

    let mut account = mock.account();
    account.reports_allowed = false;
    let free = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let (status, body) = report(&free, &[("from", "2026-11-01"), ("to", "2026-11-02")]).await;
    assert_eq!((status, &body["code"]), (400, &json!(200)));

    let mut account = mock.account();
    account.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
    let no_scope = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let (status, body) = report(&no_scope, &[("from", "2026-11-01"), ("to", "2026-11-02")]).await;
    assert_eq!((status, &body["code"]), (400, &json!(4711)), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("report:read:list_users:admin")
    );
}

/// The window of every extract below: 90 days ending on the mock's today, 2026-12-01.
const WINDOW: (&str, &str) = ("2026-09-03", "2026-12-01");

/// 3,000 active and 4 pending users; every second active user hosts meetings spread over 120 days
/// (some before the window), and a host the account no longer lists hosts in two of the ranges.
fn hosting_account() -> Account {
    let users = generated_users(3000, 4, 0);
    let last = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut meetings = Vec::new();
    for (n, user) in users["active"]
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 2 == 0)
    {
        let id = user["id"].as_str().unwrap();
        for k in 0..(1 + n % 5) {
            let day = last - chrono::Days::new(((n * 7 + k * 31) % 120) as u64);
            meetings.push(json!({"host_id": id, "date": day.to_string(),
                                 "participants": 2 + (n + k) % 9, "minutes": 15 + (n * k) % 50}));
        }
    }
    for date in ["2026-09-10", "2026-11-20"] {
        meetings.push(
            json!({"host_id": "gone1", "host_email": "gone@example.com", "date": date,
                             "participants": 3, "minutes": 20}),
        );
    }
    let mut account = Account::new(users);
    account.scopes = SCOPES.into();
    account.meetings = meetings;
    account
}

/// `extract --with hosting` of 90 days against `mock`, NDJSON into `out/u.ndjson`.
fn extract_with_hosting(mock: &MockZoom, out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = against_mock(mock);
    cmd.args(["extract", "--with", "hosting", "--activity-days", "90"])
        .args([
            "--as-of",
            "2026-12-01T18:00:00Z",
            "--activity-max-rps",
            "40",
        ])
        .args(["--format", "ndjson", "--output"])
        .arg(out.join("u.ndjson"))
        .args(extra);
    cmd
}

/// Each user id's (meetings, participants, minutes, ranges hosting) in the window, summed here
/// from the mock's meetings; the ranges are the tool's documented month-long ranges.
fn expected_usage(account: &Account) -> BTreeMap<String, [i64; 4]> {
    let ranges = [
        ("2026-09-03", "2026-10-02"),
        ("2026-10-03", "2026-11-02"),
        ("2026-11-03", "2026-12-01"),
    ];
    let mut sums: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    let mut hosted_in: BTreeSet<(String, usize)> = BTreeSet::new();
    for m in &account.meetings {
        let date = m["date"].as_str().unwrap();
        let Some(range) = ranges.iter().position(|(f, t)| *f <= date && date <= *t) else {
            continue;
        };
        let id = m["host_id"].as_str().unwrap().to_string();
        let sum = sums.entry(id.clone()).or_default();
        sum[0] += 1;
        sum[1] += m["participants"].as_i64().unwrap();
        sum[2] += m["minutes"].as_i64().unwrap();
        if hosted_in.insert((id, range)) {
            sum[3] += 1;
        }
    }
    sums
}

#[tokio::test(flavor = "multi_thread")]
async fn every_license_row_gets_the_meetings_it_hosted_in_the_window() {
    let account = hosting_account();
    let expected = expected_usage(&account);
    let users = account.users.clone();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract_with_hosting(&mock, out.path(), &[])).await;
    let stderr = assert_succeeded(&output);

    // Three month-long ranges of active hosts, each asked for from its first page.
    let firsts: BTreeSet<(String, String, String)> = mock
        .seen()
        .host_requests
        .iter()
        .filter(|r| !r.3)
        .map(|r| (r.0.clone(), r.1.clone(), r.2.clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("2026-09-03", "2026-10-02"),
        ("2026-10-03", "2026-11-02"),
        ("2026-11-03", "2026-12-01"),
    ]
    .iter()
    .map(|(f, t)| ("active".to_string(), f.to_string(), t.to_string()))
    .collect();
    assert_eq!(firsts, want);

    // One row per license row, with its sums; zero for those who hosted nothing.
    let rows = ndjson_file(&out.path().join("u_host_usage.ndjson"));
    let licensed = written_keys(&out.path().join("u.ndjson"));
    assert_eq!(rows.len(), licensed.len());
    let mut hosting = 0;
    for row in &rows {
        let key = row["user_key"].as_str().unwrap();
        let want = expected.get(key).copied().unwrap_or_default();
        let got = [
            "meetings",
            "participants",
            "meeting_minutes",
            "ranges_hosting",
        ]
        .map(|c| row[c].as_i64().unwrap());
        assert_eq!(got, want, "{row}");
        assert_eq!(row["ranges_read"], 3, "{row}");
        assert_eq!(
            (&row["window_start"], &row["window_end"]),
            (&json!(WINDOW.0), &json!(WINDOW.1))
        );
        hosting += usize::from(want[0] > 0);
    }
    // About half of the active users hosted in the window; the pending ones did not.
    assert!((1200..=1500).contains(&hosting), "{hosting}");
    let pending: Vec<&Value> = rows.iter().filter(|r| r["status"] == "pending").collect();
    assert_eq!(pending.len(), users["pending"].len());
    assert!(pending.iter().all(|r| r["meetings"] == 0));

    // The host the account no longer lists: in two ranges, counted, in no row.
    let m: Value = json_file(out.path().join("u_manifest.json"));
    let h = &m["hosting"];
    assert_eq!(
        (&h["window_start"], &h["window_end"]),
        (&json!(WINDOW.0), &json!(WINDOW.1))
    );
    assert_eq!(h["ranges_read"], 3);
    assert_eq!(h["unmatched"], 2);
    assert_eq!(h["users_hosting"], hosting);
    assert_eq!(h["hosts_seen"], h["matched_by_id"].as_u64().unwrap() + 2);
    assert_eq!(m["outputs"]["host_usage"]["rows"], rows.len());
    assert!(
        stderr.contains(&format!(
            "{hosting} of {} users hosted a meeting",
            rows.len()
        )),
        "{stderr}"
    );

    // Every licensed active user (all signed in lately, all created in 2024) who hosted nothing
    // in the window is a `not_hosting` candidate, a downgrade; no one who hosted is listed.
    let not_hosting: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["plan"] == "licensed" && r["status"] == "active")
        .map(|r| r["user_key"].as_str().unwrap())
        .filter(|key| !expected.contains_key(*key))
        .collect();
    assert!(not_hosting.len() > 300, "{}", not_hosting.len());
    let mut reclaim = zoom_licenses();
    reclaim
        .args(["-q", "reclaim", "--input"])
        .arg(out.path().join("u_manifest.json"))
        .arg("--output")
        .arg(out.path().join("r.ndjson"));
    assert_succeeded(&run_blocking(reclaim).await);
    let candidates = ndjson_file(&out.path().join("r.ndjson"));
    let listed: BTreeSet<&str> = candidates
        .iter()
        .filter(|c| c["reason"] == "not_hosting")
        .map(|c| c["user_key"].as_str().unwrap())
        .collect();
    assert_eq!(listed, not_hosting);
    assert!(candidates.iter().all(|c| c["reason"] != "not_hosting"
        || (c["action"] == "downgrade_to_basic" && c["meetings_hosted"] == 0)));
    assert!(
        candidates
            .iter()
            .all(|c| !expected.contains_key(c["user_key"].as_str().unwrap()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_run_with_hosting_replays_to_the_same_tables() {
    // With the sign-in report too: both reports' ranges interleave in one phase.
    let mut account = hosting_account();
    account.scopes = format!("{SCOPES} report:read:user_activities:admin");
    account.activity = generated_activity(&account.users, "2026-12-01", 90);
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let recording = out.path().join("recording");
    let mut live = extract_with_hosting(&mock, &out.path().join("live"), &["--run-id", "r1"]);
    live.args(["--with", "activity"])
        .arg("--record")
        .arg(&recording);
    assert_succeeded(&run_blocking(live).await);

    let mut replay = zoom_licenses();
    replay
        .arg("extract")
        .arg("--replay")
        .arg(&recording)
        .args(["--run-id", "r1", "--as-of", "2026-12-01T18:00:00Z"])
        .args(["--format", "ndjson", "--output"])
        .arg(out.path().join("replayed/u.ndjson"));
    assert_succeeded(&run_blocking(replay).await);
    for table in [
        "u.ndjson",
        "u_rejects.ndjson",
        "u_host_usage.ndjson",
        "u_user_activity.ndjson",
    ] {
        let live = fs::read(out.path().join("live").join(table)).unwrap();
        let replayed = fs::read(out.path().join("replayed").join(table)).unwrap();
        assert!(live == replayed, "{table} differs");
        assert!(
            table == "u_rejects.ndjson" || !live.is_empty(),
            "{table} is empty"
        );
    }
    // The report's custom attributes (a desk phone here) are not recorded.
    let recorded: String = fs::read_dir(recording.join("pages"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        recorded.contains("meeting_minutes"),
        "no hosts page recorded"
    );
    assert!(
        !recorded.contains("Desk phone"),
        "custom attributes were recorded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_report_scope_or_a_plan_allowing_it_the_run_stops() {
    // No scope: exit 2 before any page, naming the scope.
    let mut account = hosting_account();
    account.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract_with_hosting(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--with hosting reads `report/users`"),
        "{stderr}"
    );
    assert!(stderr.contains("report:read:list_users:admin"), "{stderr}");
    assert!(mock.seen().requests.is_empty(), "a users page was fetched");
    assert!(dir_entries(out.path()).is_empty());

    // A plan without reports: the same exit and message as for the sign-in report, nothing written.
    let mut account = hosting_account();
    account.reports_allowed = false;
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let output = run_blocking(extract_with_hosting(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("reports need a Pro plan or higher"),
        "{stderr}"
    );
    assert!(dir_entries(out.path()).is_empty());
}

/// `check` lists the report's scope with what it unlocks, and reads one page of it.
#[tokio::test(flavor = "multi_thread")]
async fn check_says_whether_the_hosts_report_is_readable() {
    let mock = MockZoom::start(hosting_account(), BTreeMap::new(), Duration::ZERO).await;
    let mut cmd = against_mock(&mock);
    cmd.arg("check");
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains(
            "  report:read:list_users:admin (classic apps: report:read:admin): granted; optional: \
             --with hosting, who hosted meetings (GET /report/users, Pro plans and up)"
        ),
        "{report}"
    );
    assert!(
        report.contains("hosts report:   readable (GET /report/users)"),
        "{report}"
    );
    assert_eq!(mock.seen().host_requests.len(), 1);
}
