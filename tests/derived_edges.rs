//! Edges of the derived tables through the binary (issue 24, "Mixed or stale output"): runs of two
//! Zoom accounts under one partition name, a manifest left beside a data file it does not
//! describe, and concurrent runs of one day's `extract` then `changes`.

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
/// dates (given or found): exit 2, naming both account ids and both manifests, and no changes
/// partition. The rule is file mode's, whose message is the same.
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
    };
    let changes = |extra: &[&str]| changes_of_day(&root, "2026-12-01", extra);
    refused(changes(&[]));
    refused(changes(&["--from", "2026-11-30"]));
    refused(changes(&["--partition-account", "acme"]));
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
    extract_into(&root, &unknown, "2026-12-01")
        .assert()
        .success();
    let output = changes_of_day(&root, "2026-12-01", &[]);
    let stderr = assert_succeeded(&output);
    assert!(
        stderr.contains("cannot be checked to be of one account")
            && stderr.contains("to_account_id=\"(not known)\"")
            && stderr.contains("from_account_id=\"acct1\""),
        "{stderr}"
    );
    let changes = root.join("zoom_user_changes/dt=2026-12-01/account=acme/_manifest.json");
    assert_eq!(json_file(&changes)["summary"]["to_users"], 4);
}

/// The manifest of `table`'s partition `account=emea` of `date` under `root`.
fn partition_manifest(root: &Path, table: &str, date: &str) -> Value {
    json_file(root.join(format!("{table}/dt={date}/account=emea/_manifest.json")))
}

/// The binary, without the caller's log settings (a `Command` of its own, for a thread).
fn binary() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
    cmd.env_remove("RUST_LOG")
        .env_remove("ZOOM_LICENSES_LOG_FORMAT");
    cmd
}

/// A daily pipeline's two steps for 2026-12-02 into `root`, as run `run_id`:
/// `extract --replay fixtures/sample`, then (once it succeeded) `changes` of that date; returns
/// each step's exit code and stderr.
fn extract_then_changes(root: &Path, run_id: &str) -> Vec<(Option<i32>, String)> {
    let extract = binary()
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .arg("--output-dir")
        .arg(root)
        .args([
            "--partition-date",
            "2026-12-02",
            "--partition-account",
            "emea",
        ])
        .args(["--run-id", run_id])
        .output()
        .unwrap();
    let mut steps = vec![(
        extract.status.code(),
        String::from_utf8_lossy(&extract.stderr).into_owned(),
    )];
    if extract.status.success() {
        let changes = binary()
            .args(["-q", "changes", "--to", "2026-12-02", "--output-dir"])
            .arg(root)
            .output()
            .unwrap();
        steps.push((
            changes.status.code(),
            String::from_utf8_lossy(&changes.stderr).into_owned(),
        ));
    }
    steps
}

/// Six daily pipelines (`extract`, then `changes`) of one day at once, five times over: every step
/// exits 0, and what is left agrees, as the last step to publish is a `changes` that read under
/// the root's turn: the changes partition was made from the licenses and rejects partitions in
/// place (its `to` run is theirs) against the previous day's, and its file is the one its
/// manifest lists.
#[test]
fn concurrent_extracts_then_changes_of_one_day_leave_consistent_partitions() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("lake");
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .arg("--output-dir")
        .arg(&root)
        .args([
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "emea",
        ])
        .args(["--run-id", "day-before"])
        .assert()
        .success();
    for trial in 0..5 {
        let run_ids: Vec<String> = (0..6).map(|n| format!("trial-{trial}-run-{n}")).collect();
        let outcomes: Vec<Vec<(Option<i32>, String)>> = std::thread::scope(|scope| {
            let runs: Vec<_> = run_ids
                .iter()
                .map(|run_id| scope.spawn(|| extract_then_changes(&root, run_id)))
                .collect();
            runs.into_iter().map(|run| run.join().unwrap()).collect()
        });
        for (run_id, steps) in run_ids.iter().zip(&outcomes) {
            assert_eq!(steps.len(), 2, "trial {trial}, {run_id}: {steps:?}");
            for (code, stderr) in steps {
                assert_eq!(*code, Some(0), "trial {trial}, {run_id}: {stderr}");
            }
        }
        let users = partition_manifest(&root, "zoom_users", "2026-12-02");
        let rejects = partition_manifest(&root, "zoom_user_rejects", "2026-12-02");
        let changes = partition_manifest(&root, "zoom_user_changes", "2026-12-02");
        let winner = users["run_id"].as_str().unwrap();
        assert!(
            run_ids.iter().any(|r| r == winner),
            "trial {trial}: {winner}"
        );
        assert_eq!(rejects["run_id"], winner, "trial {trial}");
        assert_eq!(changes["inputs"]["to"]["run_id"], winner, "trial {trial}");
        assert_eq!(
            changes["inputs"]["to"]["extracted_at"], users["extracted_at"],
            "trial {trial}"
        );
        assert_eq!(
            changes["inputs"]["from"]["run_id"], "day-before",
            "trial {trial}"
        );
        assert_eq!(
            changes["summary"]["to_users"], users["rows_written"],
            "trial {trial}"
        );
        let receipt = &changes["outputs"]["user_changes"];
        let data = root.join("zoom_user_changes/dt=2026-12-02/account=emea/part-0.parquet");
        assert_eq!(
            receipt["sha256"].as_str().unwrap(),
            sha256_hex(&std::fs::read(&data).unwrap()),
            "trial {trial}"
        );
        assert!(!root.join(".zoom-licenses-staging").exists());
    }
}

