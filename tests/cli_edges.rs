//! Edges of the command line a hostile tester found (issue 24), through the binary: the format an
//! output's name promises, the two ways to name a derived command's run, an output under a file,
//! one bound for dates in the future, and what SIGINT and SIGTERM leave behind.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_users};
use serde_json::Value;

/// `extract --replay fixtures/sample` in `dir` with `args`.
fn replay_sample(dir: &Path, args: &[&str]) -> Output {
    zoom_licenses()
        .current_dir(dir)
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .args(args)
        .output()
        .unwrap()
}

/// The run's stderr, for messages and assertion failures.
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a run exited 2 saying `says`, and returns its stderr.
#[track_caller]
fn assert_refused(output: &Output, says: &str) -> String {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(says), "expected {says:?} in: {stderr}");
    stderr
}

/// The data rows of a table's file (licenses, rejects or candidates: each has `user_key`), read
/// the way its format (named here, not by the tool) is read: a Parquet reader, a CSV reader
/// (header row apart), or one JSON object per line. Fails when the bytes are not of that format.
fn rows_as(format: &str, path: &Path) -> usize {
    match format {
        "parquet" => read_parquet(path).0.iter().map(|b| b.num_rows()).sum(),
        "csv" => {
            assert!(
                !fs::read(path).unwrap().starts_with(b"PAR1"),
                "Parquet bytes"
            );
            let mut reader = csv::Reader::from_path(path).unwrap();
            let header = reader.headers().unwrap().clone();
            assert!(header.iter().any(|h| h == "user_key"), "{header:?}");
            reader
                .records()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
                .len()
        }
        "ndjson" => ndjson_file(path).len(),
        other => panic!("no reader for {other}"),
    }
}

/// The license rows of fixtures/sample, worked out from its JSON (not by the tool).
fn sample_rows() -> usize {
    expected_keys(&fixture("sample")).len()
}

// --- 1. The format an output's name promises ---------------------------------------------------

#[test]
fn without_format_the_output_extension_chooses_the_format_of_every_table() {
    let work = tempfile::tempdir().unwrap();
    for (name, format, rejects) in [
        ("users.csv", "csv", "users_rejects.csv"),
        ("users.ndjson", "ndjson", "users_rejects.ndjson"),
        ("users.JSONL", "ndjson", "users_rejects.ndjson"),
        ("users.parquet", "parquet", "users_rejects.parquet"),
    ] {
        let dir = work.path().join(format!("run-{name}"));
        fs::create_dir(&dir).unwrap();
        assert_succeeded(&replay_sample(&dir, &["--output", name]));
        assert_eq!(rows_as(format, &dir.join(name)), sample_rows(), "{name}");
        // The rejects are written in the same format, named after it.
        assert!(rows_as(format, &dir.join(rejects)) > 0, "{name}");
        let manifest =
            json_file(dir.join(name.rsplit_once('.').unwrap().0.to_owned() + "_manifest.json"));
        assert_eq!(manifest["outputs"]["format"], format, "{name}");
    }
    // --rejects alone names the format of both tables (the license table's default name follows).
    let dir = work.path().join("rejects-only");
    fs::create_dir(&dir).unwrap();
    assert_succeeded(&replay_sample(&dir, &["--rejects", "r.csv"]));
    assert_eq!(
        rows_as("csv", &dir.join("out/zoom_users.csv")),
        sample_rows()
    );
}

#[test]
fn an_extension_naming_no_format_is_refused_without_format() {
    let work = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["--output", "users.xlsx"],
            "the extension .xlsx names no output format",
        ),
        (
            vec!["--output", "users"],
            "users has no extension to tell the format by",
        ),
        (
            vec!["--output", "u.csv", "--rejects", "r.txt"],
            "the extension .txt",
        ),
    ] {
        let stderr = assert_refused(&replay_sample(work.path(), &args), says);
        assert!(
            stderr.contains(".parquet, .csv, .ndjson or .jsonl"),
            "{stderr}"
        );
        assert!(stderr.contains("--format"), "{stderr}");
    }
    assert_eq!(dir_entries(work.path()), Vec::<String>::new());
}

