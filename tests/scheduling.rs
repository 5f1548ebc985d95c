//! What a scheduler relies on: partitions replaced atomically and exactly, a killed run leaving the
//! previous partition whole, exit codes, the manifest path as the last stdout line, JSON logs, and
//! no progress bars or colours when stderr is not a terminal.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_users};
use serde_json::Value;

/// `extract --replay` of a fixture into the partition of `account` on `date` under `root`.
fn replay_command(
    root: &Path,
    recording: &str,
    account: &str,
    date: &str,
    run_id: &str,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
    cmd.env_remove("RUST_LOG")
        .env_remove("ZOOM_LICENSES_LOG_FORMAT")
        .args(["-q", "extract", "--replay"])
        .arg(fixture(recording))
        .arg("--output-dir")
        .arg(root)
        .args(["--partition-date", date, "--partition-account", account])
        .args(["--run-id", run_id]);
    cmd
}

fn replay_into(root: &Path, recording: &str, account: &str, date: &str, run_id: &str) {
    let cmd = replay_command(root, recording, account, date, run_id);
    assert_cmd::Command::from_std(cmd).assert().success();
}

#[test]
fn re_running_a_date_and_account_replaces_exactly_that_partition() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("wh");
    for date in ["2026-11-26", "2026-11-27"] {
        replay_into(&root, "sample", "emea", date, "first");
        replay_into(&root, "plan-types", "us", date, "first");
    }
    let part = |table: &str, date: &str, account: &str| {
        root.join(table)
            .join(format!("dt={date}"))
            .join(format!("account={account}"))
    };
    let licenses = part("zoom_users", "2026-11-27", "emea");
    assert_eq!(dir_entries(&licenses), ["_manifest.json", "part-0.parquet"]);
    assert_eq!(
        dir_entries(&part("zoom_user_rejects", "2026-11-27", "emea")),
        ["_manifest.json", "part-0.parquet"]
    );
    let before = files_under(&root);
    // A stray file in the old partition must not survive the replacement.
    fs::write(licenses.join("part-1.parquet"), "stale").unwrap();

    replay_into(&root, "duplicates", "emea", "2026-11-27", "second");
    let after = files_under(&root);
    for (path, bytes) in &before {
        let inside = path.starts_with("zoom_users/dt=2026-11-27/account=emea")
            || path.starts_with("zoom_user_rejects/dt=2026-11-27/account=emea");
        if !inside {
            assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
        }
    }
    assert_eq!(dir_entries(&licenses), ["_manifest.json", "part-0.parquet"]);
    let manifest: Value = json_file(licenses.join("_manifest.json"));
    assert_eq!(manifest["run_id"], "second");
    assert_eq!(manifest["partition"]["dt"], "2026-11-27");
    assert_eq!(manifest["partition"]["account"], "emea");
    assert_eq!(manifest["rows_written"], 4);
    let (batches, _) = read_parquet(&licenses.join("part-0.parquet"));
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert_eq!(
        manifest["outputs"]["licenses"]["path"],
        licenses.join("part-0.parquet").display().to_string()
    );
    assert!(!root.join(".zoom-licenses-staging").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_way_leaves_the_previous_partition_whole() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("wh");
    // 50 users a page: 13 requests for the first run; the second run's 4th request (the mock's
    // 17th) is held for a minute, so the run is surely still going when it is killed (its other
    // sweep may go on meanwhile, but the run cannot end without the held page).
    let mock = MockZoom::start(
        Account::new(generated_users(600, 0, 0)),
        BTreeMap::from([(17, Fault::Stall)]),
        Duration::ZERO,
    )
    .await;
    let account = mock.account();
    let command = |run_id: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
        cmd.env("ZOOM_ACCOUNT_ID", &account.account_id)
            .env("ZOOM_CLIENT_ID", &account.client_id)
            .env("ZOOM_CLIENT_SECRET", &account.client_secret)
            .env("ZOOM_API_URL", mock.api_url())
            .env("ZOOM_OAUTH_URL", mock.oauth_url())
            .args(["-q", "extract", "--max-rps", "100", "--page-size", "50"])
            .arg("--output-dir")
            .arg(&root)
            .args(["--partition-date", "2026-11-27", "--run-id", run_id])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let mut first = command("complete");
    let status = tokio::task::spawn_blocking(move || first.status().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    let partition = root.join("zoom_users/dt=2026-11-27/account=mockAccount123");
    let before = files_under(&partition);

    let mut second = command("killed").spawn().unwrap();
    // Wait until it has asked for the held page, with pages written into its staging area.
    let staging = root.join(".zoom-licenses-staging");
    for _ in 0..6000 {
        if mock.seen().requests.len() >= 17 && !snapshot_if_exists(&staging).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        mock.seen().requests.len() >= 17,
        "the run is not at the held page"
    );
    assert!(
        !snapshot_if_exists(&staging).is_empty(),
        "never saw the run's staging files"
    );
    second.kill().unwrap();
    second.wait().unwrap();

    assert_eq!(
        files_under(&partition),
        before,
        "the previous partition changed"
    );
    let manifest: Value = json_file(partition.join("_manifest.json"));
    assert_eq!(manifest["run_id"], "complete");
    let (batches, _) = read_parquet(&partition.join("part-0.parquet"));
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows as u64, manifest["rows_written"].as_u64().unwrap());
    assert_eq!(rows, 600);

    // The killed run's staging folder is still there; once it is older than the minute a starting
    // run may take to lock its own, the next run under the same root removes it.
    let left: Vec<PathBuf> = fs::read_dir(&staging)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    age(&left[0], Duration::from_secs(600));
    let mut third = command("mends");
    let status = tokio::task::spawn_blocking(move || third.status().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    assert!(
        !staging.exists(),
        "the killed run's staging folder was not removed"
    );
}

/// Sets the modification time of a file or folder `ago` in the past.
fn age(path: &Path, ago: Duration) {
    let at = std::time::SystemTime::now() - ago;
    fs::File::open(path).unwrap().set_modified(at).unwrap();
}

/// A killed run's temporary file beside a file output is removed by the next run to that file;
/// the temporary file of a run still going (its lock held) is not.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_runs_temporary_file_is_removed_by_the_next_run() {
    let work = tempfile::tempdir().unwrap();
    let mock = MockZoom::start(
        Account::new(generated_users(600, 0, 0)),
        BTreeMap::from([(4, Fault::Stall)]),
        Duration::ZERO,
    )
    .await;
    let account = mock.account();
    let mut killed = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"))
        .current_dir(work.path())
        .env("ZOOM_ACCOUNT_ID", &account.account_id)
        .env("ZOOM_CLIENT_ID", &account.client_id)
        .env("ZOOM_CLIENT_SECRET", &account.client_secret)
        .env("ZOOM_API_URL", mock.api_url())
        .env("ZOOM_OAUTH_URL", mock.oauth_url())
        .args(["-q", "extract", "--max-rps", "100", "--page-size", "50"])
        .args(["--statuses", "active", "--output", "u.parquet"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temps = || -> Vec<PathBuf> {
        fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".tmp"))
            .collect()
    };
    for _ in 0..6000 {
        if mock.seen().requests.len() >= 4 && !temps().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    let left = temps();
    assert!(!left.is_empty(), "the killed run left no temporary file");
    for path in &left {
        age(path, Duration::from_secs(600));
    }
    // One more, as if a run still going held it.
    let held_path = work.path().join(".u.parquet.live.tmp");
    let held = fs::File::create(&held_path).unwrap();
    held.lock().unwrap();
    age(&held_path, Duration::from_secs(600));

    replay_to(work.path(), "u.parquet");
    assert_eq!(temps(), [held_path]);
    assert!(work.path().join("u.parquet").exists());
}

fn replay_to(work: &Path, output: &str) {
    zoom_licenses()
        .current_dir(work)
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .args(["--output", output])
        .assert()
        .success();
}

/// A pair of partitions from two runs (a run killed between its two swaps) is named by the next run,
/// which replaces both.
#[test]
fn the_next_run_names_and_mends_a_mismatched_pair() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("wh");
    replay_into(&root, "sample", "emea", "2026-11-27", "first");
    let rejects = root.join("zoom_user_rejects/dt=2026-11-27/account=emea/_manifest.json");
    let text = fs::read_to_string(&rejects).unwrap();
    fs::write(
        &rejects,
        text.replace("\"run_id\": \"first\"", "\"run_id\": \"killed\""),
    )
    .unwrap();
    let cmd = replay_command(&root, "sample", "emea", "2026-11-27", "second");
    let assert = assert_cmd::Command::from_std(cmd).assert().success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("came from different runs"), "{stderr}");
    assert!(stderr.contains("zoom_user_rejects: killed "), "{stderr}");
    assert!(stderr.contains("zoom_users: first "), "{stderr}");
    let run_id = |path: &Path| -> Value {
        serde_json::from_str::<Value>(&fs::read_to_string(path).unwrap()).unwrap()["run_id"].clone()
    };
    assert_eq!(run_id(&rejects), "second");
    assert_eq!(
        run_id(&root.join("zoom_users/dt=2026-11-27/account=emea/_manifest.json")),
        "second"
    );
}