/// SHA-256 of `bytes`, lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// A file the manifest does not list is named once, the way the run named it, not once as
/// resolved (absolute) and once as written (relative).
#[test]
fn a_replaced_table_is_named_once_in_the_form_the_run_wrote() {
    let work = tempfile::tempdir().unwrap();
    let rec1 = recording(&work.path().join("rec1"), Some("acct1"));
    for date in ["2026-11-30", "2026-12-01"] {
        extract_into(Path::new("lake"), &rec1, date)
            .current_dir(work.path())
            .assert()
            .success();
    }
    let rejects = "lake/zoom_user_rejects/dt=2026-12-01/account=acme/part-0.ndjson";
    let path = work.path().join(rejects);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, [&bytes[..], b"\n"].concat()).unwrap();
    let output = zoom_licenses()
        .current_dir(work.path())
        .args(["changes", "--to", "2026-12-01", "--output-dir", "lake"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("part-0.ndjson").count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{rejects} is not the file the manifest lake/zoom_users/"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&work.path().display().to_string()),
        "{stderr}"
    );
}

/// An account of `n` users, most of them licensed and idle, so `reclaim` writes many rows.
fn many_users(n: usize) -> Vec<(&'static str, Vec<Value>)> {
    let users = (0..n)
        .map(|i| {
            let login = if i % 3 == 0 { LOGIN } else { None };
            let email = format!("user{i}@example.com");
            zoom_user(
                &format!("id{i}"),
                &email,
                2,
                "Sales",
                "active",
                CREATED,
                login,
            )
        })
        .collect();
    vec![("active", users)]
}

/// Whether the manifest at `manifest` (if any) lists `data` as it is: the table `name`'s receipt
/// has its size and SHA-256. No manifest is consistent too: the run did not finish.
fn manifest_describes(manifest: &Path, name: &str, data: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return Ok(());
    };
    let doc: Value = serde_json::from_str(&text).unwrap();
    let receipt = &doc["outputs"][name];
    let bytes = std::fs::read(data).unwrap_or_default();
    match (receipt["bytes"].as_u64(), receipt["sha256"].as_str()) {
        (Some(size), Some(sha)) if size == bytes.len() as u64 && sha == sha256_hex(&bytes) => {
            Ok(())
        }
        _ => Err(format!(
            "{} lists {receipt} but {} is {} bytes, SHA-256 {}",
            manifest.display(),
            data.display(),
            bytes.len(),
            sha256_hex(&bytes)
        )),
    }
}

/// Spawns `cmd` and SIGKILLs it the moment `data` is replaced (its inode changes), before the
/// run can write its manifest; returns whether the kill ended it (it had not finished first).
fn kill_when_replaced(mut cmd: std::process::Command, data: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::ExitStatusExt;
    let inode = |p: &Path| std::fs::metadata(p).map(|m| m.ino()).ok();
    let before = inode(data);
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if inode(data) != before {
            child.kill().unwrap();
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
    }
    child.wait().unwrap().signal() == Some(9)
}

