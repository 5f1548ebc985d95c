//! `zoom-licenses reclaim` through the binary: an account whose idle, never-logged-in and old
//! pending users are known by construction (dates counted by hand to the run's `--as-of`), read
//! back from each output format, from files and partitions, with and without the sign-in report.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use common::*;
use mock_zoom::{Account, MockZoom};
use serde_json::{Value, json};

const AS_OF: &str = "2026-12-01T00:00:00Z";

/// The account, and by hand what a reclaim at 2026-12-01T00:00Z with the default thresholds
/// (idle 90 days, pending 30 days) lists: key → (reason, days_idle, days_since_created).
fn account() -> Vec<(&'static str, Vec<Value>)> {
    let u = zoom_user;
    let created = Some("2025-01-01T00:00:00Z");
    vec![
        (
            "active",
            vec![
                // 2026-08-01 → 2026-12-01: 31+30+31+30+31 = 122 days. A department CSV
                // neutralizes, and no groups.
                {
                    let login = Some("2026-08-01T00:00:00Z");
                    let mut user = u(
                        "aIdle",
                        "idle@x.example",
                        2,
                        "-Ops",
                        "active",
                        created,
                        login,
                    );
                    user["group_ids"] = json!([]);
                    user
                },
                // Exactly 90 days: idle (at least N days).
                u(
                    "aEdge",
                    "edge@x.example",
                    2,
                    "Sales",
                    "active",
                    created,
                    Some("2026-09-02T00:00:00Z"),
                ),
                // One second short of 90 days: 89 whole days.
                u(
                    "aShort",
                    "short@x.example",
                    2,
                    "Sales",
                    "active",
                    created,
                    Some("2026-09-02T00:00:01Z"),
                ),
                u(
                    "aRecent",
                    "recent@x.example",
                    2,
                    "Sales",
                    "active",
                    created,
                    Some("2026-11-20T12:00:00Z"),
                ),
                // Never logged in, created 2026-01-01: 334 days.
                u(
                    "aNeverOld",
                    "never.old@x.example",
                    2,
                    "HR",
                    "active",
                    Some("2026-01-01T00:00:00Z"),
                    None,
                ),
                // Never logged in, created 30 days ago: a new hire, not a candidate.
                u(
                    "aNeverNew",
                    "never.new@x.example",
                    2,
                    "HR",
                    "active",
                    Some("2026-11-01T00:00:00Z"),
                    None,
                ),
                // Idle but basic: no paid seat to take back.
                u(
                    "aBasic",
                    "basic@x.example",
                    1,
                    "HR",
                    "active",
                    created,
                    Some("2025-02-01T00:00:00Z"),
                ),
            ],
        ),
        (
            "pending",
            vec![
                // Invited 2026-10-01: 61 days.
                u(
                    "",
                    "Old.Invite@x.example",
                    2,
                    "",
                    "pending",
                    Some("2026-10-01T00:00:00Z"),
                    None,
                ),
                u(
                    "",
                    "new.invite@x.example",
                    2,
                    "",
                    "pending",
                    Some("2026-11-25T00:00:00Z"),
                    None,
                ),
                u(
                    "",
                    "basic.invite@x.example",
                    1,
                    "",
                    "pending",
                    Some("2026-01-01T00:00:00Z"),
                    None,
                ),
                // No creation time: cannot be aged (its created_at is the time of the call).
                {
                    let mut p = u("", "unaged@x.example", 2, "", "pending", None, None);
                    p["created_at"] = "2026-11-30T23:00:00Z".into();
                    p
                },
            ],
        ),
        (
            "inactive",
            vec![u(
                "aGone",
                "gone@x.example",
                2,
                "",
                "inactive",
                created,
                None,
            )],
        ),
    ]
}

type Candidates = BTreeMap<String, (String, Option<i32>, Option<i32>)>;

