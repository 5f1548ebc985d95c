//! Edges of the derived tables through the binary (issue 24, "Mixed or stale output"): runs of two
//! Zoom accounts under one partition name, a manifest left beside a data file it does not
//! describe, and concurrent runs of one day with `--changes`.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const CREATED: Option<&str> = Some("2025-01-01T00:00:00Z");
const LOGIN: Option<&str> = Some("2026-11-20T00:00:00Z");

/// A few users of one account: two licensed, one basic, one pending.
fn users() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        (
            "active",
            vec![
                zoom_user("u1", "a@example.com", 2, "Sales", "active", CREATED, LOGIN),
                zoom_user("u2", "b@example.com", 2, "Ops", "active", CREATED, None),
                zoom_user("u3", "c@example.com", 1, "Ops", "active", CREATED, LOGIN),
            ],
        ),
        (
            "pending",
            vec![zoom_user("", "d@example.com", 2, "", "pending", None, None)],
        ),
    ]
}

/// A recording of [`users`] for Zoom account `account_id` (`None`: the recording names none).
fn recording(dir: &Path, account_id: Option<&str>) -> PathBuf {
    write_recording(dir, account_id.unwrap_or("unused"), &users());
    if account_id.is_none() {
        let index = dir.join("index.json");
        let mut doc = json_file(&index);
        doc.as_object_mut().unwrap().remove("account_id");
        std::fs::write(&index, doc.to_string()).unwrap();
    }
    dir.to_path_buf()
}

/// `extract --replay REC` into the partition `account=acme` of `date` under `root`.
fn extract_into(root: &Path, rec: &Path, date: &str) -> assert_cmd::Command {
    let mut cmd = zoom_licenses();
    cmd.args(["-q", "extract", "--format", "ndjson", "--replay"])
        .arg(rec)
        .args(["--as-of", &format!("{date}T06:00:00Z"), "--output-dir"])
        .arg(root)
        .args(["--partition-date", date, "--partition-account", "acme"]);
    cmd
}

fn licenses_manifest(root: &Path, date: &str) -> PathBuf {
    root.join(format!("zoom_users/dt={date}/account=acme/_manifest.json"))
}

/// Two Zoom accounts whose partitions share the name `acme` are not compared, by `changes` with
/// dates (given or found) nor by `extract --changes`: exit 2, naming both account ids and both
/// manifests, and no changes partition. The rule is file mode's, whose message is the same.
#[test]
fn partitions_of_two_zoom_accounts_under_one_name_are_not_compared() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    let rec1 = recording(&work.path().join("rec1"), Some("acct1"));
    let rec2 = recording(&work.path().join("rec2"), Some("acct2"));
    extract_into(&root, &rec1, "2026-11-30").assert().success();
    extract_into(&root, &rec2, "2026-12-01").assert().success();
    let (earlier, later) = (
        licenses_manifest(&root, "2026-11-30"),
        licenses_manifest(&root, "2026-12-01"),
    );
    let refused = |output: std::process::Output| {
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for part in [
            "acct1",
            "acct2",
            "compare two runs of one account",
            "share the name account=acme",
            &earlier.display().to_string(),
            &later.display().to_string(),
        ] {
            assert!(stderr.contains(part), "{part} not in {stderr}");
        }
        assert!(!root.join("zoom_user_changes").exists());
        stderr.into_owned()
    };
    let changes = |extra: &[&str]| {
        zoom_licenses()
            .args(["changes", "--to", "2026-12-01", "--output-dir"])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap()
    };
    refused(changes(&[]));
    refused(changes(&["--from", "2026-11-30"]));
    refused(changes(&["--partition-account", "acme"]));
    // The extract itself is published, and says its changes are not.
    let output = extract_into(&root, &rec2, "2026-12-01")
        .arg("--changes")
        .output()
        .unwrap();
    let stderr = refused(output);
    assert!(stderr.contains("the extract is published"), "{stderr}");
    // File mode: the same rule, the same words.
    let output = zoom_licenses()
        .args(["changes", "--from"])
        .arg(&earlier)
        .arg("--to")
        .arg(&later)
        .arg("--output")
        .arg(work.path().join("c.ndjson"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("(--from, ") && stderr.contains("is of Zoom account acct1"),
        "{stderr}"
    );
    assert!(!work.path().join("c.ndjson").exists());
}

/// A run that does not name its Zoom account cannot be checked: the partitions are compared, with
/// a warning naming the run without an id, rather than failing a good daily run.
#[test]
fn a_run_without_an_account_id_is_compared_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    let known = recording(&work.path().join("rec1"), Some("acct1"));
    let unknown = recording(&work.path().join("rec2"), None);
    extract_into(&root, &known, "2026-11-30").assert().success();
    let output = extract_into(&root, &unknown, "2026-12-01")
        .arg("--changes")
        .output()
        .unwrap();
    assert_succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot be checked to be of one account")
            && stderr.contains("to_account_id=\"(not known)\"")
            && stderr.contains("from_account_id=\"acct1\""),
        "{stderr}"
    );
    let changes = root.join("zoom_user_changes/dt=2026-12-01/account=acme/_manifest.json");
    assert_eq!(json_file(&changes)["summary"]["to_users"], 4);
}