/// `--format` with a name whose extension is another format's is refused: a `.csv` file holding
/// NDJSON breaks every reader that goes by the name. Two names that disagree are refused too; an
/// extension naming no format is the user's choice once `--format` says which.
#[test]
fn format_and_an_extension_of_another_format_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let refusals = [
        (
            vec!["--format", "ndjson", "--output", "users.csv"],
            "--format ndjson but --output users.csv ends in .csv, which names csv",
        ),
        (
            vec![
                "--format",
                "csv",
                "--output",
                "u.csv",
                "--rejects",
                "r.parquet",
            ],
            "--rejects r.parquet ends in .parquet, which names parquet",
        ),
        (
            vec!["--output", "u.csv", "--rejects", "r.ndjson"],
            "--output u.csv names csv and --rejects r.ndjson names ndjson",
        ),
    ];
    for (args, says) in refusals {
        assert_refused(&replay_sample(work.path(), &args), says);
    }
    assert_eq!(dir_entries(work.path()), Vec::<String>::new());

    assert_succeeded(&replay_sample(
        work.path(),
        &["--format", "csv", "--output", "users.txt"],
    ));
    assert_eq!(
        rows_as("csv", &work.path().join("users.txt")),
        sample_rows()
    );
    assert!(work.path().join("users_rejects.csv").is_file());
}

#[test]
fn stdout_keeps_parquet_as_its_default() {
    let work = tempfile::tempdir().unwrap();
    let output = replay_sample(work.path(), &["--output", "-"]);
    assert_succeeded(&output);
    assert!(output.stdout.starts_with(b"PAR1"));
    assert!(output.stdout.ends_with(b"PAR1"));
}

/// `reclaim` and `changes` follow the same rule; without a name to go by (`-`, or their default
/// file beside the input), the input run's format stays theirs.
#[test]
fn derived_commands_take_the_format_their_output_names() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    for (day, as_of) in [
        ("d1", "2026-11-27T00:00:00Z"),
        ("d2", "2026-11-28T00:00:00Z"),
    ] {
        fs::create_dir(dir.join(day)).unwrap();
        assert_succeeded(&replay_sample(
            &dir.join(day),
            &["-o", "u.parquet", "--as-of", as_of],
        ));
    }
    let derived = |args: &[&str]| {
        zoom_licenses()
            .current_dir(dir)
            .arg("-q")
            .args(args)
            .output()
            .unwrap()
    };

    let output = derived(&["reclaim", "--input", "d2/u_manifest.json", "-o", "c.csv"]);
    assert_succeeded(&output);
    let candidates = rows_as("csv", &dir.join("c.csv"));
    assert!(candidates > 0);
    assert_eq!(
        json_file(dir.join("c_manifest.json"))["outputs"]["format"],
        "csv"
    );

    let output = derived(&[
        "changes",
        "--from",
        "d1/u_manifest.json",
        "--to",
        "d2/u_manifest.json",
        "-o",
        "ch.jsonl",
    ]);
    assert_succeeded(&output);
    assert_eq!(
        json_file(dir.join("ch_manifest.json"))["outputs"]["format"],
        "ndjson"
    );
    // The same run twice a day apart: every row unchanged, so no change at all, in NDJSON.
    assert_eq!(fs::read_to_string(dir.join("ch.jsonl")).unwrap(), "");

    assert_refused(
        &derived(&["reclaim", "--input", "d2/u_manifest.json", "-o", "c.xlsx"]),
        "the extension .xlsx names no output format",
    );
    assert_refused(
        &derived(&[
            "reclaim",
            "--input",
            "d2/u_manifest.json",
            "--format",
            "ndjson",
            "-o",
            "c.parquet",
        ]),
        "--format ndjson but --output c.parquet ends in .parquet",
    );
    assert!(!dir.join("c.xlsx").exists() && !dir.join("c.parquet").exists());

    // To stdout and to its default file, the input run's format (Parquet).
    let output = derived(&["reclaim", "--input", "d2/u_manifest.json", "-o", "-"]);
    assert_succeeded(&output);
    assert!(output.stdout.starts_with(b"PAR1"));
    assert_succeeded(&derived(&["reclaim", "--input", "d2/u_manifest.json"]));
    let (batches, _) = read_parquet(&dir.join("d2/u_reclaim_candidates.parquet"));
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        candidates
    );
}