fn expected() -> Candidates {
    let row =
        |reason: &str, idle: Option<i32>, created: Option<i32>| (reason.to_string(), idle, created);
    BTreeMap::from([
        ("aIdle".into(), row("idle", Some(122), Some(699))),
        ("aEdge".into(), row("idle", Some(90), Some(699))),
        ("aNeverOld".into(), row("never_logged_in", None, Some(334))),
        (
            "pending:old.invite@x.example".into(),
            row("pending_invitation", None, Some(61)),
        ),
    ])
}

/// The candidates of a Parquet reclaim table.
fn candidates(path: &Path) -> Candidates {
    let (batches, _) = read_parquet(path);
    let mut out = BTreeMap::new();
    for batch in &batches {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let int = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Int32Type>()
                .clone()
        };
        let (keys, reasons) = (text("user_key"), text("reason"));
        let (idle, created) = (int("days_idle"), int("days_since_created"));
        let opt = |a: &arrow_array::Int32Array, i| a.is_valid(i).then(|| a.value(i));
        for i in 0..batch.num_rows() {
            out.insert(
                keys.value(i).to_string(),
                (
                    reasons.value(i).to_string(),
                    opt(&idle, i),
                    opt(&created, i),
                ),
            );
        }
    }
    out
}

fn replay(recording: &Path, out: &[&str]) {
    zoom_licenses()
        .args(["-q", "extract", "--as-of", AS_OF, "--replay"])
        .arg(recording)
        .args(out)
        .assert()
        .success();
}

#[test]
fn a_partitioned_run_lists_exactly_the_seats_known_to_be_reclaimable() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let root = work.path().join("lake");
    let root_s = root.to_str().unwrap();
    replay(
        &recording,
        &[
            "--output-dir",
            root_s,
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "acme",
        ],
    );
    let output = zoom_licenses()
        .args([
            "reclaim",
            "--output-dir",
            root_s,
            "--partition-date",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert_succeeded(&output);
    let partition = root.join("zoom_reclaim_candidates/dt=2026-12-01/account=acme");
    assert_eq!(candidates(&partition.join("part-0.parquet")), expected());
    // Nine licensed seats: six active and three pending users on plan 2 (type 2).
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("reclaim acme: 4 of 9 licensed seats can be reclaimed (44.4%)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 more never logged in but have no creation time"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "stdout is data only");
    let m = json_file(partition.join("_manifest.json"));
    assert_eq!(m["command"], "reclaim");
    assert_eq!(m["summary"]["licensed_seats"], 9);
    assert_eq!(m["summary"]["candidates"], 4);
    assert_eq!(
        m["summary"]["by_reason"],
        json!({"idle": 2, "never_logged_in": 1, "pending_invitation": 1})
    );
    assert_eq!(m["summary"]["without_creation_time"], 1);
    assert_eq!(
        m["partition"],
        json!({"dt": "2026-12-01", "account": "acme"})
    );
    assert_eq!(m["outputs"]["reclaim_candidates"]["rows"], 4);
    // Nothing of the derived table lands in the license table's folder.
    assert_eq!(
        dir_entries(&root.join("zoom_users/dt=2026-12-01/account=acme")),
        ["_manifest.json", "part-0.parquet"]
    );
}

#[test]
fn thresholds_move_the_list_as_counted_by_hand() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let out = work.path().join("out/u.parquet");
    replay(&recording, &["--output", out.to_str().unwrap()]);
    zoom_licenses()
        .args([
            "-q",
            "reclaim",
            "--idle-days",
            "100",
            "--pending-days",
            "7",
            "--input",
        ])
        .arg(work.path().join("out/u_manifest.json"))
        .assert()
        .success();
    let got = candidates(&work.path().join("out/u_reclaim_candidates.parquet"));
    // 100 days: aEdge (90) drops out; 7 days: the invitation of 2026-11-25 (6 days) stays out.
    let mut want = expected();
    want.remove("aEdge");
    assert_eq!(got, want);
    zoom_licenses()
        .args(["-q", "reclaim", "--pending-days", "6", "--input"])
        .arg(work.path().join("out/u_manifest.json"))
        .assert()
        .success();
    let got = candidates(&work.path().join("out/u_reclaim_candidates.parquet"));
    assert_eq!(got.len(), 5);
    assert_eq!(got["pending:new.invite@x.example"].2, Some(6));
}

