//! `zoom-licenses changes` through the binary: hand-built runs of one account on consecutive days
//! where every kind of change happens at least once, compared with a list of changes written here
//! by hand: every change found, nothing else.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::{Value, json};

const C: Option<&str> = Some("2025-01-01T00:00:00Z");
const L: Option<&str> = Some("2026-11-20T00:00:00Z");

/// Day 1: every status listed.
/// Users by status, as a recording holds them.
type Users = Vec<(&'static str, Vec<Value>)>;

fn day1() -> Users {
    let u = zoom_user;
    vec![
        (
            "active",
            vec![
                u("uSame", "same@x.example", 2, "Sales", "active", C, L),
                u("uPlan", "plan@x.example", 1, "Sales", "active", C, L),
                u("uDept", "dept@x.example", 2, "Sales", "active", C, L),
                u("uDeptGone", "dept.gone@x.example", 2, "Ops", "active", C, L),
                u("uBoth", "both@x.example", 2, "Sales", "active", C, L),
                u("uDeleted", "deleted@x.example", 2, "Sales", "active", C, L),
                u(
                    "uDeactivated",
                    "deactivated@x.example",
                    2,
                    "HR",
                    "active",
                    C,
                    L,
                ),
            ],
        ),
        (
            "pending",
            vec![
                u("", "New.Hire@X.example", 2, "", "pending", C, None),
                u("", "withdrawn@x.example", 1, "", "pending", C, None),
                u("", "still.pending@x.example", 2, "", "pending", C, None),
            ],
        ),
        ("inactive", vec![]),
    ]
}

/// Day 2: every status listed, so a user missing from it was deleted.
fn day2() -> Users {
    let u = zoom_user;
    vec![
        (
            "active",
            vec![
                u("uSame", "same@x.example", 2, "Sales", "active", C, L),
                u("uPlan", "plan@x.example", 2, "Sales", "active", C, L),
                u("uDept", "dept@x.example", 2, "Support", "active", C, L),
                u("uDeptGone", "dept.gone@x.example", 2, "", "active", C, L),
                u("uBoth", "both@x.example", 1, "Finance", "active", C, L),
                // Activated: a new id, the email in another case.
                u("uNewHire", "new.hire@x.example", 2, "", "active", C, None),
                u("uJoined", "joined@x.example", 1, "Sales", "active", C, None),
            ],
        ),
        (
            "pending",
            vec![
                u("", "still.pending@x.example", 2, "", "pending", C, None),
                u("", "invited@x.example", 2, "", "pending", C, None),
            ],
        ),
        (
            "inactive",
            vec![u(
                "uDeactivated",
                "deactivated@x.example",
                2,
                "HR",
                "inactive",
                C,
                L,
            )],
        ),
    ]
}

/// Day 3: inactive users not listed, so a user missing from it may be either.
fn day3() -> Users {
    let mut day = day2();
    day.pop();
    day[0].1.retain(|u| u["id"] != "uSame");
    day
}

/// By hand: (change, user_key, previous_user_key, from_value, to_value, detail) from day 1 to 2.
fn day1_to_day2() -> BTreeSet<Change> {
    let c = |change: &str,
             key: &str,
             prev: Option<&str>,
             from: Option<&str>,
             to: Option<&str>,
             detail: Option<&str>| {
        (
            change.to_string(),
            key.to_string(),
            prev.map(str::to_string),
            from.map(str::to_string),
            to.map(str::to_string),
            detail.map(str::to_string),
        )
    };
    BTreeSet::from([
        c(
            "plan_changed",
            "uPlan",
            None,
            Some("basic"),
            Some("licensed"),
            None,
        ),
        c(
            "department_changed",
            "uDept",
            None,
            Some("Sales"),
            Some("Support"),
            None,
        ),
        c(
            "department_changed",
            "uDeptGone",
            None,
            Some("Ops"),
            None,
            None,
        ),
        c(
            "plan_changed",
            "uBoth",
            None,
            Some("licensed"),
            Some("basic"),
            None,
        ),
        c(
            "department_changed",
            "uBoth",
            None,
            Some("Sales"),
            Some("Finance"),
            None,
        ),
        c(
            "activated",
            "uNewHire",
            Some("pending:new.hire@x.example"),
            Some("pending"),
            Some("active"),
            None,
        ),
        c("joined", "uJoined", None, None, Some("basic"), None),
        c(
            "joined",
            "pending:invited@x.example",
            None,
            None,
            Some("licensed"),
            None,
        ),
        c(
            "left",
            "uDeleted",
            None,
            Some("licensed"),
            None,
            Some("deleted"),
        ),
        c(
            "left",
            "uDeactivated",
            None,
            Some("licensed"),
            None,
            Some("deactivated"),
        ),
        c(
            "left",
            "pending:withdrawn@x.example",
            None,
            Some("basic"),
            None,
            Some("deleted"),
        ),
    ])
}

type Change = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn changes_in(rows: &[Value]) -> BTreeSet<Change> {
    let s = |r: &Value, k: &str| r[k].as_str().map(str::to_string);
    let set: BTreeSet<Change> = rows
        .iter()
        .map(|r| {
            (
                s(r, "change").unwrap(),
                s(r, "user_key").unwrap(),
                s(r, "previous_user_key"),
                s(r, "from_value"),
                s(r, "to_value"),
                s(r, "detail"),
            )
        })
        .collect();
    assert_eq!(set.len(), rows.len(), "no change twice");
    set
}

/// Replays `days` into partitions of account `acme` under `root`, in NDJSON. A replay reads the statuses its recording holds.
fn extract_days(work: &Path, root: &Path, days: &[(&str, Users)]) {
    for (date, users) in days {
        let recording = work.join(format!("rec-{date}"));
        write_recording(&recording, "acct1", users);
        zoom_licenses()
            .args(["-q", "extract", "--format", "ndjson", "--replay"])
            .arg(&recording)
            .args(["--as-of", &format!("{date}T06:00:00Z")])
            .arg("--output-dir")
            .arg(root)
            .args(["--partition-date", date, "--partition-account", "acme"])
            .assert()
            .success();
    }
}

/// A second account, `beta` (Zoom account acct2), with a first partition on 2026-12-01.
fn extract_beta(work: &Path, root: &Path) {
    let recording = work.join("rec-beta");
    write_recording(&recording, "acct2", &day1());
    zoom_licenses()
        .args(["-q", "extract", "--format", "ndjson", "--replay"])
        .arg(&recording)
        .args(["--as-of", "2026-12-01T07:00:00Z", "--output-dir"])
        .arg(root)
        .args([
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "beta",
        ])
        .assert()
        .success();
}

#[test]
fn every_kind_of_change_is_found_and_nothing_else() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    extract_days(
        work.path(),
        &root,
        &[("2026-11-30", day1()), ("2026-12-01", day2())],
    );
    // Only --to: the previous date present is --from.
    let output = changes_of_day(&root, "2026-12-01", &[]);
    assert_succeeded(&output);
    let partition = root.join("zoom_user_changes/dt=2026-12-01/account=acme");
    let rows = ndjson_file(&partition.join("part-0.ndjson"));
    assert_eq!(changes_in(&rows), day1_to_day2());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "changes acme 2026-11-30 → 2026-12-01 (10 → 9 users): 2 joined, 3 left \
             (1 deactivated, 2 deleted), 1 activated, 2 plan changes, 3 department changes"
        ),
        "{stderr}"
    );
    let m = json_file(partition.join("_manifest.json"));
    assert_eq!(m["command"], "changes");
    assert_eq!(
        m["summary"]["by_kind"],
        json!({"joined": 2, "left": 3, "activated": 1, "plan_changed": 2, "department_changed": 3})
    );
    assert_eq!(
        m["inputs"]["from"]["extracted_at"],
        "2026-11-30T06:00:00.000000Z"
    );
    // Every row says which runs it compares.
    let from_run = m["inputs"]["from"]["run_id"].as_str().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["from_run_id"] == from_run && r["account_id"] == "acct1")
    );
}

