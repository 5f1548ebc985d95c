//! `--with groups,roles`: the account's groups and roles by name, against the mock's lists.
//! Expectations are the mock's own records.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};
use serde_json::{Value, json};

const SCOPES: &str = "user:read:list_users:admin group:read:list_groups:admin role:read:admin";

/// 650 groups (three pages of 300) and the default roles, granted by a granular and a classic scope.
async fn mock_with_lists() -> MockZoom {
    let mut account = Account::new(generated_users(30, 2, 0));
    account.scopes = SCOPES.into();
    account.groups = (0..650)
        .map(|n| json!({"id": format!("grp{n:04}"), "name": format!("Group {n}"), "total_members": n % 7}))
        .collect();
    MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await
}

/// The values of `keys` in each record, in order.
fn fields<const N: usize>(records: &[Value], keys: [&str; N]) -> Vec<[Value; N]> {
    records.iter().map(|r| keys.map(|k| r[k].clone())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_and_roles_tables_equal_the_accounts_lists() {
    let mock = mock_with_lists().await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args([
        "extract",
        "--with",
        "groups,roles",
        "--format",
        "ndjson",
        "--output",
    ])
    .arg(out.path().join("u.ndjson"));
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);

    let account = mock.account();
    let groups = ndjson_file(&out.path().join("u_groups.ndjson"));
    assert_eq!(
        fields(&groups, ["group_id", "name", "total_members"]),
        fields(&account.groups, ["id", "name", "total_members"])
    );
    let roles = ndjson_file(&out.path().join("u_roles.ndjson"));
    assert_eq!(
        fields(&roles, ["role_id", "name", "description"]),
        fields(&account.roles, ["id", "name", "description"])
    );
    assert!(roles.iter().all(|r| r["account_id"] == "mockAccount123"));

    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["outputs"]["groups"]["rows"], 650);
    assert_eq!(m["outputs"]["roles"]["rows"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_whose_scope_is_missing_stops_the_run_before_any_page() {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = "user:read:list_users:admin role:read:list_roles:admin".into();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["extract", "--with", "roles,groups", "--output"])
        .arg(out.path().join("u.parquet"));
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--with groups"), "{stderr}");
    assert!(stderr.contains("group:read:list_groups:admin"), "{stderr}");
    assert!(mock.seen().requests.is_empty(), "a users page was fetched");
    assert!(dir_entries(out.path()).is_empty());
}

/// Recorded, the lists replay to the same tables; partitioned, each has its own partition.
#[tokio::test(flavor = "multi_thread")]
async fn lists_are_recorded_replayed_and_partitioned() {
    let mock = mock_with_lists().await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["-q", "extract", "--with", "groups,roles", "--run-id", "r1"])
        .args([
            "--as-of",
            "2026-12-01T00:00:00Z",
            "--format",
            "ndjson",
            "--output",
        ])
        .arg(work.path().join("live/u.ndjson"))
        .arg("--record")
        .arg(work.path().join("rec"));
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);

    let mut replay = zoom_licenses();
    replay
        .args(["-q", "extract", "--replay"])
        .arg(work.path().join("rec"))
        .args([
            "--run-id",
            "r1",
            "--as-of",
            "2026-12-01T00:00:00Z",
            "--format",
            "ndjson",
        ])
        .arg("--output")
        .arg(work.path().join("replayed/u.ndjson"));
    let output = run_blocking(replay).await;
    assert_succeeded(&output);
    for table in ["u_groups.ndjson", "u_roles.ndjson", "u.ndjson"] {
        let live = fs::read(work.path().join("live").join(table)).unwrap();
        let replayed = fs::read(work.path().join("replayed").join(table)).unwrap();
        assert!(live == replayed, "{table} differs");
    }

    let mut partitioned = zoom_licenses();
    partitioned
        .args(["-q", "extract", "--replay"])
        .arg(work.path().join("rec"))
        .arg("--output-dir")
        .arg(work.path().join("wh"))
        .args([
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "emea",
        ]);
    let output = run_blocking(partitioned).await;
    assert_succeeded(&output);
    for table in ["zoom_groups", "zoom_roles"] {
        let dir = work
            .path()
            .join("wh")
            .join(table)
            .join("dt=2026-12-01/account=emea");
        assert_eq!(
            dir_entries(&dir),
            ["_manifest.json", "part-0.parquet"],
            "{table}"
        );
    }
}

/// Every option in one run: one token, one manifest listing every table.
#[tokio::test(flavor = "multi_thread")]
async fn every_option_composes_in_one_run() {
    let users = generated_users(30, 2, 1);
    let mut account = Account::new(users.clone());
    account.scopes = "user:read:list_users:admin group:read:list_groups:admin \
                      role:read:list_roles:admin user:read:settings:admin \
                      report:read:user_activities:admin"
        .into();
    account.activity = mock_zoom::generated_activity(&users, "2026-12-01", 30);
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["-q", "extract", "--with", "activity,addons,groups,roles"])
        .args(["--as-of", "2026-12-01T12:00:00Z", "--max-rps", "100"])
        .args(["--activity-max-rps", "40", "--format", "ndjson", "--output"])
        .arg(out.path().join("u.ndjson"));
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let m: Value = json_file(out.path().join("u_manifest.json"));
    let tables: Vec<&str> = m["outputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "format")
        .collect();
    assert_eq!(
        tables,
        [
            "groups",
            "licenses",
            "rejects",
            "roles",
            "signin_events",
            "user_activity",
            "user_addons"
        ]
    );
    assert_eq!(mock.seen().token_requests, 1, "one token for the whole run");
    assert!(m["activity"]["events_written"].as_u64().unwrap() > 0);
    assert_eq!(m["addons"]["users_read"], 12);
}

/// A record that is a JSON array is no group, whatever it holds: serde would read it positionally
/// into a group's id and name. It is written as a row without values and counted as malformed.
#[tokio::test(flavor = "multi_thread")]
async fn a_record_that_is_an_array_is_malformed_not_a_group() {
    let mut account = Account::new(generated_users(3, 0, 0));
    account.scopes = SCOPES.into();
    account.groups = vec![
        json!({"id": "grpA", "name": "Sales", "total_members": 2}),
        json!(["grpB", "Engineering", 4]),
    ];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args([
        "extract", "--with", "groups", "--format", "ndjson", "--output",
    ])
    .arg(out.path().join("u.ndjson"));
    assert_succeeded(&run_blocking(cmd).await);
    let groups = ndjson_file(&out.path().join("u_groups.ndjson"));
    assert_eq!(
        fields(&groups, ["group_id", "name"]),
        [[json!("grpA"), json!("Sales")], [Value::Null, Value::Null]]
    );
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["groups"]["malformed"], 1, "{m}");
}