/// CSV and NDJSON runs are read back with the same meaning: the same candidates with the same
/// evidence, every column alike (a department CSV neutralized, an empty group list), in each
/// format.
#[test]
fn every_output_format_gives_the_same_candidates() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let mut tables = Vec::new();
    for format in ["csv", "ndjson", "parquet"] {
        let out = work.path().join(format!("{format}/u.{format}"));
        replay(
            &recording,
            &[
                "--run-id",
                "r",
                "--format",
                format,
                "--output",
                out.to_str().unwrap(),
            ],
        );
        let manifest = work.path().join(format!("{format}/u_manifest.json"));
        // Written as Parquet whatever the input, to compare.
        let table = work.path().join(format!("{format}.parquet"));
        zoom_licenses()
            .args(["-q", "reclaim", "--format", "parquet", "--input"])
            .arg(&manifest)
            .arg("--output")
            .arg(&table)
            .assert()
            .success();
        assert_eq!(candidates(&table), expected(), "{format}");
        let (batches, _) = read_parquet(&table);
        tables.push((format, concat(&batches)));
        // The default: the input's format, beside its license file.
        zoom_licenses()
            .args(["-q", "reclaim", "--input"])
            .arg(&manifest)
            .assert()
            .success();
        let beside = work
            .path()
            .join(format!("{format}/u_reclaim_candidates.{format}"));
        assert!(beside.is_file(), "{}", beside.display());
    }
    let (_, parquet) = &tables[2];
    let keys = text_column(std::slice::from_ref(parquet), "user_key");
    let idle = keys
        .iter()
        .position(|k| k.as_deref() == Some("aIdle"))
        .unwrap();
    let departments = text_column(std::slice::from_ref(parquet), "department");
    assert_eq!(departments[idle].as_deref(), Some("-Ops"));
    let groups = parquet
        .column_by_name("group_ids")
        .unwrap()
        .as_list::<i32>();
    assert!(groups.is_valid(idle) && groups.value(idle).is_empty());
    for (format, table) in &tables {
        assert_eq!(table, parquet, "{format}");
    }
}

/// One batch of every row of `batches`.
fn concat(batches: &[arrow_array::RecordBatch]) -> arrow_array::RecordBatch {
    let schema = batches[0].schema();
    let columns = (0..schema.fields().len())
        .map(|i| {
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
            arrow_select::concat::concat(&parts).unwrap()
        })
        .collect();
    arrow_array::RecordBatch::try_new(schema, columns).unwrap()
}

/// With the sign-in report, a sign-in counts as activity: a user whose last login is old but who
/// signed in last week is not idle, nor is one who never logged in but signed in.
#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_in_the_report_keeps_a_seat_off_the_list() {
    let users: BTreeMap<String, Vec<Value>> = account()
        .into_iter()
        .map(|(status, users)| (status.to_string(), users))
        .collect();
    let mut zoom = Account::new(users);
    zoom.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
    zoom.activity = ["idle@x.example", "NEVER.OLD@x.example"]
        .iter()
        .map(|email| {
            json!({"email": email, "time": "2026-11-20T09:00:00Z", "type": "Sign in",
                   "ip_address": "192.0.2.1", "client_type": "Mac", "version": "6.2.5"})
        })
        .collect();
    let mock = MockZoom::start(zoom, BTreeMap::new(), Duration::ZERO).await;
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("u.parquet");
    let mut cmd = against_mock(&mock);
    cmd.args([
        "-q",
        "extract",
        "--with",
        "activity",
        "--activity-days",
        "30",
    ])
    .args(["--activity-max-rps", "40", "--as-of", AS_OF, "--output"])
    .arg(&out);
    assert_succeeded(&run_blocking(cmd).await);
    let mut cmd = zoom_licenses();
    cmd.args(["reclaim", "--input"])
        .arg(work.path().join("u_manifest.json"));
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);
    let got = candidates(&work.path().join("u_reclaim_candidates.parquet"));
    let mut want = expected();
    want.remove("aIdle");
    want.remove("aNeverOld");
    assert_eq!(got, want);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("(no login or sign-in for 90+ days)"),
        "{stderr}"
    );
    let (batches, _) = read_parquet(&work.path().join("u_reclaim_candidates.parquet"));
    let window = text_dates(&batches, "activity_window_start");
    // 30 days ending 2026-12-01.
    assert_eq!(window, BTreeSet::from(["2026-11-02".to_string()]));
}