/// A later run that did not list inactive users cannot tell deleted from deactivated.
#[test]
fn a_run_without_inactive_users_says_not_listed() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    extract_days(
        work.path(),
        &root,
        &[("2026-12-01", day2()), ("2026-12-02", day3())],
    );
    zoom_licenses()
        .args([
            "-q",
            "changes",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-02",
            "--output-dir",
        ])
        .arg(&root)
        .assert()
        .success();
    let rows =
        ndjson_file(&root.join("zoom_user_changes/dt=2026-12-02/account=acme/part-0.ndjson"));
    // The same date, or a later one, as --from is refused, and writes nothing.
    let before = files_under(&root);
    for from in ["2026-12-02", "2026-12-03"] {
        zoom_licenses()
            .args([
                "changes",
                "--from",
                from,
                "--to",
                "2026-12-02",
                "--output-dir",
            ])
            .arg(&root)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("is not before --to 2026-12-02"));
    }
    assert_eq!(files_under(&root), before);
    let want: BTreeSet<Change> = BTreeSet::from([(
        "left".into(),
        "uSame".into(),
        None,
        Some("licensed".into()),
        None,
        Some("not_listed".into()),
    )]);
    assert_eq!(changes_in(&rows), want);
}

/// `changes` on an account's first partition has nothing earlier to compare with, which is said,
/// not failed; after the next day's extract it compares that day with the first.
#[test]
fn changes_of_a_first_partition_is_said_not_failed() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    extract_days(work.path(), &root, &[("2026-11-30", day1())]);
    let changes = |date: &str| changes_of_day(&root, date, &[]);
    let first = changes("2026-11-30");
    assert_succeeded(&first);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("No earlier partition of this account to compare with"),
        "{stderr}"
    );
    assert!(!root.join("zoom_user_changes").exists());
    extract_days(work.path(), &root, &[("2026-12-01", day2())]);
    assert_succeeded(&changes("2026-12-01"));
    let rows =
        ndjson_file(&root.join("zoom_user_changes/dt=2026-12-01/account=acme/part-0.ndjson"));
    assert_eq!(changes_in(&rows), day1_to_day2());
}

