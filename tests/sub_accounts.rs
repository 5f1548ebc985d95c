//! `--sub-accounts`: a master account's app extracts each sub account into partitions of its
//! own; one failing does not stop the others. Expectations are the mock's own users.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};
use serde_json::Value;

const MASTER_SCOPES: &str = "account:read:list_sub_accounts:master user:read:list_users:master";

/// A master account with three sub accounts; `sub-b` fails (Zoom: "Account does not exist").
async fn master() -> MockZoom {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = MASTER_SCOPES.into();
    account.sub_accounts = vec![
        ("subA1".into(), "Alpha".into(), generated_users(30, 3, 2)),
        ("subB2".into(), "Bravo".into(), generated_users(20, 0, 0)),
        ("subC3".into(), "Charlie".into(), generated_users(12, 1, 0)),
    ];
    account.sub_accounts_failing = vec!["subB2".into()];
    MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_sub_account_gets_its_partitions_and_one_failing_stops_no_other() {
    let mock = master().await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["extract", "--sub-accounts", "--output-dir"])
        .arg(work.path())
        .args([
            "--partition-date",
            "2026-12-01",
            "--as-of",
            "2026-12-01T12:00:00Z",
        ]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 3 accounts failed: subB2"), "{stderr}");

    let account = mock.account();
    for (id, _, users) in &account.sub_accounts {
        let partition = work
            .path()
            .join("zoom_users/dt=2026-12-01")
            .join(format!("account={id}"));
        if id == "subB2" {
            assert!(
                !partition.exists(),
                "the failed sub account left a partition"
            );
            continue;
        }
        let (batches, _) = read_parquet(&partition.join("part-0.parquet"));
        let keys: BTreeSet<String> = text_column(&batches, "user_key")
            .into_iter()
            .map(Option::unwrap)
            .collect();
        // Every active and pending user of the sub account (all generated plans are supported).
        let want: BTreeSet<String> = ["active", "pending"]
            .iter()
            .flat_map(|s| users[*s].iter())
            .map(|u| match u["id"].as_str() {
                Some(id) => id.to_string(),
                None => format!("pending:{}", u["email"].as_str().unwrap()),
            })
            .collect();
        assert_eq!(keys, want, "{id}");
        let accounts: BTreeSet<Option<String>> =
            text_column(&batches, "account_id").into_iter().collect();
        assert_eq!(accounts, BTreeSet::from([Some(id.clone())]), "{id}");
    }

    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(
            work.path()
                .join("zoom_users/dt=2026-12-01/_accounts_manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let outcomes: Vec<(&str, &str, &str)> = manifest["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["account_name"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("subA1", "Alpha", "ok"),
            ("subB2", "Bravo", "failed"),
            ("subC3", "Charlie", "ok")
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_master_scope_sub_accounts_stop_at_once() {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = "user:read:list_users:admin".into();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.current_dir(work.path())
        .args(["extract", "--sub-accounts"]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("account:read:list_sub_accounts:master"),
        "{stderr}"
    );
    assert!(dir_entries(work.path()).is_empty());
}

/// With files, each sub account's tables and recording go into a folder named after it, and the
/// accounts manifest beside those folders.
#[tokio::test(flavor = "multi_thread")]
async fn with_files_each_sub_account_has_its_folder_and_recording() {
    let mock = master().await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.current_dir(work.path())
        .args(["-q", "extract", "--sub-accounts", "--format", "ndjson"])
        .args(["--output", "data/u.ndjson", "--record", "rec"]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let data = work.path().join("data");
    assert_eq!(
        dir_entries(&data.join("subA1")),
        ["u.ndjson", "u_manifest.json", "u_rejects.ndjson"]
    );
    assert!(data.join("subC3/u.ndjson").exists());
    assert!(!data.join("subB2/u.ndjson").exists());
    assert!(data.join("accounts_manifest.json").exists());
    // A recording per sub account, each replayable on its own.
    for id in ["subA1", "subC3"] {
        assert!(
            work.path().join("rec").join(id).join("index.json").exists(),
            "{id}"
        );
    }
    let rows = ndjson_file(&data.join("subC3/u.ndjson"));
    assert_eq!(rows.len(), 13);
}

/// A master account's app with only the :master scopes passes `check`, which counts its sub
/// accounts instead of listing users it may not read.
#[tokio::test(flavor = "multi_thread")]
async fn check_passes_for_a_master_only_app() {
    let mock = master().await;
    let mut cmd = against_mock(&mock);
    cmd.arg("check");
    let output = run_blocking(cmd).await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("sub accounts:   3 (total_records of GET /accounts)"),
        "{report}"
    );
    assert!(
        report.contains("an extract with --sub-accounts would work"),
        "{report}"
    );
    assert!(mock.seen().requests.is_empty(), "GET /users was asked");
}

/// When many sub accounts fail, the final message names the first ten and counts the rest (the
/// accounts manifest names every one): a master account of thousands failing for one reason once
/// printed a 200 KB line.
#[tokio::test(flavor = "multi_thread")]
async fn the_final_message_names_ten_failed_sub_accounts_and_counts_the_rest() {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = MASTER_SCOPES.into();
    let ids: Vec<String> = (0..25).map(|n| format!("sub{n:03}")).collect();
    account.sub_accounts = ids
        .iter()
        .map(|id| (id.clone(), format!("Name {id}"), generated_users(1, 0, 0)))
        .collect();
    account.sub_accounts_failing = ids.clone();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args([
        "extract",
        "--sub-accounts",
        "--max-rps",
        "200",
        "--output-dir",
    ])
    .arg(work.path())
    .args(["--partition-date", "2026-12-01"]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("accounts failed"))
        .unwrap_or_else(|| panic!("no final line: {stderr}"));
    let first_ten = ids[..10].join(", ");
    assert!(
        line.contains(&format!(
            "25 of 25 accounts failed: {first_ten}, and 15 more"
        )),
        "{line}"
    );
    assert!(!line.contains(&ids[10]), "{line}");
    let manifest: Value = json_file(
        work.path()
            .join("zoom_users/dt=2026-12-01/_accounts_manifest.json"),
    );
    assert_eq!(manifest["accounts"].as_array().unwrap().len(), 25);
}

/// `accounts --sub-accounts` prints one JSON line: every sub account Zoom lists, in its order,
/// each probed with one page of its users; the one Zoom says does not exist is unreadable, with
/// Zoom's words. Nothing else is on stdout.
#[tokio::test(flavor = "multi_thread")]
async fn accounts_lists_each_sub_account_and_whether_its_users_can_be_read() {
    let mock = master().await;
    let mut cmd = against_mock(&mock);
    cmd.args(["accounts", "--sub-accounts"]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let listed: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let account = mock.account();
    let want: Vec<(String, String, bool)> = account
        .sub_accounts
        .iter()
        .map(|(id, name, _)| {
            (
                id.clone(),
                name.clone(),
                !account.sub_accounts_failing.contains(id),
            )
        })
        .collect();
    let got: Vec<(String, String, bool)> = listed
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_string();
            (
                text("id"),
                text("name"),
                s["users_readable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let why = listed[1]["why_not"].as_str().unwrap();
    assert!(why.contains("Account does not exist: subB2"), "{why}");
    assert!(listed[0].get("why_not").is_none(), "{}", listed[0]);
    // One listing, then one page of one user per sub account.
    let probes = mock.seen().sub_account_requests;
    let want: Vec<(String, u32)> = want.iter().map(|(id, ..)| (id.clone(), 1)).collect();
    assert_eq!(probes, want);
    assert!(mock.seen().requests.is_empty(), "GET /users was asked");
}

/// Without the scope to read sub accounts' users, each is listed as unreadable saying which scope
/// is missing, and no user is asked for; a sub account Zoom cannot answer for now fails the
/// listing as temporary (exit 75), not as unreadable.
#[tokio::test(flavor = "multi_thread")]
async fn accounts_without_the_users_scope_or_with_zoom_down() {
    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = "account:read:list_sub_accounts:master".into();
    account.sub_accounts = vec![("subA1".into(), "Alpha".into(), generated_users(3, 0, 0))];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let mut cmd = against_mock(&mock);
    cmd.args(["accounts", "--sub-accounts"]);
    let output = run_blocking(cmd).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let listed: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed[0]["users_readable"], false);
    let why = listed[0]["why_not"].as_str().unwrap();
    assert!(why.contains("user:read:list_users:master"), "{why}");
    assert!(
        mock.seen().sub_account_requests.is_empty(),
        "users were asked for"
    );

    let mut account = Account::new(generated_users(5, 0, 0));
    account.scopes = MASTER_SCOPES.into();
    account.sub_accounts = vec![("subA1".into(), "Alpha".into(), generated_users(3, 0, 0))];
    account.sub_accounts_unavailable = vec!["subA1".into()];
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let mut cmd = against_mock(&mock);
    cmd.args(["accounts", "--sub-accounts", "--max-retries", "0"]);
    let output = run_blocking(cmd).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("sub account subA1"), "{stderr}");
    assert!(output.stdout.is_empty(), "a partial listing was printed");
}

/// `extract --sub-account ID` reads that one sub account into its own partition `account=ID`,
/// as one mapped task of a scheduler does; the one Zoom says does not exist fails with exit 1 and
/// leaves no partition; an id that cannot name a folder, and `--with`, are refused (exit 2).
#[tokio::test(flavor = "multi_thread")]
async fn extract_one_sub_account_into_its_partition() {
    let mock = master().await;
    let work = tempfile::tempdir().unwrap();
    let extract = |id: &str| {
        let mut cmd = against_mock(&mock);
        cmd.args(["extract", "--sub-account", id, "--output-dir"])
            .arg(work.path())
            .args(["--partition-date", "2026-12-01"]);
        cmd
    };
    let output = run_blocking(extract("subC3")).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let day = work.path().join("zoom_users/dt=2026-12-01");
    assert_eq!(dir_entries(&day), ["account=subC3"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let manifest = json_file(stdout.lines().last().unwrap());
    // subC3 has 12 active and 1 pending user (master() above).
    assert_eq!(manifest["rows_written"], 13, "{manifest}");
    let seen = mock.seen();
    assert!(seen.requests.is_empty(), "GET /users was asked");
    let read: BTreeSet<&str> = seen
        .sub_account_requests
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(read, BTreeSet::from(["subC3"]));

    let output = run_blocking(extract("subB2")).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Account does not exist: subB2"), "{stderr}");
    assert_eq!(dir_entries(&day), ["account=subC3"]);

    for args in [
        vec![
            "extract",
            "--sub-account",
            "../x",
            "--output-dir",
            "o",
            "--partition-date",
            "2026-12-01",
        ],
        vec![
            "extract",
            "--sub-account",
            "subA1",
            "--with",
            "groups",
            "--output-dir",
            "o",
        ],
        vec![
            "extract",
            "--sub-account",
            "subA1",
            "--partition-account",
            "x",
            "--output-dir",
            "o",
        ],
    ] {
        let mut cmd = against_mock(&mock);
        cmd.current_dir(work.path()).args(&args);
        let output = run_blocking(cmd).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
    assert!(!work.path().join("o").exists());
}
