//! Edges of the command line a hostile tester found (issue 24), through the binary: the format an
//! output's name promises, the two ways to name a derived command's run, an output under a file,
//! one bound for dates in the future, and what SIGINT and SIGTERM leave behind.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::*;

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