fn text_dates(batches: &[arrow_array::RecordBatch], name: &str) -> BTreeSet<String> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(name)
                .unwrap()
                .as_primitive::<arrow_array::types::Date32Type>()
                .clone();
            (0..a.len()).map(move |i| {
                a.value_as_date(i)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            })
        })
        .collect()
}

/// Inputs that cannot be read as the manifest says are refused with what to do, and nothing is
/// written.
#[test]
fn inputs_that_are_not_what_the_manifest_says_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let out = work.path().join("out/u.ndjson");
    replay(
        &recording,
        &["--format", "ndjson", "--output", out.to_str().unwrap()],
    );
    let manifest = work.path().join("out/u_manifest.json");
    let reclaim = |manifest: &Path| {
        zoom_licenses()
            .args(["reclaim", "--input"])
            .arg(manifest)
            .assert()
    };
    // A license file changed after the run.
    let original = std::fs::read(&out).unwrap();
    std::fs::write(&out, [&original[..], b"\n"].concat()).unwrap();
    reclaim(&manifest)
        .code(1)
        .stderr(predicates::str::contains("is not the file the manifest"))
        .stderr(predicates::str::contains("run the extract again"));
    std::fs::write(&out, &original).unwrap();
    // Another schema version.
    let mut m = json_file(&manifest);
    m["schema_version"] = 3.into();
    let old = work.path().join("out/other_manifest.json");
    std::fs::write(&old, m.to_string()).unwrap();
    reclaim(&old)
        .code(1)
        .stderr(predicates::str::contains("schema version 3"))
        .stderr(predicates::str::contains(
            "extract the run again with this version",
        ));
    // Not a manifest; a missing one.
    reclaim(&recording.join("index.json"))
        .code(1)
        .stderr(predicates::str::contains(
            "is not a manifest of a zoom-licenses extract",
        ));
    reclaim(&work.path().join("nope.json"))
        .code(2)
        .stderr(predicates::str::contains("cannot read the manifest"));
    // A date with no partition.
    zoom_licenses()
        .args(["reclaim", "--output-dir"])
        .arg(work.path())
        .args(["--partition-date", "2026-12-01"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no license partition for 2026-12-01",
        ));
    assert!(!work.path().join("out/u_reclaim_candidates.ndjson").exists());
    assert!(
        !work
            .path()
            .join("out/u_reclaim_candidates_manifest.json")
            .exists()
    );
    // A run to stdout left nothing to read.
    let stdout_run = work.path().join("stdout");
    std::fs::create_dir_all(&stdout_run).unwrap();
    zoom_licenses()
        .current_dir(&stdout_run)
        .args([
            "-q", "extract", "--format", "ndjson", "--output", "-", "--replay",
        ])
        .arg(&recording)
        .assert()
        .success();
    reclaim(&stdout_run.join("out/zoom_users_stdout_manifest.json"))
        .code(2)
        .stderr(predicates::str::contains(
            "to stdout, so there is nothing to read",
        ));
}

/// `--output -` puts the candidates on stdout as data, the summary on stderr.
#[test]
fn candidates_can_go_to_stdout() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let out = work.path().join("out/u.parquet");
    replay(&recording, &["--output", out.to_str().unwrap()]);
    let output = zoom_licenses()
        .args(["reclaim", "--format", "ndjson", "--output", "-", "--input"])
        .arg(work.path().join("out/u_manifest.json"))
        .output()
        .unwrap();
    assert_succeeded(&output);
    let rows: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["user_key"].as_str().unwrap())
        .collect();
    let want = expected();
    assert_eq!(keys, want.keys().map(String::as_str).collect());
    assert!(String::from_utf8_lossy(&output.stderr).contains("4 of 9 licensed seats"));
    // Data on stdout, the summary on stderr: no manifest file is written anywhere.
    assert_eq!(
        dir_entries(&work.path().join("out")),
        ["u.parquet", "u_manifest.json", "u_rejects.parquet"]
    );
}