/// Two runs publishing the same partition at once take turns: the licenses and rejects partitions
/// always come from the same run (their manifests' run ids agree).
#[test]
fn concurrent_writers_of_one_partition_leave_a_matched_pair() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("wh");
    let run_id_in = |table: &str| -> String {
        let path = root
            .join(table)
            .join("dt=2026-11-27/account=emea/_manifest.json");
        let manifest: Value = json_file(path);
        manifest["run_id"].as_str().unwrap().to_string()
    };
    for trial in 0..12 {
        let runs: Vec<std::process::Child> = ["a", "b"]
            .iter()
            .map(|name| {
                let run_id = format!("{trial}-{name}");
                replay_command(&root, "sample", "emea", "2026-11-27", &run_id)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut run in runs {
            assert!(run.wait().unwrap().success());
        }
        assert_eq!(
            run_id_in("zoom_users"),
            run_id_in("zoom_user_rejects"),
            "trial {trial}"
        );
    }
}

fn snapshot_if_exists(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    if dir.exists() {
        // The run may rename or delete files while we look: tolerate it.
        std::panic::catch_unwind(|| files_under(dir)).unwrap_or_default()
    } else {
        BTreeMap::new()
    }
}

#[test]
fn the_last_stdout_line_is_the_manifest_path() {
    let work = tempfile::tempdir().unwrap();
    let assert = zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--replay"])
        .arg(fixture("statuses"))
        .args(["--output-dir", "wh", "--partition-date", "2026-11-27"])
        .args(["--partition-account", "emea"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some("wh/zoom_users/dt=2026-11-27/account=emea/_manifest.json")
    );
    assert!(work.path().join(stdout.trim()).exists());

    let assert = zoom_licenses()
        .current_dir(work.path())
        .args(["-q", "extract", "--replay"])
        .arg(fixture("statuses"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout, "out/zoom_users_manifest.json\n");
}

/// A recording without an account id gives the partition no name: the run refuses instead of
/// sharing `account=default` with every other such account, and the log names the real path.
#[test]
fn a_partition_is_never_named_default_and_the_log_says_where_data_went() {
    let work = tempfile::tempdir().unwrap();
    zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--replay"])
        .arg(fixture("statuses"))
        .args(["--output-dir", "wh", "--partition-date", "2026-11-27"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pass --partition-account NAME"));
    assert!(!work.path().join("wh/zoom_users").exists());

    let assert = zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--replay"])
        .arg(fixture("sample"))
        .args(["--output-dir", "wh", "--partition-date", "2026-11-27"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("output=wh (partition dt=2026-11-27)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "output=wh/zoom_users/dt=2026-11-27/account=Kx7gR2mTQ0eX1yZ9abcDEf/part-0.parquet"
        ),
        "{stderr}"
    );
}

#[test]
fn exit_codes_tell_done_failed_misconfigured_and_temporary_apart() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        zoom_licenses()
            .current_dir(work.path())
            .env_remove("ZOOM_ACCOUNT_ID")
            .env("ZOOM_TOKEN_FILE", work.path().join("no-token.json"))
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    let sample = fixture("sample").display().to_string();
    assert_eq!(run(&["-q", "extract", "--replay", &sample]), Some(0));
    // A recording whose page is corrupt: the run fails.
    let broken = work.path().join("broken");
    fs::create_dir_all(broken.join("pages")).unwrap();
    fs::copy(
        fixture("statuses").join("index.json"),
        broken.join("index.json"),
    )
    .unwrap();
    for entry in fs::read_dir(fixture("statuses").join("pages")).unwrap() {
        let entry = entry.unwrap();
        fs::write(
            broken.join("pages").join(entry.file_name()),
            "{\"users\": [",
        )
        .unwrap();
    }
    assert_eq!(
        run(&["-q", "extract", "--replay", broken.to_str().unwrap()]),
        Some(1)
    );
    assert_eq!(run(&["extract", "--format", "xlsx"]), Some(2));
    assert_eq!(
        run(&["extract"]),
        Some(2),
        "no credentials is configuration"
    );
    // Nothing listens here: network errors outlast the retries, which is temporary.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let code = zoom_licenses()
        .current_dir(work.path())
        .env("ZOOM_ACCOUNT_ID", "a")
        .env("ZOOM_CLIENT_ID", "b")
        .env("ZOOM_CLIENT_SECRET", "c")
        .args([
            "-q",
            "extract",
            "--max-retries",
            "1",
            "--retry-min-delay-ms",
            "5",
        ])
        .args(["--api-url", &format!("{dead}/v2"), "--oauth-url", &dead])
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(75));
}

#[test]
fn json_logs_are_one_object_per_line_with_structured_fields() {
    let work = tempfile::tempdir().unwrap();
    let assert = zoom_licenses()
        .current_dir(work.path())
        .args(["-v", "--log-format", "json", "extract", "--replay"])
        .arg(fixture("sample"))
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["level"].is_string() && e["timestamp"].is_string())
    );
    let finished = events
        .iter()
        .find(|e| e["message"] == "Extract finished.")
        .expect("a summary event");
    assert_eq!(finished["rows"], 842);
    assert_eq!(finished["users_seen"], 1000);
    // Counts by plan and by reason are JSON objects, not JSON text in a string.
    assert_eq!(finished["by_plan"]["licensed"], 429);
    assert_eq!(finished["rejects"]["deactivated"], 150);
    assert_eq!(finished["account_id"], "Kx7gR2mTQ0eX1yZ9abcDEf");
    let pages: Vec<&Value> = events
        .iter()
        .filter(|e| e["message"] == "Replayed page.")
        .collect();
    assert_eq!(pages.len(), 11, "one debug line per page");
    assert!(pages.iter().all(|p| p["micros"].is_u64()));
}

#[test]
fn no_progress_bars_or_colours_when_stderr_is_not_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let assert = zoom_licenses()
        .current_dir(work.path())
        .args(["-v", "extract", "--replay"])
        .arg(fixture("sample"))
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("Extract finished."));
    assert!(!stderr.contains('\u{1b}'), "ANSI escape in: {stderr:?}");
    assert!(!stderr.contains("[==="), "a progress bar in: {stderr}");
}
