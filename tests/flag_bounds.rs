//! Every numeric bound a flag documents, at its edge: the last value inside is taken (the run
//! succeeds against the mock Zoom), the first value outside is refused with exit 2 and a message
//! naming the flag. The expectations are the numbers `--help` and docs/usage.md state
//! (docs/more-tables.md for the sign-in report), written here, not the code's constants. The date flags'
//! bound (at most tomorrow, UTC) is tested in `cli_edges.rs`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};

/// What a value should do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Taken: the run succeeds.
    Taken,
    /// Refused with exit 2, before any request, with a message naming the flag.
    Refused,
}
use Expect::{Refused, Taken};

/// Whether a case needs the sign-in report (its flags are refused without `--with activity`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Report {
    Without,
    With,
}

/// The scopes that let the mock answer both the user list and the sign-in report.
const SCOPES: &str = "user:read:list_users:admin report:read:user_activities:admin";

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_flag_bound_takes_its_edge_and_refuses_one_past_it() {
    let mut account = Account::new(generated_users(3, 1, 1));
    account.scopes = SCOPES.into();
    let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;

    let run_id_of = |bytes: usize| "r".repeat(bytes);
    // "é" is two bytes: 125 of them are 250 bytes (taken), and one more ASCII byte is 251
    // (refused) though only 126 characters.
    let accented = |chars: usize| "é".repeat(chars);
    let cases: Vec<(&str, String, Report, Expect)> = vec![
        // usage.md: "users per page, 1–2000".
        ("--page-size", "0".into(), Report::Without, Refused),
        ("--page-size", "1".into(), Report::Without, Taken),
        ("--page-size", "2000".into(), Report::Without, Taken),
        ("--page-size", "2001".into(), Report::Without, Refused),
        // usage.md and --help: "at most 20".
        ("--max-retries", "20".into(), Report::Without, Taken),
        ("--max-retries", "21".into(), Report::Without, Refused),
        // usage.md: "(at most 600)".
        ("--timeout", "600".into(), Report::Without, Taken),
        ("--timeout", "600.5".into(), Report::Without, Refused),
        ("--timeout", "601".into(), Report::Without, Refused),
        // usage.md and --help: "in seconds, at most a day".
        ("--max-wait", "86400".into(), Report::Without, Taken),
        ("--max-wait", "86400.5".into(), Report::Without, Refused),
        ("--max-wait", "86401".into(), Report::Without, Refused),
        // usage.md and --help: "(at most 10,000)".
        (
            "--retry-min-delay-ms",
            "10000".into(),
            Report::Without,
            Taken,
        ),
        (
            "--retry-min-delay-ms",
            "10001".into(),
            Report::Without,
            Refused,
        ),
        // usage.md and --help: "at most 1000", "at most 40".
        ("--max-rps", "1000".into(), Report::Without, Taken),
        ("--max-rps", "1001".into(), Report::Without, Refused),
        ("--activity-max-rps", "40".into(), Report::With, Taken),
        ("--activity-max-rps", "41".into(), Report::With, Refused),
        // usage.md: "1 to 180"; more-tables.md: "at most 180: Zoom keeps six months".
        ("--activity-days", "0".into(), Report::With, Refused),
        ("--activity-days", "1".into(), Report::With, Taken),
        ("--activity-days", "180".into(), Report::With, Taken),
        ("--activity-days", "181".into(), Report::With, Refused),
        // usage.md and --help: "at most 250 bytes".
        ("--run-id", run_id_of(250), Report::Without, Taken),
        ("--run-id", run_id_of(251), Report::Without, Refused),
        ("--run-id", accented(125), Report::Without, Taken),
        ("--run-id", accented(125) + "r", Report::Without, Refused),
    ];

    let mut failures = Vec::new();
    for (flag, value, report, expect) in &cases {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = against_mock(&mock);
        cmd.args(["extract", "--format", "ndjson", "--output"])
            .arg(out.path().join("u.ndjson"));
        if *report == Report::With {
            // The mock's "today" is 2026-12-01: 180 days ending on it start within six months.
            cmd.args(["--with", "activity", "--as-of", "2026-12-01T18:00:00Z"]);
        }
        cmd.args([flag, value.as_str()]);
        let asked_before = asked(&mock);
        let output = run_blocking(cmd).await;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let code = output.status.code();
        let shown = format!("{flag} {}", shorten(value));
        match expect {
            Taken if code != Some(0) => {
                failures.push(format!(
                    "{shown}: expected to be taken, exit {code:?}: {stderr}"
                ));
            }
            Taken if !out.path().join("u_manifest.json").is_file() => {
                failures.push(format!("{shown}: taken, but no manifest was written"));
            }
            Refused if code != Some(2) => {
                failures.push(format!("{shown}: expected exit 2, exit {code:?}: {stderr}"));
            }
            Refused if !stderr.contains(flag) => {
                failures.push(format!("{shown}: refused without naming {flag}: {stderr}"));
            }
            Refused if asked(&mock) != asked_before => {
                failures.push(format!("{shown}: refused only after asking Zoom"));
            }
            Refused if !dir_entries(out.path()).is_empty() => {
                failures.push(format!("{shown}: refused, but wrote files"));
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Requests the mock has seen: tokens, user pages and report pages.
fn asked(mock: &MockZoom) -> (u64, usize, usize) {
    let seen = mock.seen();
    (
        seen.token_requests,
        seen.requests.len(),
        seen.activity_requests.len(),
    )
}

/// A value short enough for a failure message.
fn shorten(value: &str) -> String {
    match value.chars().count() > 12 {
        true => format!(
            "{}… ({} bytes)",
            value.chars().take(8).collect::<String>(),
            value.len()
        ),
        false => value.to_string(),
    }
}

/// An account entry's `max_rps` has the flag's bound: 1000 is taken, 1001 refused (exit 2,
/// naming it) before any request; it once went through unchecked (`max_rps = 100000`).
#[tokio::test(flavor = "multi_thread")]
async fn an_account_entrys_max_rps_has_the_flags_bound() {
    let account = Account::new(generated_users(3, 1, 1));
    let mock = MockZoom::start(account.clone(), BTreeMap::new(), Duration::ZERO).await;
    for (max_rps, expect) in [(1000, Taken), (1001, Refused), (100_000, Refused)] {
        let work = tempfile::tempdir().unwrap();
        let config = work.path().join("accounts.toml");
        std::fs::write(
            &config,
            format!(
                "[[account]]\nname = \"one\"\naccount_id = \"{}\"\nclient_id = \"{}\"\n\
                 client_secret_env = \"ONE_SECRET\"\napi_url = \"{}\"\noauth_url = \"{}\"\n\
                 max_rps = {max_rps}\n",
                account.account_id,
                account.client_id,
                mock.api_url(),
                mock.oauth_url()
            ),
        )
        .unwrap();
        let mut cmd = zoom_licenses();
        cmd.current_dir(work.path())
            .env("ONE_SECRET", &account.client_secret)
            .args(["extract", "--config", "accounts.toml", "--account", "one"])
            .args(["--output-dir", "out"])
            .args(["--partition-date", "2026-12-01"]);
        let asked_before = asked(&mock);
        let output = run_blocking(cmd).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        match expect {
            Taken => assert_eq!(output.status.code(), Some(0), "{max_rps}: {stderr}"),
            Refused => {
                assert_eq!(output.status.code(), Some(2), "{max_rps}: {stderr}");
                assert!(stderr.contains("max_rps"), "{stderr}");
                assert_eq!(asked(&mock), asked_before, "{max_rps}: asked Zoom");
            }
        }
    }
}