// --- 2. The two ways to name a derived command's run --------------------------------------------

#[test]
fn reclaim_without_a_run_names_the_two_ways_to_give_one() {
    let work = tempfile::tempdir().unwrap();
    for args in [vec!["reclaim"], vec!["reclaim", "--output-dir", "wh"]] {
        let output = zoom_licenses()
            .current_dir(work.path())
            .args(&args)
            .output()
            .unwrap();
        let stderr = assert_refused(
            &output,
            "give --input MANIFEST, or --output-dir DIR with --partition-date D",
        );
        // Not "both are required", which is what clap said of two alternatives.
        assert!(!stderr.contains("required arguments"), "{stderr}");
    }
    let help = zoom_licenses()
        .args(["reclaim", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("zoom-licenses reclaim --input MANIFEST"),
        "{help}"
    );
    assert!(
        help.contains("zoom-licenses reclaim --output-dir DIR --partition-date YYYY-MM-DD"),
        "{help}"
    );

    // `changes` always needs --to; its two shapes differ in what comes with it.
    let output = zoom_licenses()
        .current_dir(work.path())
        .args(["changes", "--to", "m.json"])
        .output()
        .unwrap();
    assert_refused(&output, "give --from MANIFEST, or --output-dir DIR");
    let output = zoom_licenses().arg("changes").output().unwrap();
    let stderr = assert_refused(&output, "--to");
    assert!(
        stderr.contains("zoom-licenses changes --output-dir DIR --to YYYY-MM-DD"),
        "{stderr}"
    );
}

// --- 3. An output under a file ------------------------------------------------------------------

#[test]
fn an_output_under_a_file_says_its_parent_is_a_file() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    fs::write(dir.join("notes.txt"), "kept").unwrap();
    for args in [
        vec!["--output", "notes.txt/users.parquet"],
        vec!["--output", "notes.txt/deeper/users.csv"],
        vec!["--output", "u.parquet", "--rejects", "notes.txt/r.parquet"],
        vec!["--output", "u.parquet", "--manifest", "notes.txt/m.json"],
    ] {
        let stderr = assert_refused(
            &replay_sample(dir, &args),
            "notes.txt is a file, not a folder",
        );
        assert!(!stderr.contains("File exists"), "{stderr}");
    }
    assert_succeeded(&replay_sample(dir, &["--output", "u.parquet"]));
    let output = zoom_licenses()
        .current_dir(dir)
        .args([
            "reclaim",
            "--input",
            "u_manifest.json",
            "-o",
            "notes.txt/c.parquet",
        ])
        .output()
        .unwrap();
    assert_refused(&output, "notes.txt is a file, not a folder");
    assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "kept");
    assert_eq!(
        dir_entries(dir),
        [
            "notes.txt",
            "u.parquet",
            "u_manifest.json",
            "u_rejects.parquet"
        ]
    );
}

// --- 4. One bound for dates in the future -------------------------------------------------------

