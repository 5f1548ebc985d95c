//! The authorization-code flow, the token store, `check`, `revoke` and the accounts file, end to end
//! against the mock Zoom (authorize, token and API endpoints) on 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};

/// A port for `auth` to listen on, free now and given to no other test of this run. It comes from
/// below Linux's ephemeral range (32768 and up), which `bind` to port 0 draws from, so no mock
/// server started meanwhile can take it between this check and `auth`'s own bind.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 500) as u16 * 20;
    loop {
        let port = base + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(port < 32_000, "no free port below the ephemeral range");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Setup {
    mock: MockZoom,
    port: u16,
    redirect: String,
    work: tempfile::TempDir,
}

impl Setup {
    async fn new(configure: impl FnOnce(&mut Account)) -> Self {
        let port = free_port();
        let redirect = format!("http://localhost:{port}/callback");
        let mut account = Account::new(generated_users(120, 30, 10));
        account.redirect_uri = Some(redirect.clone());
        configure(&mut account);
        let mock = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
        Setup {
            mock,
            port,
            redirect,
            work: tempfile::tempdir().unwrap(),
        }
    }

    fn token_file(&self) -> PathBuf {
        self.work.path().join("config/token.json")
    }

    /// A command with the app's credentials and the mock's URLs in its environment.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let account = self.mock.account();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"));
        cmd.current_dir(self.work.path())
            .env_remove("RUST_LOG")
            .env_remove("ZOOM_ACCOUNT_ID")
            .env("ZOOM_CLIENT_ID", &account.client_id)
            .env("ZOOM_CLIENT_SECRET", &account.client_secret)
            .env("ZOOM_OAUTH_URL", self.mock.oauth_url())
            .env("ZOOM_API_URL", self.mock.api_url())
            .env("ZOOM_TOKEN_FILE", self.token_file())
            .env("ZOOM_REDIRECT_URI", &self.redirect)
            .args(args);
        cmd
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::null());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    /// Starts `auth --no-browser` and returns it with the authorize URL it printed, and the rest of
    /// its stderr once it exits.
    #[allow(
        clippy::zombie_processes,
        reason = "the caller waits for the returned child"
    )]
    async fn start_auth(&self) -> (Child, String, std::thread::JoinHandle<String>) {
        let mut cmd = self.command(&["auth", "--no-browser", "--wait", "20"]);
        cmd.stdin(Stdio::piped()).stderr(Stdio::piped());
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            let mut stderr = BufReader::new(child.stderr.take().unwrap());
            let mut line = String::new();
            loop {
                line.clear();
                assert!(
                    stderr.read_line(&mut line).unwrap() > 0,
                    "auth printed no URL"
                );
                if let Some(url) = line.trim().strip_prefix("http") {
                    let url = format!("http{url}");
                    // Keep draining stderr so the child never blocks on a full pipe.
                    let rest = std::thread::spawn(move || {
                        let mut rest = String::new();
                        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
                        eprintln!("auth stderr: {rest}");
                        rest
                    });
                    return (child, url, rest);
                }
            }
        })
        .await
        .unwrap()
    }

    /// Connects through the paste-the-URL fallback.
    async fn connect(&self) {
        let (mut child, url, _) = self.start_auth().await;
        let location = redirect_location(&url).await;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{location}\n").as_bytes())
            .unwrap();
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "auth failed");
    }
}