/// `reclaim --input` writes its file and manifest beside the run. Killed (SIGKILL) the moment
/// its new data file is in place, it leaves no manifest, or one that lists the data file beside
/// it: never the earlier run's manifest beside the new file. The next complete run leaves both
/// in step. The same for `extract` to a file (whose old manifest beside a new license file
/// readers would refuse, see below).
#[test]
fn a_killed_run_never_leaves_a_manifest_beside_a_file_it_does_not_describe() {
    let work = tempfile::tempdir().unwrap();
    let rec = work.path().join("rec");
    write_recording(&rec, "acct1", &many_users(3000));
    let out = work.path().join("out");
    let extract = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
        cmd.args(["-q", "extract", "--replay"])
            .arg(&rec)
            .arg("--output")
            .arg(out.join("u.parquet"));
        cmd
    };
    let reclaim = |idle_days: u32| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
        cmd.args(["-q", "reclaim", "--idle-days", &idle_days.to_string()])
            .arg("--input")
            .arg(out.join("u_manifest.json"));
        cmd
    };
    let (data, manifest) = (
        out.join("u_reclaim_candidates.parquet"),
        out.join("u_reclaim_candidates_manifest.json"),
    );
    assert!(extract().status().unwrap().success());
    let mut killed_in_place = 0;
    for round in 0..6u32 {
        assert!(reclaim(10).status().unwrap().success());
        manifest_describes(&manifest, "reclaim_candidates", &data).unwrap();
        // Another threshold: another file, so an earlier manifest cannot describe it by chance.
        killed_in_place += u32::from(kill_when_replaced(reclaim(20 + round), &data));
        if let Err(mixed) = manifest_describes(&manifest, "reclaim_candidates", &data) {
            panic!("round {round}: {mixed}");
        }
    }
    // A busy machine may let some runs finish before the kill lands, not all of them.
    assert!(killed_in_place >= 1, "never killed before finishing");
    assert!(reclaim(10).status().unwrap().success());
    manifest_describes(&manifest, "reclaim_candidates", &data).unwrap();

    let licenses = out.join("u.parquet");
    let run = out.join("u_manifest.json");
    for round in 0..3 {
        // Another run id each time: another license file.
        let killed = kill_when_replaced(extract(), &licenses);
        if let Err(mixed) = manifest_describes(&run, "licenses", &licenses) {
            panic!("round {round} (killed: {killed}): {mixed}");
        }
        assert!(extract().status().unwrap().success());
        manifest_describes(&run, "licenses", &licenses).unwrap();
    }
}

/// What a run killed between its renames and its manifest left before the fix, made by hand: a
/// new license file beside the earlier run's manifest. `reclaim` and `changes` refuse it, saying
/// the file was replaced after its manifest and to run the extract again; and what such a run
/// leaves now (the new file, no manifest) is refused as no run at all.
#[test]
fn a_new_data_file_beside_an_old_manifest_is_refused_by_every_reader() {
    let work = tempfile::tempdir().unwrap();
    let rec = recording(&work.path().join("rec"), Some("acct1"));
    let extract = |output: &Path, run_id: &str| {
        zoom_licenses()
            .args(["-q", "extract", "--format", "ndjson", "--run-id", run_id])
            .arg("--replay")
            .arg(&rec)
            .arg("--output")
            .arg(output)
            .args(["--as-of", "2026-12-01T06:00:00Z"])
            .assert()
            .success();
    };
    let (earlier, later) = (
        work.path().join("d1/u.ndjson"),
        work.path().join("d2/u.ndjson"),
    );
    extract(&earlier, "first");
    extract(&later, "second");
    let manifest = work.path().join("d2/u_manifest.json");
    let old_manifest = std::fs::read(&manifest).unwrap();
    extract(&later, "third");
    std::fs::write(&manifest, &old_manifest).unwrap();
    let refused = |output: std::process::Output| {
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "{} is not the file the manifest {} lists",
                later.display(),
                manifest.display()
            )) && stderr.contains("replaced or changed after the run; run the extract again"),
            "{stderr}"
        );
    };
    let reclaim = || {
        zoom_licenses()
            .args(["reclaim", "--input"])
            .arg(&manifest)
            .output()
            .unwrap()
    };
    refused(reclaim());
    let changes = zoom_licenses()
        .args(["changes", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(&manifest)
        .output()
        .unwrap();
    refused(changes);
    assert!(!work.path().join("d2/u_reclaim_candidates.ndjson").exists());
    assert!(!work.path().join("d2/u_changes.ndjson").exists());
    // Killed now, the run leaves no manifest: nothing to read, and said so.
    std::fs::remove_file(&manifest).unwrap();
    let output = reclaim();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the manifest"));
}