/// UTC's today, as the tests' own clock says.
fn utc_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// `--as-of`, `--partition-date` (extract and reclaim) and `changes --to` take a date up to
/// tomorrow (UTC; a scheduler east of UTC may name its own day) and refuse a later one with one
/// message.
#[test]
fn every_date_flag_has_one_bound_for_the_future() {
    // A run straddling midnight UTC would see another tomorrow: try again on the new day.
    for _ in 0..2 {
        let today = utc_today();
        let tomorrow = today + chrono::Days::new(1);
        let later = today + chrono::Days::new(2);
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        let at = |date: chrono::NaiveDate| format!("{date}T00:00:00Z");
        let refused = format!(
            "{later} is in the future: a run is dated at most one day after today (UTC), so up to \
             {tomorrow}"
        );
        let tool = |args: &[String]| {
            zoom_licenses()
                .current_dir(dir)
                .arg("-q")
                .args(args)
                .output()
                .unwrap()
        };
        let strings = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let replay = fixture("sample").display().to_string();
        let extract = |rest: &[String]| {
            let mut args = strings(&["extract", "--replay", &replay]);
            args.extend_from_slice(rest);
            tool(&args)
        };
        let outcomes = [
            (
                "--as-of",
                extract(&strings(&["-o", "a.parquet", "--as-of", &at(later)])),
            ),
            (
                "--partition-date",
                extract(&strings(&[
                    "--output-dir",
                    "wh",
                    "--partition-date",
                    &later.to_string(),
                ])),
            ),
            (
                "--partition-date",
                tool(&strings(&[
                    "reclaim",
                    "--output-dir",
                    "wh",
                    "--partition-date",
                    &later.to_string(),
                ])),
            ),
            (
                "--to",
                tool(&strings(&[
                    "changes",
                    "--output-dir",
                    "wh",
                    "--to",
                    &later.to_string(),
                ])),
            ),
        ];
        let accepted_as_of = extract(&strings(&["-o", "b.parquet", "--as-of", &at(tomorrow)]));
        let accepted_date = extract(&strings(&[
            "--output-dir",
            "wh",
            "--partition-date",
            &tomorrow.to_string(),
        ]));
        if utc_today() != today {
            continue;
        }
        for (flag, output) in &outcomes {
            let stderr = assert_refused(output, &refused);
            assert!(stderr.contains(&format!("for '{flag} ")), "{stderr}");
        }
        assert_succeeded(&accepted_as_of);
        assert_eq!(
            json_file(dir.join("b_manifest.json"))["extracted_at"],
            format!("{tomorrow}T00:00:00.000000Z")
        );
        assert_succeeded(&accepted_date);
        assert!(dir.join(format!("wh/zoom_users/dt={tomorrow}")).is_dir());
        assert!(!dir.join("a.parquet").exists());
        assert!(!dir.join(format!("wh/zoom_users/dt={later}")).exists());
        return;
    }
    panic!("the date changed during both tries");
}

// --- 5 and 6. SIGINT and SIGTERM ----------------------------------------------------------------

/// The binary as a child process (to be signalled), its output captured; with `mock`, its
/// credentials and endpoints in the environment.
fn spawn(dir: &Path, mock: Option<&MockZoom>, args: &[&str]) -> Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
    cmd.env_remove("RUST_LOG")
        .env_remove("ZOOM_LICENSES_LOG_FORMAT")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(mock) = mock {
        let account = mock.account();
        cmd.env("ZOOM_ACCOUNT_ID", &account.account_id)
            .env("ZOOM_CLIENT_ID", &account.client_id)
            .env("ZOOM_CLIENT_SECRET", &account.client_secret)
            .env("ZOOM_API_URL", mock.api_url())
            .env("ZOOM_OAUTH_URL", mock.oauth_url());
    }
    cmd.spawn().unwrap()
}

/// Sends `signal` (`INT`, `TERM`) to `child` with kill(1), then waits for its end.
async fn signal_and_wait(child: Child, signal: &str) -> Output {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} failed");
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// Waits (polling, at most two minutes: a busy machine is slow) until `ready` holds.
async fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "waited two minutes for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a folder holds a sink's temporary file (`.NAME.XXXX.tmp`): the run has opened its
/// outputs, so it is writing.
fn has_temporary(dir: &Path) -> bool {
    dir_entries(dir)
        .iter()
        .any(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

/// Every file under `dir` (hidden ones too), relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new();
    }
    files_under(dir)
        .into_keys()
        .map(|p| p.display().to_string())
        .collect()
}

/// Signals `child` and checks it stopped by `signal`, leaving no file at all under `dir`.
async fn stop_and_find_nothing(child: Child, signal: &str, dir: &Path) {
    let output = signal_and_wait(child, signal).await;
    assert_stopped_by(&output, signal);
    assert_eq!(files(dir), Vec::<String>::new(), "SIG{signal}");
}

/// The code and stderr a signalled run must end with: 130 for SIGINT, 143 for SIGTERM, and a
/// last line saying the signal stopped it.
#[track_caller]
fn assert_stopped_by(output: &Output, signal: &str) -> String {
    let stderr = stderr(output);
    let code = match signal {
        "INT" => 130,
        _ => 143,
    };
    assert_eq!(output.status.code(), Some(code), "SIG{signal}: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("zoom-licenses: error: interrupted by SIG{signal}")),
        "{stderr}"
    );
    stderr
}