/// A day's candidates from the partition folder to stdout (`--output-dir … --output -`): the same
/// rows, and no partition of the table written.
#[test]
fn a_days_candidates_can_go_to_stdout_from_the_partitions() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let root = work.path().join("lake");
    let root_s = root.to_str().unwrap();
    let partition = ["--output-dir", root_s, "--partition-date", "2026-12-01"];
    replay(
        &recording,
        &[&partition[..], &["--partition-account", "acme"]].concat(),
    );
    let output = zoom_licenses()
        .arg("reclaim")
        .args(partition)
        .args(["--output", "-", "--format", "ndjson"])
        .output()
        .unwrap();
    assert_succeeded(&output);
    let keys: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["user_key"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, expected().keys().cloned().collect());
    assert!(!root.join("zoom_reclaim_candidates").exists());
}

/// A reader of stdout that goes away (`| head`) stops the run quietly, as Unix tools do.
#[test]
fn a_closed_stdout_stops_the_run_quietly() {
    use std::io::Read;
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("u.parquet");
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    // The sample's 373 candidates are more CSV than a pipe holds.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zoom-licenses"))
        .args([
            "-q", "reclaim", "--format", "csv", "--output", "-", "--input",
        ])
        .arg(work.path().join("u_manifest.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(&head, b"account_id");
}

/// The outputs never go over the run they are made from: not `-o` naming its license file, nor a
/// name whose manifest would be the run's. A copy of a run's folder is read and written there.
#[test]
fn a_run_is_never_written_over_and_a_copy_is_its_own() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let base = work.path().join("base");
    replay(
        &recording,
        &["--output", base.join("u.parquet").to_str().unwrap()],
    );
    let before = files_under(&base);
    for output in ["u.parquet", "u.csv", "u_rejects.parquet"] {
        zoom_licenses()
            .current_dir(&base)
            .args(["reclaim", "--input", "u_manifest.json", "--output", output])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("is a file of the run being read"));
    }
    assert_eq!(files_under(&base), before);
    // A copy: the manifest names base's files, as written from `work`.
    let copy = work.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for name in before.keys() {
        std::fs::copy(base.join(name), copy.join(name)).unwrap();
    }
    zoom_licenses()
        .current_dir(work.path())
        .args(["-q", "reclaim", "--input", "copy/u_manifest.json"])
        .assert()
        .success();
    assert_eq!(
        files_under(&base),
        before,
        "nothing written beside the original"
    );
    assert!(copy.join("u_reclaim_candidates.parquet").is_file());
    // A symlink to the copy's manifest reads the copy (the original gone, so nothing else can
    // be found).
    std::fs::remove_dir_all(&base).unwrap();
    std::os::unix::fs::symlink(copy.join("u_manifest.json"), work.path().join("link.json"))
        .unwrap();
    zoom_licenses()
        .args(["-q", "reclaim", "--input"])
        .arg(work.path().join("link.json"))
        .arg("--output")
        .arg(work.path().join("via-link.parquet"))
        .assert()
        .success();
    assert_eq!(
        candidates(&work.path().join("via-link.parquet")),
        expected()
    );
}