/// Partitions of two accounts on one day, as an `extract --all-accounts` leaves them: `changes`
/// without `--partition-account` compares each with its own previous partition, and an account
/// with none (new in the accounts file) is said, not failed.
#[test]
fn changes_of_a_date_covers_every_account_of_it() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    extract_days(
        work.path(),
        &root,
        &[("2026-11-30", day1()), ("2026-12-01", day2())],
    );
    extract_beta(work.path(), &root);
    let output = changes_of_day(&root, "2026-12-01", &[]);
    let stderr = assert_succeeded(&output);
    assert!(
        stderr.contains("No earlier partition of this account to compare with")
            && stderr.contains("beta"),
        "{stderr}"
    );
    let day = root.join("zoom_user_changes/dt=2026-12-01");
    let rows = ndjson_file(&day.join("account=acme/part-0.ndjson"));
    assert_eq!(changes_in(&rows), day1_to_day2());
    assert!(!day.join("account=beta").exists());
}

/// A day's changes printed on stdout from the partition folder (`--output -`, one account):
/// the rows a partition would hold, no partition written; the summary names the dates compared.
/// With two accounts on the day, `--partition-account` is asked for; any other `--output` with
/// `--output-dir` is refused.
#[test]
fn a_days_changes_print_on_stdout_from_the_partitions() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    extract_days(
        work.path(),
        &root,
        &[("2026-11-30", day1()), ("2026-12-01", day2())],
    );
    let output = changes_of_day(
        &root,
        "2026-12-01",
        &["--output", "-", "--format", "ndjson"],
    );
    let stderr = assert_succeeded(&output);
    let rows: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(changes_in(&rows), day1_to_day2());
    assert!(
        !root.join("zoom_user_changes").exists(),
        "a partition was written"
    );
    assert!(
        stderr.contains("changes acme 2026-11-30 → 2026-12-01 ("),
        "{stderr}"
    );

    extract_beta(work.path(), &root);
    let output = changes_of_day(
        &root,
        "2026-12-01",
        &["--output", "-", "--format", "ndjson"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give --partition-account NAME"), "{stderr}");
    assert!(output.stdout.is_empty());
    let extra = [
        "--output",
        "-",
        "--format",
        "ndjson",
        "--partition-account",
        "acme",
    ];
    let output = changes_of_day(&root, "2026-12-01", &extra);
    assert_succeeded(&output);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().lines().count(),
        rows.len()
    );
    let output = changes_of_day(&root, "2026-12-01", &["--output", "x.ndjson"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!root.join("zoom_user_changes").exists());
}

/// Two manifests compared directly; the output goes beside the later run's license file.
#[test]
fn two_file_runs_compare_by_manifest_in_any_format() {
    let work = tempfile::tempdir().unwrap();
    for (day, users, format) in [("d1", day1(), "csv"), ("d2", day2(), "parquet")] {
        let recording = work.path().join(format!("rec-{day}"));
        write_recording(&recording, "acct1", &users);
        zoom_licenses()
            .args(["-q", "extract", "--format", format, "--replay"])
            .arg(&recording)
            .arg("--output")
            .arg(work.path().join(format!("{day}/u.{format}")))
            .assert()
            .success();
    }
    zoom_licenses()
        .args(["-q", "changes", "--format", "ndjson", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .assert()
        .success();
    let rows = ndjson_file(&work.path().join("d2/u_changes.ndjson"));
    assert_eq!(changes_in(&rows), day1_to_day2());
    // Swapped, the later run is refused as --from.
    zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d2/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d1/u_manifest.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("swap them"));
    // Not over the runs read: -o naming the earlier run's license file.
    zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .arg("--output")
        .arg(work.path().join("d1/u.csv"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a file of the run being read"));
    // A run compared with itself.
    zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d2/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--from and --to are the same run",
        ));
    // A date without --output-dir names no run.
    zoom_licenses()
        .args(["changes", "--from", "2026-11-30", "--to", "2026-12-01"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("give --output-dir DIR too"));
}

/// Two runs of different accounts are not compared.
#[test]
fn runs_of_two_accounts_are_refused() {
    let work = tempfile::tempdir().unwrap();
    for (day, account) in [("d1", "acct1"), ("d2", "acct2")] {
        let recording = work.path().join(format!("rec-{day}"));
        write_recording(&recording, account, &day1());
        zoom_licenses()
            .args(["-q", "extract", "--replay"])
            .arg(&recording)
            .arg("--output")
            .arg(work.path().join(format!("{day}/u.parquet")))
            .assert()
            .success();
    }
    zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "is of Zoom account acct1 and the later (--to, ",
        ));
    assert!(!work.path().join("d2/u_changes.parquet").exists());
}

/// Partitions are compared in the order of their dates, even when the earlier date was extracted
/// later (a backfill).
#[test]
fn a_backfilled_earlier_date_still_compares_by_date() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    for (date, users, as_of) in [
        ("2026-12-01", day2(), "2026-12-01T06:00:00Z"),
        ("2026-11-30", day1(), "2026-12-02T06:00:00Z"),
    ] {
        let recording = work.path().join(format!("rec-{date}"));
        write_recording(&recording, "acct1", &users);
        zoom_licenses()
            .args(["-q", "extract", "--format", "ndjson", "--replay"])
            .arg(&recording)
            .args(["--as-of", as_of, "--output-dir"])
            .arg(&root)
            .args(["--partition-date", date, "--partition-account", "acme"])
            .assert()
            .success();
    }
    zoom_licenses()
        .args(["-q", "changes", "--to", "2026-12-01", "--output-dir"])
        .arg(&root)
        .assert()
        .success();
    let rows =
        ndjson_file(&root.join("zoom_user_changes/dt=2026-12-01/account=acme/part-0.ndjson"));
    assert_eq!(changes_in(&rows), day1_to_day2());
}