const MASTER_SCOPES: &str = "account:read:list_sub_accounts:master user:read:list_users:master";

/// The account ids with a published license partition under `day`.
fn published(day: &Path) -> BTreeSet<String> {
    dir_entries(day)
        .into_iter()
        .filter_map(|n| n.strip_prefix("account=").map(str::to_owned))
        .filter(|id| day.join(format!("account={id}/_manifest.json")).is_file())
        .collect()
}

/// A master account of `SUBS` sub accounts of 3 active and 1 pending users each, every request
/// answered after `latency`, and `extract --sub-accounts` of it into partitions under `dir/wh`.
async fn master_extract(dir: &Path, latency: Duration) -> (MockZoom, Child) {
    let mut account = Account::new(generated_users(2, 0, 0));
    account.scopes = MASTER_SCOPES.into();
    account.sub_accounts = (1..=SUBS)
        .map(|n| {
            (
                format!("sub{n:02}"),
                format!("Sub {n}"),
                generated_users(3, 1, 0),
            )
        })
        .collect();
    let mock = MockZoom::start(account, BTreeMap::new(), latency).await;
    let child = spawn(
        dir,
        Some(&mock),
        &[
            "-q",
            "extract",
            "--sub-accounts",
            "--max-rps",
            "100",
            "--output-dir",
            "wh",
            "--partition-date",
            "2026-12-01",
            "--as-of",
            "2026-12-01T12:00:00Z",
        ],
    );
    (mock, child)
}

/// The sub accounts of [`master_extract`].
const SUBS: usize = 12;

/// SIGTERM while sub accounts are being extracted (between two of them, or inside one: the test
/// cannot choose; with 150 ms a request most land while the next one is opened): the run stops
/// there, with exit 143 (it once went on to the end with exit 0 when the signal came while no
/// pipeline listened), and the final message counts the sub accounts written (not "no output was
/// written"); the accounts manifest agrees with the partitions on disk.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_sub_accounts_stops_and_counts_what_was_written() {
    let work = tempfile::tempdir().unwrap();
    // 150 ms a request: the next sub account is still being opened when one is published.
    let (_mock, child) = master_extract(work.path(), Duration::from_millis(150)).await;
    let day = work.path().join("wh/zoom_users/dt=2026-12-01");
    wait_until("four sub accounts", || published(&day).len() >= 4).await;
    let output = signal_and_wait(child, "TERM").await;
    let stderr = assert_stopped_by(&output, "TERM");

    let written = published(&day);
    assert!(written.len() >= 4 && written.len() < SUBS, "{written:?}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains(&format!(
            "interrupted by SIGTERM after {} of {SUBS} sub accounts were written",
            written.len()
        )),
        "{stderr}"
    );
    assert!(!last.contains("no output was written"), "{last}");
    assert_manifest_agrees(&day, &written);
}

/// SIGTERM while a sub account's pipeline is writing: that one is stopped and leaves nothing,
/// the one before it stays published, and the message says both.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_inside_a_sub_account_names_it_and_counts_the_others() {
    let work = tempfile::tempdir().unwrap();
    // A second a request: the second sub account's pipeline waits seconds for its pages.
    let (_mock, child) = master_extract(work.path(), Duration::from_secs(1)).await;
    let day = work.path().join("wh/zoom_users/dt=2026-12-01");
    let staging = work.path().join("wh/.zoom-licenses-staging");
    wait_until("the second sub account's outputs", || {
        published(&day).len() == 1 && !files(&staging).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let output = signal_and_wait(child, "TERM").await;
    let stderr = assert_stopped_by(&output, "TERM");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains(&format!(
            "interrupted by SIGTERM after 1 of {SUBS} sub accounts were written (their outputs \
             are complete); sub02 was stopped and its partial outputs removed; {} not started",
            SUBS - 2
        )),
        "{stderr}"
    );
    let written = published(&day);
    assert_eq!(written, BTreeSet::from(["sub01".to_string()]));
    assert_manifest_agrees(&day, &written);
}