/// Manifests that are not an extract's, and values that cannot be right, get one clear line.
#[test]
fn manifests_and_flags_that_cannot_be_read_say_why() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    replay(
        &recording,
        &["--output", work.path().join("u.parquet").to_str().unwrap()],
    );
    zoom_licenses()
        .args(["-q", "reclaim", "--input"])
        .arg(work.path().join("u_manifest.json"))
        .assert()
        .success();
    let reclaim = |manifest: &Path| {
        zoom_licenses()
            .args(["reclaim", "--input"])
            .arg(manifest)
            .assert()
    };
    reclaim(&work.path().join("u_reclaim_candidates_manifest.json"))
        .code(2)
        .stderr(predicates::str::contains(
            "is the manifest of `zoom-licenses reclaim`, not of an extract",
        ));
    let mut m = json_file(work.path().join("u_manifest.json"));
    m["outputs"]["format"] = "xlsx".into();
    let edited = work.path().join("edited.json");
    std::fs::write(&edited, m.to_string()).unwrap();
    reclaim(&edited)
        .code(1)
        .stderr(predicates::str::contains("its output format is \"xlsx\""));
    // A run id long enough to overflow a column once stamped on every row.
    let mut m = json_file(work.path().join("u_manifest.json"));
    m["run_id"] = "x".repeat(7 << 20).into();
    std::fs::write(&edited, m.to_string()).unwrap();
    reclaim(&edited).code(1).stderr(predicates::str::contains(
        "its run id is 7340032 bytes long",
    ));
    zoom_licenses()
        .args(["extract", "--replay"])
        .arg(&recording)
        .args(["--run-id", &"x".repeat(251)])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--run-id is 251 bytes long; give at most 250",
        ));
    zoom_licenses()
        .args([
            "reclaim",
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "../x",
        ])
        .arg("--output-dir")
        .arg(work.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot name a partition folder"));
}

/// A reclaim that fails leaves the earlier reclaim's outputs as they were, and nothing else.
#[test]
fn a_failed_reclaim_leaves_the_earlier_outputs_whole() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let out = work.path().join("out");
    replay(
        &recording,
        &["--output", out.join("u.parquet").to_str().unwrap()],
    );
    let reclaim = || {
        zoom_licenses()
            .args(["-q", "reclaim", "--input"])
            .arg(out.join("u_manifest.json"))
            .assert()
    };
    reclaim().success();
    let before = files_under(&out);
    // The license file truncated after the run.
    let licenses = out.join("u.parquet");
    let bytes = std::fs::read(&licenses).unwrap();
    std::fs::write(&licenses, &bytes[..bytes.len() / 2]).unwrap();
    reclaim()
        .code(1)
        .stderr(predicates::str::contains("is not the file the manifest"));
    std::fs::write(&licenses, &bytes).unwrap();
    assert_eq!(files_under(&out), before);
}

/// Partitions of two accounts on one day: `--partition-account` reads one; without it, both are
/// read, and one that fails does not stop the other (exit 1, naming it).
#[test]
fn each_account_of_a_day_is_reclaimed_on_its_own() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("rec");
    write_recording(&recording, "acct1", &account());
    let root = work.path().join("lake");
    for account in ["emea", "us"] {
        let args = [
            "--output-dir",
            root.to_str().unwrap(),
            "--partition-date",
            "2026-12-01",
        ];
        replay(
            &recording,
            &[&args[..], &["--partition-account", account]].concat(),
        );
    }
    let reclaim = |extra: &[&str]| {
        zoom_licenses()
            .args(["reclaim", "--partition-date", "2026-12-01", "--output-dir"])
            .arg(&root)
            .args(extra)
            .assert()
    };
    let folder = root.join("zoom_reclaim_candidates/dt=2026-12-01");
    reclaim(&["--partition-account", "us"]).success();
    assert_eq!(dir_entries(&folder), ["account=us"]);
    // emea's license file damaged: us is still reclaimed, and the run says which failed.
    std::fs::remove_dir_all(&folder).unwrap();
    let emea = root.join("zoom_users/dt=2026-12-01/account=emea/part-0.parquet");
    std::fs::write(&emea, b"not parquet").unwrap();
    reclaim(&[])
        .code(1)
        .stderr(predicates::str::contains("1 of 2 accounts failed (emea: "));
    assert_eq!(dir_entries(&folder), ["account=us"]);
    assert_eq!(
        candidates(&folder.join("account=us/part-0.parquet")),
        expected()
    );
}