/// A later run whose rejects went to stdout cannot tell how users left: `not_listed`, with a
/// warning.
#[test]
fn without_the_later_runs_rejects_users_who_left_are_not_listed() {
    let work = tempfile::tempdir().unwrap();
    for (day, users, rejects) in [("d1", day1(), None), ("d2", day2(), Some("-"))] {
        let recording = work.path().join(format!("rec-{day}"));
        write_recording(&recording, "acct1", &users);
        let mut cmd = zoom_licenses();
        cmd.args(["-q", "extract", "--format", "ndjson", "--replay"])
            .arg(&recording)
            .arg("--output")
            .arg(work.path().join(format!("{day}/u.ndjson")));
        if let Some(rejects) = rejects {
            cmd.args(["--rejects", rejects]);
        }
        cmd.assert().success();
    }
    let output = zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .output()
        .unwrap();
    assert_succeeded(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("rejects went to stdout"));
    let rows = ndjson_file(&work.path().join("d2/u_changes.ndjson"));
    let left: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| r["change"] == "left")
        .map(|r| {
            (
                r["user_key"].as_str().unwrap().into(),
                r["detail"].as_str().unwrap().into(),
            )
        })
        .collect();
    let not_listed = |key: &str| (key.to_string(), "not_listed".to_string());
    assert_eq!(
        left,
        BTreeSet::from([
            not_listed("uDeleted"),
            not_listed("uDeactivated"),
            not_listed("pending:withdrawn@x.example"),
        ])
    );
}
