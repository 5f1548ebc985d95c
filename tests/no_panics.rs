//! The binary over its error paths with `RUST_BACKTRACE=1`: each ends with its documented exit code
//! and none panics (a panic is exit 101 and a backtrace on stderr).

mod common;

use std::collections::BTreeMap;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::*;
use mock_zoom::{Account, Fault, MockZoom, generated_users};

/// Runs `cmd` with backtraces on; fails on a panic, else returns what it did.
async fn without_panic(mut cmd: std::process::Command, case: &str) -> Output {
    cmd.env("RUST_BACKTRACE", "1").env_remove("RUST_LOG");
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    assert_ne!(output.status.code(), Some(101), "{case}: {stderr}");
    output
}

fn binary() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"))
}

/// `/dev/full`: every write to it fails with "no space left on device".
#[cfg(target_os = "linux")]
fn full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn no_error_path_panics() {
    let work = tempfile::tempdir().unwrap();
    let sample = fixture("sample");
    let code = |output: &Output| output.status.code();

    let replay_sample = |args: &[&str]| {
        let mut cmd = binary();
        cmd.current_dir(work.path())
            .args(["extract", "--replay"])
            .arg(&sample)
            .args(args);
        cmd
    };

    // stderr cannot be written: the run still succeeds (the summary is lost, not the data).
    let mut cmd = replay_sample(&[]);
    cmd.stderr(full());
    let output = without_panic(cmd, "stderr full").await;
    assert_eq!(code(&output), Some(0));

    // stdout cannot take the manifest's path: exit 1, saying where the manifest is.
    let mut cmd = replay_sample(&[]);
    cmd.stdout(full());
    let output = without_panic(cmd, "stdout full").await;
    assert_eq!(code(&output), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("could not be printed on stdout"));

    // stdout cannot take the data: exit 1, and no file where the manifest would be.
    let mut cmd = replay_sample(&[
        "--format",
        "ndjson",
        "--output",
        "-",
        "--manifest",
        "m.json",
    ]);
    cmd.stdout(full());
    let output = without_panic(cmd, "data to a full stdout").await;
    assert_eq!(code(&output), Some(1));
    assert!(!work.path().join("m.json").exists());

    // Settings out of range, and files that are not what they should be.
    let sample_path = sample.to_str().unwrap();
    std::fs::create_dir(work.path().join("a-dir")).unwrap();
    std::fs::write(work.path().join("bad.toml"), b"\xff\xfe[[a").unwrap();
    for (args, expected) in [
        (vec!["extract", "--timeout", "1e400"], 2),
        (vec!["extract", "--max-wait", "-1"], 2),
        (vec!["extract", "--replay", "no-such-dir"], 2),
        (vec!["extract", "--replay", "/dev/null"], 2),
        (vec!["extract", "--page-size", "0"], 2),
        (vec!["extract", "--max-retries", "18446744073709551615"], 2),
        (vec!["extract", "--max-rps", "4294967296"], 2),
        (vec!["extract", "--retry-min-delay-ms", "99999999"], 2),
        (vec!["extract", "--as-of", "2026-99-01"], 2),
        (vec!["extract", "--partition-date", "2026-12-01"], 2),
        (
            vec!["extract", "--config", "no-such.toml", "--account", "a"],
            2,
        ),
        (vec!["extract", "--config", "bad.toml", "--account", "a"], 2),
        (vec!["extract", "--config", "a-dir", "--account", "a"], 2),
        (vec!["extract", "--output", "a-dir"], 2),
        (
            vec![
                "extract",
                "--replay",
                sample_path,
                "--output-dir",
                "/dev/null/x",
            ],
            1,
        ),
        (vec!["check", "--token-file", "bad.toml"], 2),
        (vec!["revoke", "--token-file", "a-dir"], 2),
        (vec!["auth", "--redirect-uri", "http://localhost:99999"], 2),
        (vec!["auth", "--redirect-uri", "http://localhost:0"], 2),
        (
            vec!["--log-format", "json", "extract", "--replay", "nope"],
            2,
        ),
        (vec!["nonsense"], 2),
    ] {
        let mut cmd = binary();
        // Only the flags of an authorization-code app for auth, check and revoke.
        if matches!(args[0], "auth" | "check" | "revoke") {
            cmd.env_remove("ZOOM_ACCOUNT_ID");
        } else {
            cmd.env("ZOOM_ACCOUNT_ID", "a");
        }
        cmd.current_dir(work.path())
            .stdin(Stdio::null())
            .env("ZOOM_CLIENT_ID", "b")
            .env("ZOOM_CLIENT_SECRET", "c")
            .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
            .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9")
            .args(&args);
        let output = without_panic(cmd, &args.join(" ")).await;
        assert_eq!(code(&output), Some(expected), "{args:?}");
    }

    // A token said to live for ever, and a page body of 33 MiB.
    let mut account = Account::new(generated_users(40, 0, 0));
    account.token_ttl_secs = u64::MAX;
    let huge = format!(
        r#"{{"next_page_token":"","users":[]{}}}"#,
        " ".repeat(33 << 20)
    );
    let faults = BTreeMap::from([(1, Fault::Body(Box::leak(huge.into_boxed_str())))]);
    let mock = MockZoom::start(account, faults, Duration::ZERO).await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
    let account = mock.account();
    cmd.current_dir(work.path())
        .env("ZOOM_ACCOUNT_ID", &account.account_id)
        .env("ZOOM_CLIENT_ID", &account.client_id)
        .env("ZOOM_CLIENT_SECRET", &account.client_secret)
        .env("ZOOM_API_URL", mock.api_url())
        .env("ZOOM_OAUTH_URL", mock.oauth_url())
        .args([
            "extract",
            "--statuses",
            "active",
            "--max-retries",
            "0",
            "--output",
            "big.parquet",
        ]);
    let output = without_panic(cmd, "token for ever, page too big").await;
    assert_eq!(code(&output), Some(75));
    assert!(String::from_utf8_lossy(&output.stderr).contains("larger than 32 MiB"));
}