/// Where the mock's authorize endpoint sends the browser.
async fn redirect_location(authorize_url: &str) -> String {
    let http = extractor::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let response = http.get(authorize_url).send().await.unwrap();
    assert_eq!(response.status(), 302, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd` off the runtime's threads, which the in-process mock needs to answer it.
async fn output_of(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn wait_for(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_flow_stores_tokens_then_check_and_extract_work() {
    let setup = Setup::new(|_| {}).await;
    let (child, url, _) = setup.start_auth().await;
    // The browser: follow Zoom's redirect to the listener, which answers with a closing page.
    let browser = extractor::http::client_builder()
        .no_proxy()
        .build()
        .unwrap();
    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You can close this window")
    );
    let output = wait_for(child).await;
    assert_succeeded(&output);
    #[cfg(unix)]
    assert_eq!(mode(&setup.token_file()), 0o600);
    // The authorize URL carried PKCE and no scope.
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(!url.contains("scope="), "{url}");

    let check = setup.run(&["check"]).await;
    assert_succeeded(&check);
    let report = text(&check.stdout);
    assert!(report.contains("authorization-code"), "{report}");
    assert!(report.contains("users listed:   120 active, "), "{report}");
    assert!(report.contains("category Medium"), "{report}");
    assert!(report.contains("connection ok"), "{report}");

    let extract = setup
        .run(&["extract", "--format", "ndjson", "--output", "u.ndjson"])
        .await;
    assert_succeeded(&extract);
    let rows = std::fs::read_to_string(setup.work.path().join("u.ndjson")).unwrap();
    assert_eq!(rows.lines().count(), 150);
}

#[tokio::test(flavor = "multi_thread")]
async fn pasting_the_redirected_url_works_when_the_port_is_taken() {
    let setup = Setup::new(|_| {}).await;
    let _occupied = std::net::TcpListener::bind(("127.0.0.1", setup.port)).unwrap();
    setup.connect().await;
    assert!(setup.token_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_connection_does_not_hold_up_the_browsers_redirect() {
    let setup = Setup::new(|_| {}).await;
    let (child, url, _) = setup.start_auth().await;
    // A browser's speculative pre-connect: connected, never sends a byte, never closes.
    let _idle = tokio::net::TcpStream::connect(("127.0.0.1", setup.port))
        .await
        .unwrap();
    // And one that sends half a request head.
    let mut half = tokio::net::TcpStream::connect(("127.0.0.1", setup.port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut half, b"GET /callback?co")
        .await
        .unwrap();
    // The real redirect is served at once, well before the idle ones time out (10 s).
    let browser = extractor::http::client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let output = wait_for(child).await;
    assert_succeeded(&output);
    assert!(setup.token_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_with_the_port_taken_and_stdin_closed_fails_at_once() {
    let setup = Setup::new(|_| {}).await;
    let _occupied = std::net::TcpListener::bind(("127.0.0.1", setup.port)).unwrap();
    let started = std::time::Instant::now();
    // Setup::run closes stdin; --wait is 20 s in start_auth, the default 300 s here.
    let output = setup.run(&["auth", "--no-browser"]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin is closed"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!setup.token_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_with_stdin_closed_still_takes_the_browsers_redirect() {
    let setup = Setup::new(|_| {}).await;
    let mut cmd = setup.command(&["auth", "--no-browser", "--wait", "20"]);
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "auth printed no URL"
        );
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });
    let browser = extractor::http::client_builder()
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(browser.get(&url).send().await.unwrap().status(), 200);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let rest = rest.join().unwrap();
    assert!(status.success(), "{rest}");
    assert!(
        rest.contains("waiting for the browser's redirect only"),
        "{rest}"
    );
    assert!(setup.token_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_uri_on_port_0_is_refused() {
    let setup = Setup::new(|_| {}).await;
    let mut cmd = setup.command(&["auth", "--no-browser"]);
    cmd.env("ZOOM_REDIRECT_URI", "http://localhost:0/callback")
        .stdin(Stdio::null());
    let output = output_of(cmd).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("port 0"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_mismatch_stores_nothing() {
    let setup = Setup::new(|_| {}).await;
    let (mut child, url, stderr) = setup.start_auth().await;
    let location = redirect_location(&url).await;
    let forged = location.replace("state=", "state=forged");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{forged}\n").as_bytes())
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("state does not match") && stderr.contains("nothing was stored"),
        "{stderr}"
    );
    assert!(!setup.token_file().exists());
    assert_eq!(
        setup.mock.seen().token_requests,
        0,
        "the forged code was exchanged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_consent_ends_with_a_clear_message() {
    let setup = Setup::new(|a| a.deny_consent = true).await;
    let (child, url, stderr) = setup.start_auth().await;
    let browser = extractor::http::client_builder()
        .no_proxy()
        .build()
        .unwrap();
    let page = browser
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("denied"), "{page}");
    let status = tokio::task::spawn_blocking(move || {
        let mut child = child;
        child.wait().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1));
    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("the authorization was denied in the browser")
            && stderr.contains("approve the app"),
        "{stderr}"
    );
    assert!(!setup.token_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_tokens_rotate_across_runs() {
    // Tokens that live 30 s are always inside the renewal margin: every run refreshes.
    let setup = Setup::new(|a| a.token_ttl_secs = 30).await;
    setup.connect().await;
    for run in 1..=3 {
        let output = setup.run(&["extract", "--output", "u.parquet"]).await;
        assert!(
            output.status.success(),
            "run {run}: {}",
            text(&output.stderr)
        );
    }
    let seen = setup.mock.seen();
    assert_eq!(seen.refreshes, 3);
    let stored: serde_json::Value = json_file(setup.token_file());
    assert_eq!(
        stored["refresh_token"].as_str().unwrap(),
        seen.refresh_tokens_issued.last().unwrap()
    );
    assert!(stored["refresh_started_at"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_token_says_run_auth_again() {
    let setup = Setup::new(|a| a.token_ttl_secs = 30).await;
    setup.connect().await;
    let path = setup.token_file();
    let mut stored: serde_json::Value = json_file(&path);
    stored["refresh_token"] = "a-refresh-token-zoom-no-longer-knows".into();
    std::fs::write(&path, stored.to_string()).unwrap();
    let output = setup.run(&["extract", "--output", "u.parquet"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("run `zoom-licenses auth` again"));
    assert!(!setup.work.path().join("u.parquet").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_right_after_a_refresh_says_exactly_what_to_do() {
    // Zoom rotates the refresh token, then holds its answer for a minute: the process is killed
    // meanwhile, however slowly this machine runs.
    let setup = Setup::new(|a| {
        a.token_ttl_secs = 30;
        a.refresh_delay = Duration::from_secs(60);
    })
    .await;
    setup.connect().await;
    let mut cmd = setup.command(&["extract", "--output", "u.parquet"]);
    let mut child = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..2400 {
        if setup.mock.seen().refreshes == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(setup.mock.seen().refreshes, 1, "the run never refreshed");
    child.kill().unwrap();
    let _ = child.wait();

    let output = setup.run(&["extract", "--output", "u.parquet"]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted while renewing"), "{stderr}");
    assert!(
        stderr.contains("run `zoom-licenses auth` again"),
        "{stderr}"
    );
    // Reconnecting fixes it.
    setup.connect().await;
    let output = setup.run(&["check"]).await;
    assert_succeeded(&output);
}

/// An authorization-code app is not given its account id: it reads it from `GET /users/me` when
/// the scope allows, names the partition after it and records it; without the scope, a partitioned
/// run refuses to guess (`account=default` would be shared by every such account).
#[tokio::test(flavor = "multi_thread")]
async fn the_account_id_of_an_authorization_code_app_comes_from_users_me() {
    let setup = Setup::new(|a| {
        a.scopes = "user:read:list_users:admin user:read:user:admin".into();
    })
    .await;
    setup.connect().await;
    const PARTITIONED: &[&str] = &[
        "extract",
        "--output-dir",
        "wh",
        "--partition-date",
        "2026-12-01",
    ];
    let output = setup.run(PARTITIONED).await;
    assert_succeeded(&output);
    let partition = setup
        .work
        .path()
        .join("wh/zoom_users/dt=2026-12-01/account=mockAccount123");
    let manifest: serde_json::Value = json_file(partition.join("_manifest.json"));
    assert_eq!(manifest["source"]["account_id"], "mockAccount123");
    let check = setup.run(&["check"]).await;
    assert!(
        text(&check.stdout).contains("account id:     mockAccount123 (GET /users/me)"),
        "{}",
        text(&check.stdout)
    );

    let setup = Setup::new(|a| a.scopes = "user:read:list_users:admin".into()).await;
    setup.connect().await;
    let output = setup.run(PARTITIONED).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--partition-account"), "{stderr}");
    assert!(stderr.contains("user:read:user:admin"), "{stderr}");
    assert!(!setup.work.path().join("wh/zoom_users").exists());
    let check = setup.run(&["check"]).await;
    assert!(
        text(&check.stdout).contains("account id:     not known: scope user:read:user:admin"),
        "{}",
        text(&check.stdout)
    );
    // Named by hand, it runs.
    let output = setup
        .run(&[
            "extract",
            "--output-dir",
            "wh",
            "--partition-date",
            "2026-12-01",
            "--partition-account",
            "emea",
        ])
        .await;
    assert_succeeded(&output);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_revokes_at_zoom_and_deletes_the_token_file() {
    let setup = Setup::new(|_| {}).await;
    setup.connect().await;
    let output = setup.run(&["revoke"]).await;
    assert_succeeded(&output);
    assert!(!setup.token_file().exists());
    assert_eq!(setup.mock.seen().revoked.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_against_a_wrong_oauth_url_says_so_and_keeps_the_token_file() {
    let setup = Setup::new(|_| {}).await;
    setup.connect().await;
    let mut cmd = setup.command(&["revoke"]);
    cmd.env(
        "ZOOM_OAUTH_URL",
        format!("{}/nothing-here", setup.mock.oauth_url()),
    )
    .stdin(Stdio::null());
    let output = output_of(cmd).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check --oauth-url"), "{stderr}");
    assert!(setup.token_file().exists(), "the token was not revoked");
    assert!(setup.mock.seen().revoked.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_against_a_wrong_oauth_url_names_the_flag_at_once() {
    // Tokens living 30 s are renewed before use, so the run goes to the token endpoint first.
    let setup = Setup::new(|a| a.token_ttl_secs = 30).await;
    setup.connect().await;
    let mut cmd = setup.command(&["extract", "--output", "u.parquet"]);
    cmd.env(
        "ZOOM_OAUTH_URL",
        format!("{}/nothing-here", setup.mock.oauth_url()),
    )
    .stdin(Stdio::null());
    let started = std::time::Instant::now();
    let output = output_of(cmd).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check --oauth-url"), "{stderr}");
    // Not retried as if Zoom were down: one answer was enough.
    assert!(!stderr.contains("Retrying"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!setup.work.path().join("u.parquet").exists());
}

/// A mock account served with server-to-server credentials.
async fn s2s_mock(configure: impl FnOnce(&mut Account)) -> MockZoom {
    let mut account = Account::new(generated_users(40, 5, 5));
    configure(&mut account);
    MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await
}

fn s2s(mock: &MockZoom, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = against_mock(mock);
    cmd.args(args);
    cmd
}

async fn output(mut cmd: assert_cmd::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_a_working_server_to_server_connection() {
    let mock = s2s_mock(|_| {}).await;
    let out = output(s2s(&mock, &["check"])).await;
    assert_succeeded(&out);
    let report = text(&out.stdout);
    assert!(
        report.contains("server-to-server (account mockAccount123)"),
        "{report}"
    );
    assert!(
        report.contains(
            "  user:read:list_users:admin (classic apps: user:read:admin): granted; required"
        ),
        "{report}"
    );
    // generated_users(40, 5, 5): each status's total_records.
    assert!(
        report.contains("users listed:   40 active, 5 pending, 5 inactive"),
        "{report}"
    );
    // Without its scope, Zoom's summary is not asked for, and the check still passes.
    assert!(
        report.contains("users summary:  not read: scope user:read:summary:admin not granted"),
        "{report}"
    );
}

/// With `user:read:summary:admin`, `check` reads `GET /users/summary` through the generic fetch
/// and prints Zoom's counts beside what the list endpoint says.
#[tokio::test(flavor = "multi_thread")]
async fn check_prints_zooms_user_summary_when_its_scope_is_granted() {
    let mock = s2s_mock(|a| {
        a.scopes = "user:read:list_users:admin user:read:summary:admin".into();
    })
    .await;
    let out = output(s2s(&mock, &["check"])).await;
    assert_succeeded(&out);
    let report = text(&out.stdout);
    // The 40 active users of generated_users have plan types 1, 2, 2, 4, 99 in turn: 16 licensed
    // (type 2), 8 basic (type 1) and 16 join-only (types 4 and 99); 5 pending apart.
    assert!(
        report.contains(
            "users summary:  40 total: 16 licensed, 8 basic, 16 join-only, 0 on-prem, 0 room; \
             5 pending (GET /users/summary)"
        ),
        "{report}"
    );
    // Every scope the tool can use is listed, granted or not, with what it unlocks.
    assert!(
        report.contains(
            "  user:read:summary:admin (classic apps: user:read:admin): granted; optional"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "  user:read:user:admin (classic apps: user:read:admin): not granted; optional"
        ),
        "{report}"
    );
    assert!(report.contains("connection ok"), "{report}");
}

/// With the report's scope, `check` reads one page of the sign-in report: readable, or not on a
/// plan without access (Zoom's code 200), which does not fail the check (the report is optional).
#[tokio::test(flavor = "multi_thread")]
async fn check_says_whether_the_sign_in_report_is_readable() {
    for (allowed, says) in [
        (true, "sign-in report: readable (GET /report/activities)"),
        (
            false,
            "sign-in report: not readable: Zoom does not let this account use `report/activities` \
             (code 200: \"No permission.\"): reports need a Pro plan or higher",
        ),
    ] {
        let mock = s2s_mock(|a| {
            a.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
            a.reports_allowed = allowed;
        })
        .await;
        let out = output(s2s(&mock, &["check"])).await;
        assert_succeeded(&out);
        let report = text(&out.stdout);
        assert!(report.contains(says), "{report}");
        assert!(
            report.contains(
                "  report:read:user_activities:admin (classic apps: report:read:admin): granted"
            ),
            "{report}"
        );
    }
    // Without the scope the report is not asked for.
    let mock = s2s_mock(|_| {}).await;
    let out = output(s2s(&mock, &["check"])).await;
    let report = text(&out.stdout);
    assert!(!report.contains("sign-in report:"), "{report}");
    assert!(mock.seen().activity_requests.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn check_names_a_wrong_secret_and_a_missing_scope() {
    let mock = s2s_mock(|_| {}).await;
    let mut cmd = s2s(&mock, &["check"]);
    cmd.env("ZOOM_CLIENT_SECRET", "wrong");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("client ID or client secret"),
        "{}",
        text(&out.stderr)
    );

    let mock = s2s_mock(|a| a.scopes = "meeting:read:list_meetings:admin".into()).await;
    let out = output(s2s(&mock, &["check"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).contains("NOT granted"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("Add the scope `user:read:list_users:admin`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn all_accounts_runs_the_active_ones_and_names_the_failed() {
    let good = s2s_mock(|_| {}).await;
    let work = tempfile::tempdir().unwrap();
    let account = good.account();
    let config = format!(
        r#"
[[account]]
name = "good"
account_id = "{id}"
client_id = "{client}"
client_secret_env = "GOOD_SECRET"
api_url = "{api}"
oauth_url = "{oauth}"

[[account]]
name = "paused"
active = false
account_id = "x"
client_id = "y"
client_secret_env = "NOT_SET_ANYWHERE"

[[account]]
name = "broken"
account_id = "{id}"
client_id = "{client}"
client_secret_env = "BROKEN_SECRET"
api_url = "{api}"
oauth_url = "{oauth}"
max_rps = 5
"#,
        id = account.account_id,
        client = account.client_id,
        api = good.api_url(),
        oauth = good.oauth_url()
    );
    std::fs::write(work.path().join("accounts.toml"), config).unwrap();
    let mut cmd = zoom_licenses();
    cmd.current_dir(work.path())
        .env_remove("ZOOM_ACCOUNT_ID")
        .env("GOOD_SECRET", &account.client_secret)
        .env("BROKEN_SECRET", "not-the-secret")
        .args(["extract", "--all-accounts", "--config", "accounts.toml"]);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The inactive account was not run: one of the two run failed.
    assert!(
        stderr.contains("1 of 2 accounts failed: broken") && stderr.contains("1 inactive skipped"),
        "{stderr}"
    );
    // The rejected secret is named by where it came from, not by ZOOM_CLIENT_SECRET.
    assert!(
        stderr.contains(
            "the environment variable BROKEN_SECRET (client_secret_env of [[account]] `broken`)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("ZOOM_CLIENT_SECRET"), "{stderr}");
    assert!(work.path().join("out/good/zoom_users.parquet").exists());
    assert!(
        work.path()
            .join("out/good/zoom_users_manifest.json")
            .exists()
    );
    assert!(!work.path().join("out/paused").exists());
    assert!(dir_entries(&work.path().join("out/broken")).is_empty());
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("out/accounts_manifest.json")).unwrap(),
    )
    .unwrap();
    let statuses: Vec<(&str, &str)> = summary["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [("good", "ok"), ("paused", "skipped"), ("broken", "failed")]
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("out/good/zoom_users_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["source"]["account_name"], "good");
    assert_eq!(manifest["run_id"], summary["run_id"]);
}

/// `check --account a --config PATH`.
async fn check_account_a(path: &Path) -> Output {
    let mut cmd = zoom_licenses();
    cmd.args(["check", "--account", "a", "--config"]).arg(path);
    output(cmd).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accounts_file_is_checked_strictly() {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("accounts.toml");
    std::fs::write(
        &path,
        "[[account]]\nname = \"a\"\naccount_id = \"x\"\nclient_id = \"y\"\nclient_secret_env = \"S\"\nmax_rsp = 3\n",
    )
    .unwrap();
    let out = check_account_a(&path).await;
    assert_eq!(out.status.code(), Some(2));
    // The unknown key is not echoed (it may be a pasted secret); its line and the keys expected,
    // `max_rps` among them, are enough to find the typo.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 6: unknown field `…`, expected one of `name`")
            && stderr.contains("`max_rps`"),
        "{stderr}"
    );
    assert!(!stderr.contains("max_rsp"), "{stderr}");

    std::fs::write(
        &path,
        "[[account]]\nname = \"a\"\naccount_id = \"x\"\nclient_id = \"y\"\nclient_secret = \"in-the-file\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = check_account_a(&path).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("chmod 600"),
            "{}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("in-the-file"));
    }

    // A file with no account at all is a mistake, not a green run that did nothing.
    std::fs::write(&path, "# no accounts yet\n").unwrap();
    let out = output({
        let mut cmd = zoom_licenses();
        cmd.args(["extract", "--all-accounts", "--config"])
            .arg(&path);
        cmd
    })
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lists no accounts"),
        "{}",
        text(&out.stderr)
    );
}

/// `auth` gives up after `--wait` seconds without a redirect or a pasted URL, saying what to do,
/// and stores nothing.
#[tokio::test(flavor = "multi_thread")]
async fn auth_gives_up_after_its_wait() {
    let setup = Setup::new(|_| {}).await;
    let mut cmd = setup.command(&["auth", "--no-browser", "--wait", "1"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Held open, never written: no URL is pasted.
    let stdin = child.stdin.take();
    let started = std::time::Instant::now();
    let output = wait_for(child).await;
    drop(stdin);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(started.elapsed() >= Duration::from_secs(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no answer within 1 s"), "{stderr}");
    assert!(
        stderr.contains("run `zoom-licenses auth` again"),
        "{stderr}"
    );
    assert!(!setup.token_file().exists());
}

/// Two runs sharing a token file refresh one after the other (the lock file): each spends the
/// refresh token the other saved, never the same one twice, so both succeed.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_refreshing_at_once_take_turns() {
    // Every run refreshes (tokens of 30 s are inside the renewal margin); the first refresh is
    // answered after 2 s, so the second run asks while the first is still waiting.
    let setup = Setup::new(|a| {
        a.token_ttl_secs = 30;
        a.refresh_delay = Duration::from_secs(2);
    })
    .await;
    setup.connect().await;
    let mut first = setup.command(&["extract", "--output", "a.parquet"]);
    let mut second = setup.command(&["extract", "--output", "b.parquet"]);
    let first = first
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = second
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (first, second) = tokio::join!(wait_for(first), wait_for(second));
    assert_succeeded(&first);
    assert_succeeded(&second);
    let seen = setup.mock.seen();
    assert_eq!(
        seen.refreshes, 2,
        "each run refreshed once, with a live refresh token"
    );
    // The second refresh waited for the first to be answered (2 s after it arrived).
    let turn = seen.refreshed_at[1] - seen.refreshed_at[0];
    assert!(
        turn >= Duration::from_millis(1_900),
        "refreshed {turn:?} apart"
    );
    let stored: serde_json::Value = json_file(setup.token_file());
    assert_eq!(
        stored["refresh_token"].as_str().unwrap(),
        seen.refresh_tokens_issued.last().unwrap()
    );
}

/// The secrets of the authorization-code flow (client secret, every access and refresh token Zoom
/// issued) appear in no output, log or error of auth, check, extract, a failed run or `--help`,
/// at trace level; only the token file holds them.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_of_the_authorization_code_flow_appears_anywhere() {
    let setup = Setup::new(|a| a.token_ttl_secs = 30).await;
    let (child, url, auth_stderr) = setup.start_auth().await;
    let browser = extractor::http::client_builder()
        .no_proxy()
        .build()
        .unwrap();
    browser.get(&url).send().await.unwrap();
    let auth = wait_for(child).await;
    assert!(auth.status.success());
    let mut said = vec![text(&auth.stdout), auth_stderr.join().unwrap()];
    let traced = |args: &[&str]| {
        let mut cmd = setup.command(args);
        cmd.env("RUST_LOG", "trace").stdin(Stdio::null());
        cmd
    };
    for args in [
        &["-vv", "check"][..],
        &[
            "-vv", "extract", "--format", "ndjson", "--output", "u.ndjson",
        ],
        &["extract", "--help"],
        &[
            "-vv",
            "extract",
            "--api-url",
            "http://127.0.0.1:9/v2",
            "--max-retries",
            "0",
        ],
    ] {
        let mut cmd = traced(args);
        let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        said.push(text(&output.stdout));
        said.push(text(&output.stderr));
    }
    // A failed refresh: the client secret is wrong.
    let mut wrong = traced(&["-vv", "check"]);
    wrong.env("ZOOM_CLIENT_SECRET", "wrong-secret");
    let output = tokio::task::spawn_blocking(move || wrong.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    said.push(text(&output.stdout));
    said.push(text(&output.stderr));
    for (path, bytes) in files_under(setup.work.path()) {
        if !path.starts_with("config") {
            said.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }

    let seen = setup.mock.seen();
    assert!(seen.refreshes >= 2, "the runs refreshed");
    let mut secrets = seen.tokens_issued.clone();
    secrets.extend(seen.refresh_tokens_issued.clone());
    secrets.push(setup.mock.account().client_secret);
    for secret in &secrets {
        for text in &said {
            assert!(!text.contains(secret.as_str()), "a secret in: {text}");
        }
    }
    assert!(
        said.iter().any(|t| t.contains("ZOOM_CLIENT_SECRET")),
        "--help was read"
    );
}

/// An `[[account]]` entry of the accounts file pointing at `mock`, its secret in `secret_env`.
fn account_entry(name: &str, mock: &MockZoom, secret_env: &str) -> String {
    let account = mock.account();
    format!(
        "[[account]]\nname = \"{name}\"\naccount_id = \"{}\"\nclient_id = \"{}\"\n\
         client_secret_env = \"{secret_env}\"\napi_url = \"{}\"\noauth_url = \"{}\"\n\n",
        account.account_id,
        account.client_id,
        mock.api_url(),
        mock.oauth_url()
    )
}

/// `--all-accounts` exits 0 when every active account succeeded, and 75 when every failure was
/// temporary (a daily limit hours away), so a scheduler retries only then.
#[tokio::test(flavor = "multi_thread")]
async fn all_accounts_exits_0_when_all_succeed_and_75_when_failures_are_temporary() {
    let (a, b) = (s2s_mock(|_| {}).await, s2s_mock(|_| {}).await);
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::hours(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let limited = MockZoom::start(
        Account::new(generated_users(40, 5, 5)),
        BTreeMap::from([(
            1,
            mock_zoom::Fault::DailyLimit {
                retry_after: tomorrow,
            },
        )]),
        Duration::ZERO,
    )
    .await;
    let secret = a.account().client_secret;
    for (entries, code, says) in [
        (vec![("a", &a), ("b", &b)], 0, None),
        (
            vec![("a", &a), ("limited", &limited)],
            75,
            Some("1 of 2 accounts failed: limited"),
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        let config: String = entries
            .iter()
            .map(|(name, mock)| account_entry(name, mock, "SHARED_SECRET"))
            .collect();
        std::fs::write(work.path().join("accounts.toml"), config).unwrap();
        let mut cmd = zoom_licenses();
        cmd.current_dir(work.path())
            .env_remove("ZOOM_ACCOUNT_ID")
            .env("SHARED_SECRET", &secret)
            .args(["extract", "--all-accounts", "--config", "accounts.toml"]);
        let out = output(cmd).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        if let Some(says) = says {
            assert!(stderr.contains(says), "{stderr}");
        }
        assert!(work.path().join("out/a/zoom_users.parquet").exists());
    }
}

/// `check --all-accounts` tests every active account of the file, one line each (the inactive one
/// not at all), and exits 1 naming the ones that failed; 0 when none did; 2 when none is active.
#[tokio::test(flavor = "multi_thread")]
async fn check_all_accounts_gives_one_line_per_active_account() {
    let (a, b) = (s2s_mock(|_| {}).await, s2s_mock(|_| {}).await);
    let secret = a.account().client_secret;
    let count = |mock: &MockZoom, status: &str| mock.account().users[status].len();
    let listed = |mock: &MockZoom| {
        format!(
            "users listed: {} active, {} pending, {} inactive (total_records of GET /users)",
            count(mock, "active"),
            count(mock, "pending"),
            count(mock, "inactive")
        )
    };
    let inactive = account_entry("legacy", &b, "SHARED_SECRET")
        .replace("[[account]]\n", "[[account]]\nactive = false\n");
    for (broken, code) in [(false, 0), (true, 1)] {
        let work = tempfile::tempdir().unwrap();
        let mut config = account_entry("a", &a, "SHARED_SECRET") + &inactive;
        config += &account_entry(
            "b",
            &b,
            if broken {
                "WRONG_SECRET"
            } else {
                "SHARED_SECRET"
            },
        );
        std::fs::write(work.path().join("accounts.toml"), config).unwrap();
        let mut cmd = zoom_licenses();
        cmd.current_dir(work.path())
            .env("SHARED_SECRET", &secret)
            .env("WRONG_SECRET", "not-the-secret")
            .args([
                "check",
                "--all-accounts",
                "--max-retries",
                "0",
                "--config",
                "accounts.toml",
            ]);
        let out = output(cmd).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{stdout}");
        assert_eq!(lines[0], format!("a: ok; {}", listed(&a)));
        match broken {
            false => assert_eq!(lines[1], format!("b: ok; {}", listed(&b))),
            true => {
                assert!(lines[1].starts_with("b: failed (exit 2): "), "{stdout}");
                // Only the inactive entry: nothing to check is a usage error, not a green run.
                std::fs::write(work.path().join("none.toml"), &inactive).unwrap();
                let mut cmd = zoom_licenses();
                cmd.current_dir(work.path()).args([
                    "check",
                    "--all-accounts",
                    "--config",
                    "none.toml",
                ]);
                let none = output(cmd).await;
                assert_eq!(none.status.code(), Some(2), "{}", text(&none.stderr));
                assert!(
                    stderr.contains("1 of 2 accounts failed the check: b"),
                    "{stderr}"
                );
                assert!(!stdout.contains("not-the-secret") && !stderr.contains("not-the-secret"));
            }
        }
    }
}

/// The API URL comes from the flag, then the account's own entry in the accounts file, then the
/// environment (a default for every account, warned about when the entry hides a different one):
/// shown by the API URL `check` uses (a dead loopback port where the winner must not be).
#[tokio::test(flavor = "multi_thread")]
async fn flags_beat_the_accounts_entry_which_beats_the_environment() {
    let mock = s2s_mock(|_| {}).await;
    let dead = "http://127.0.0.1:9/v2";
    let work = tempfile::tempdir().unwrap();
    let file_with = |api: &str| {
        let entry = account_entry("a", &mock, "A_SECRET").replace(&mock.api_url(), api);
        std::fs::write(work.path().join("accounts.toml"), entry).unwrap();
    };
    let check = |env_api: Option<&str>, flag_api: Option<&str>| {
        let mut cmd = zoom_licenses();
        cmd.current_dir(work.path())
            .env_remove("ZOOM_API_URL")
            .env("A_SECRET", mock.account().client_secret)
            .args([
                "check",
                "--max-retries",
                "0",
                "--account",
                "a",
                "--config",
                "accounts.toml",
            ]);
        if let Some(api) = env_api {
            cmd.env("ZOOM_API_URL", api);
        }
        if let Some(api) = flag_api {
            cmd.args(["--api-url", api]);
        }
        cmd.output().unwrap()
    };
    let api_line = |out: &Output| {
        let stdout = text(&out.stdout);
        stdout
            .lines()
            .find(|l| l.starts_with("api url:"))
            .unwrap_or_default()
            .to_string()
    };
    // The file alone.
    file_with(&mock.api_url());
    let out = check(None, None);
    assert_succeeded(&out);
    assert_eq!(
        api_line(&out),
        format!("api url:        {}/", mock.api_url())
    );
    // The account's own setting over the environment, with a warning naming both.
    let out = check(Some(dead), None);
    let stderr = assert_succeeded(&out);
    assert_eq!(
        api_line(&out),
        format!("api url:        {}/", mock.api_url())
    );
    assert!(
        stderr.contains("The account's own setting wins over the environment's.")
            && stderr.contains(&format!("ignored=ZOOM_API_URL={dead}")),
        "{stderr}"
    );
    // A variable that is not used is not checked, and one that could not be used (a URL with a
    // password) is never logged.
    let out = check(Some(""), None);
    assert_succeeded(&out);
    let out = check(Some("https://someone:hunter2@zoom.example/v2"), None);
    let stderr = assert_succeeded(&out);
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("wins over"),
        "{stderr}"
    );
    // The environment when the entry has no api_url.
    let entry = account_entry("a", &mock, "A_SECRET");
    let without: String = entry
        .lines()
        .filter(|l| !l.starts_with("api_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(work.path().join("accounts.toml"), without).unwrap();
    let out = check(Some(&mock.api_url()), None);
    let stderr = assert_succeeded(&out);
    assert!(!stderr.contains("wins over"), "{stderr}");
    let out = check(Some(dead), None);
    assert_eq!(out.status.code(), Some(75), "{}", text(&out.stderr));
    assert_eq!(api_line(&out), format!("api url:        {dead}/"));
    // The flag over both.
    file_with(dead);
    let out = check(Some(dead), Some(&mock.api_url()));
    assert_succeeded(&out);
    assert_eq!(
        api_line(&out),
        format!("api url:        {}/", mock.api_url())
    );
}

/// `max_rps` comes from the flag, else the accounts file, else the default of 10, shown by how long
/// the mock saw the same 11 requests take (lower bounds only: a busy machine can only slow them).
#[tokio::test(flavor = "multi_thread")]
async fn max_rps_comes_from_the_flag_then_the_file_then_the_default() {
    let span = |file_rps: Option<u32>, flag_rps: Option<&'static str>| async move {
        // 250 active users at 25 a page and one pending page: 11 requests.
        let mock = MockZoom::start(
            Account::new(generated_users(250, 1, 0)),
            BTreeMap::new(),
            Duration::ZERO,
        )
        .await;
        let work = tempfile::tempdir().unwrap();
        let mut entry = account_entry("a", &mock, "A_SECRET");
        if let Some(rps) = file_rps {
            entry.push_str(&format!("max_rps = {rps}\n"));
        }
        std::fs::write(work.path().join("accounts.toml"), entry).unwrap();
        let mut cmd = zoom_licenses();
        cmd.current_dir(work.path())
            .env("A_SECRET", mock.account().client_secret)
            .args(["-q", "extract", "--page-size", "25", "--account", "a"])
            .args(["--config", "accounts.toml"]);
        if let Some(rps) = flag_rps {
            cmd.args(["--max-rps", rps]);
        }
        let out = output(cmd).await;
        assert_succeeded(&out);
        let offsets = mock.seen().request_offsets;
        assert_eq!(offsets.len(), 11);
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(work.path().join("out/zoom_users_manifest.json")).unwrap(),
        )
        .unwrap();
        (
            offsets[10] - offsets[0],
            manifest["api"]["max_rps"].as_u64(),
        )
    };
    // 10 gaps at 4 a second take 2.5 s; at 10 a second 1 s; at 100 a second 0.1 s.
    // The manifest says which rate was used; the mock's clock shows it was kept.
    let (file, rps) = span(Some(4), None).await;
    assert_eq!(rps, Some(4));
    assert!(
        file >= Duration::from_millis(2_300),
        "the file's 4/s was not kept: {file:?}"
    );
    let (flag, rps) = span(Some(100), Some("4")).await;
    assert_eq!(rps, Some(4));
    assert!(
        flag >= Duration::from_millis(2_300),
        "the flag's 4/s was not kept: {flag:?}"
    );
    let (default, rps) = span(None, None).await;
    assert_eq!(rps, Some(10));
    assert!(
        default >= Duration::from_millis(900),
        "the default 10/s was not kept: {default:?}"
    );
}

/// `check --account a` with an accounts file (mode 0600) holding `toml`: its output and stderr.
fn check_with_accounts_file(toml: &str) -> (std::process::Output, String) {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("accounts.toml");
    std::fs::write(&path, toml).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = zoom_licenses()
        .current_dir(work.path())
        .args(["check", "--account", "a", "--config", "accounts.toml"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    (out, stderr)
}

/// An accounts file that does not parse says which line and what is wrong, never the line itself:
/// the client secret written in the file reaches no message, whatever the mistake.
#[test]
fn accounts_file_errors_never_print_a_secret() {
    let secret = "s3cr3t-Qz81";
    let head = "[[account]]\nname = \"a\"\naccount_id = \"x\"\nclient_id = \"y\"\n";
    let variants = [
        format!("{head}client_secrt = \"{secret}\"\n"),
        format!("{head}client_secret = \"{secret}\"\nactive = \"{secret}\"\n"),
        format!("{head}client_secret = \"{secret}\n"),
        format!("{head}client_secret = \"{secret}\"\nclient_secret = \"{secret}\"\n"),
        format!("{head}client_secret = {secret}\n"),
        format!("{head}max_rps = \"{secret}\"\nclient_secret_env = \"S\"\n"),
    ];
    for toml in variants {
        let (out, stderr) = check_with_accounts_file(&toml);
        assert_eq!(out.status.code(), Some(2), "{toml}: {stderr}");
        assert!(!stderr.contains(secret), "{toml}: {stderr}");
        assert!(stderr.contains("accounts.toml: line "), "{toml}: {stderr}");
    }
}

/// A secret pasted as a key of the accounts file (bare, quoted, or as a table's name) is not
/// echoed as the unknown key: the error keeps the line and the keys expected.
#[test]
fn an_unknown_key_of_the_accounts_file_is_not_echoed() {
    let secret = "s3cr3t-Qz81";
    let head = "[[account]]\nname = \"a\"\naccount_id = \"x\"\nclient_id = \"y\"\n";
    let variants = [
        (
            format!("{head}{secret} = \"S\"\n"),
            "line 5",
            "expected one of `name`, `active`",
        ),
        (
            format!("{head}\"{secret}\" = 1\n"),
            "line 5",
            "expected one of `name`, `active`",
        ),
        (
            format!("{head}client_secret_env = \"S\"\n[{secret}]\nx = 1\n"),
            "line 6",
            "expected `account`",
        ),
    ];
    for (toml, line, expected) in variants {
        let (out, stderr) = check_with_accounts_file(&toml);
        assert_eq!(out.status.code(), Some(2), "{toml}: {stderr}");
        assert!(!stderr.contains(secret), "{toml}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "accounts.toml: {line}: unknown field `…`, {expected}"
            )),
            "{toml}: {stderr}"
        );
    }
}

/// A damaged token file's error names the file and what is wrong, never a token nor an unknown
/// key; a token file others may read is refused as a permissions problem, with what to do.
#[test]
fn a_damaged_or_shared_token_file_shows_no_token() {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("token.json");
    let damaged =
        r#"{"version": "rt-9Kz4-SECRET", "client_id": "c", "access_token": "at-7Qx2-SECRET"}"#;
    std::fs::write(&path, damaged).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let run = || {
        zoom_licenses()
            .current_dir(work.path())
            .env_remove("ZOOM_ACCOUNT_ID")
            .env("ZOOM_CLIENT_SECRET", "x")
            .env("ZOOM_TOKEN_FILE", &path)
            .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
            .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9")
            .args(["check"])
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
    // A token pasted as a key: the error keeps where and what is expected, not the key.
    std::fs::write(&path, r#"{"version": 1, "rt-9Kz4-SECRET": "c"}"#).unwrap();
    let out = run();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
    assert!(
        stderr.contains("unknown field `…`, expected one of `version`, `client_id`"),
        "{stderr}"
    );
    assert!(stderr.contains("at line 1 column "), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = run();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        // A permissions problem, said as one, with the command that fixes it.
        assert!(!stderr.contains("damaged"), "{stderr}");
        assert!(
            stderr.contains("group or others may read or write it (mode 644)"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("run `chmod 600 {}`", path.display())),
            "{stderr}"
        );
        assert!(!stderr.contains("SECRET"), "{stderr}");
    }
}

/// An accounts file or token file that is a FIFO is refused at once (exit 2), not read for ever.
#[cfg(unix)]
#[test]
fn a_fifo_as_accounts_or_token_file_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for args in [
        vec!["check", "--config", "fifo", "--account", "a"],
        vec!["check", "--token-file", "fifo", "--client-id", "c"],
    ] {
        let output = zoom_licenses()
            .current_dir(work.path())
            .env_remove("ZOOM_ACCOUNT_ID")
            .env("ZOOM_CLIENT_SECRET", "s")
            .args(&args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{args:?}: {stderr}");
    }
}