/// The accounts manifest of `day` lists as written exactly the partitions on disk (`written`),
/// each with its rows (the mock's 3 active and 1 pending users); any other entry is the one
/// SIGTERM stopped, which left no partition; and no staging folder is left.
#[track_caller]
fn assert_manifest_agrees(day: &Path, written: &BTreeSet<String>) {
    let manifest = json_file(day.join("_accounts_manifest.json"));
    let entries = manifest["accounts"].as_array().unwrap();
    let ok: BTreeSet<String> = entries
        .iter()
        .filter(|a| a["status"] == "ok")
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(&ok, written);
    let stopped: Vec<&Value> = entries.iter().filter(|a| a["status"] != "ok").collect();
    assert!(stopped.len() <= 1, "{stopped:?}");
    for entry in stopped {
        assert_eq!(entry["exit_code"], 143);
        let id = entry["name"].as_str().unwrap();
        assert!(
            !day.join(format!("account={id}")).exists(),
            "{id} left a partition"
        );
    }
    for id in written {
        let (batches, _) = read_parquet(&day.join(format!("account={id}/part-0.parquet")));
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            4,
            "{id}"
        );
    }
    let root = day.parent().and_then(Path::parent).unwrap();
    assert!(!root.join(".zoom-licenses-staging").exists());
}

/// SIGINT or SIGTERM during a live extract (held at its 4th page) ends it with 130 or 143 and
/// leaves no data file, manifest or temporary file, to files or to partitions.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_during_a_live_extract_leaves_no_output() {
    for (signal, partitions) in [
        ("INT", false),
        ("TERM", true),
        ("TERM", false),
        ("INT", true),
    ] {
        // 50 users a page; the 4th request is held for a minute, so the run is surely going.
        let mock = MockZoom::start(
            Account::new(generated_users(600, 0, 0)),
            BTreeMap::from([(4, Fault::Stall)]),
            Duration::ZERO,
        )
        .await;
        let work = tempfile::tempdir().unwrap();
        let mut args = vec!["-q", "extract", "--max-rps", "100", "--page-size", "50"];
        args.extend(match partitions {
            true => ["--output-dir", "wh", "--partition-date", "2026-12-01"],
            false => ["--output", "u.parquet", "--run-id", "r1"],
        });
        let child = spawn(work.path(), Some(&mock), &args);
        let writing = match partitions {
            true => work.path().join("wh/.zoom-licenses-staging"),
            false => work.path().to_path_buf(),
        };
        wait_until("the held page", || mock.seen().requests.len() >= 4).await;
        wait_until("the outputs opened", || !files(&writing).is_empty()).await;
        // Seconds of slack: the run listens for signals once its outputs are open.
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop_and_find_nothing(child, signal, work.path()).await;
    }
}

/// A recording of 200,000 users in 100 pages, made once (it takes seconds) under the target
/// folder and kept for later runs: long enough a replay to signal one mid-way.
fn big_recording() -> &'static Path {
    static MADE: OnceLock<PathBuf> = OnceLock::new();
    MADE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_edges-200k-users");
        if dir.join("index.json").is_file() {
            return dir;
        }
        let building = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let users = (0..200_000)
            .map(|n| mock_zoom::generated_user(n, "active"))
            .collect();
        write_recording_in_pages(
            building.path(),
            "bigAccount",
            &[("active", users)],
            Some(2000),
        );
        // Whole or absent: a test binary killed while writing leaves only a temporary folder.
        match fs::rename(building.keep(), &dir) {
            Ok(()) => {}
            Err(_) if dir.join("index.json").is_file() => {}
            Err(e) => panic!("{e}"),
        }
        dir
    })
}

/// SIGINT or SIGTERM during a replay (of 200,000 users, seconds of work) ends it with 130 or
/// 143 and leaves nothing where a finished file is expected: no data file, rejects, manifest or
/// temporary file.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_during_a_replay_leaves_no_output() {
    let recording = big_recording().display().to_string();
    for signal in ["TERM", "INT"] {
        let work = tempfile::tempdir().unwrap();
        let child = spawn(
            work.path(),
            None,
            &["-q", "extract", "--replay", &recording, "--output", "u.csv"],
        );
        wait_until("the outputs opened", || has_temporary(work.path())).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop_and_find_nothing(child, signal, work.path()).await;
    }
}

/// The replay of [`big_recording`] to CSV files (the slowest to read back), made once per test
/// run: a derived command's input that takes seconds to read.
fn big_run() -> &'static Path {
    static MADE: OnceLock<PathBuf> = OnceLock::new();
    MADE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_edges-200k-run");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let output = zoom_licenses()
            .current_dir(&dir)
            .args(["-q", "extract", "--replay"])
            .arg(big_recording())
            .args(["--output", "u.csv"])
            .output()
            .unwrap();
        assert_succeeded(&output);
        dir
    })
}

/// SIGINT or SIGTERM during `reclaim` ends it with 130 or 143, leaving no table, manifest or
/// temporary file, and the run it read as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_during_reclaim_leaves_no_output() {
    let input = tokio::task::spawn_blocking(big_run).await.unwrap();
    let before = files_under(input);
    for signal in ["TERM", "INT"] {
        let work = tempfile::tempdir().unwrap();
        let manifest = input.join("u_manifest.json").display().to_string();
        let child = spawn(
            work.path(),
            None,
            &["-q", "reclaim", "--input", &manifest, "--output", "c.csv"],
        );
        wait_until("the table opened", || has_temporary(work.path())).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop_and_find_nothing(child, signal, work.path()).await;
    }
    assert!(files_under(input) == before, "the input run changed");
}

/// A signal while the run is still being opened (the token request held by a slow Zoom) stops it
/// at once with 130 or 143 and nothing written; it once either ended the process without an exit
/// code of its own, or was lost until the pipeline started.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_the_run_is_opened_stops_it_at_once() {
    for signal in ["TERM", "INT"] {
        // Every answer, the token's too, comes after 20 s.
        let mock = MockZoom::start(
            Account::new(generated_users(10, 0, 0)),
            BTreeMap::new(),
            Duration::from_secs(20),
        )
        .await;
        let work = tempfile::tempdir().unwrap();
        let args = [
            "-q",
            "extract",
            "--output-dir",
            "wh",
            "--partition-date",
            "2026-12-01",
        ];
        let child = spawn(work.path(), Some(&mock), &args);
        // Seconds of slack for the process to start and ask for its token.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let started = Instant::now();
        let output = signal_and_wait(child, signal).await;
        assert_stopped_by(&output, signal);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "SIG{signal}: the run waited for its token first ({:?})",
            started.elapsed()
        );
        assert_eq!(files(&work.path().join("wh")), Vec::<String>::new());
    }
}

/// SIGTERM while `reclaim` goes through a day of many accounts: the accounts done stay published,
/// and the message counts them (it once said "no output was written" after writing some).
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_day_of_reclaims_counts_what_was_written() {
    const ACCOUNTS: usize = 40;
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("wh");
    for n in 0..ACCOUNTS {
        zoom_licenses()
            .args(["-q", "extract", "--replay"])
            .arg(fixture("sample"))
            .arg("--output-dir")
            .arg(&root)
            .args(["--partition-date", "2026-12-01", "--partition-account"])
            .arg(format!("a{n:02}"))
            .assert()
            .success();
    }
    let child = spawn(
        work.path(),
        None,
        &[
            "reclaim",
            "--output-dir",
            "wh",
            "--partition-date",
            "2026-12-01",
        ],
    );
    let day = root.join("zoom_reclaim_candidates/dt=2026-12-01");
    wait_until("a first reclaim published", || !published(&day).is_empty()).await;
    let output = signal_and_wait(child, "TERM").await;
    let stderr = assert_stopped_by(&output, "TERM");
    let written = published(&day).len();
    assert!((1..ACCOUNTS).contains(&written), "{written}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains(&format!(
            "interrupted by SIGTERM after {written} of {ACCOUNTS} accounts were written"
        )),
        "{stderr}"
    );
    assert!(!last.contains("no output was written"), "{last}");
}
