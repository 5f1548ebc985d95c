//! Redirects are never followed (design.md: "HTTP clients never follow redirects on token
//! requests"; docs/usage.md: "Redirects are never followed"): a redirect could carry the client
//! secret or a token to another host. A stand-in server on 127.0.0.1 answers 302 to a second
//! listener, which must receive nothing, while the run fails saying what happened.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A listener on 127.0.0.1 that keeps the head of every request it receives and answers each
/// with `answer` (given its own port, so it can point elsewhere).
struct Listener {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    connections: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    async fn start(answer: String) -> Listener {
        let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let task = tokio::spawn({
            let (heads, connections) = (heads.clone(), connections.clone());
            async move {
                while let Ok((mut stream, _)) = socket.accept().await {
                    *connections.lock().unwrap() += 1;
                    let (heads, answer) = (heads.clone(), answer.clone());
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") {
                            match stream.read(&mut byte).await {
                                Ok(1) => head.push(byte[0]),
                                _ => return,
                            }
                        }
                        heads
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&head).into_owned());
                        let _ = stream.write_all(answer.as_bytes()).await;
                        let _ = stream.shutdown().await;
                    });
                }
            }
        });
        Listener {
            port,
            heads,
            connections,
            task,
        }
    }

    /// A listener that should never be reached: it answers a token and an empty page, so a
    /// client that followed a redirect to it would carry on as if nothing happened.
    async fn decoy() -> Listener {
        let body = r#"{"access_token":"decoy","token_type":"bearer","expires_in":3599,"scope":"user:read:list_users:admin","next_page_token":"","total_records":0,"users":[]}"#;
        Listener::start(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ))
        .await
    }

    /// A listener answering every request with `status` and a `Location` on `to`'s port (the same
    /// path and query: a server moved).
    async fn redirecting(status: u16, to: &Listener, path: &str) -> Listener {
        Listener::start(format!(
            "HTTP/1.1 {status} Moved\r\nLocation: http://127.0.0.1:{}{path}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            to.port
        ))
        .await
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

/// The command for an extract with few retries (a redirect is not worth many), writing into `out`.
fn extract(cmd: &mut assert_cmd::Command, out: &std::path::Path) {
    cmd.args([
        "extract",
        "--max-retries",
        "1",
        "--retry-min-delay-ms",
        "10",
    ])
    .args(["--format", "ndjson", "--output"])
    .arg(out.join("u.ndjson"));
}

/// What a run against a redirecting server showed: its exit code and stderr, the heads of the
/// requests the redirecting server got, and what reached the listener it pointed to.
struct Redirected {
    code: Option<i32>,
    stderr: String,
    asked: Vec<String>,
    reached: (usize, Vec<String>),
    wrote: Vec<String>,
}

/// An extract whose token endpoint answers `status` with a `Location` on another listener.
async fn token_endpoint_redirecting(status: u16) -> Redirected {
    let decoy = Listener::decoy().await;
    let oauth = Listener::redirecting(status, &decoy, "/oauth/token").await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = zoom_licenses();
    cmd.env("ZOOM_ACCOUNT_ID", "acct")
        .env("ZOOM_CLIENT_ID", "client")
        .env("ZOOM_CLIENT_SECRET", SECRET)
        .env("ZOOM_OAUTH_URL", format!("http://127.0.0.1:{}", oauth.port))
        .env(
            "ZOOM_API_URL",
            format!("http://127.0.0.1:{}/v2", decoy.port),
        );
    extract(&mut cmd, out.path());
    let output = run_blocking(cmd).await;
    Redirected {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        asked: oauth.heads(),
        reached: (decoy.connections(), decoy.heads()),
        wrote: dir_entries(out.path()),
    }
}

/// An extract with good tokens from `mock` whose API answers `status` with a `Location` on
/// another listener.
async fn api_redirecting(mock: &MockZoom, status: u16) -> Redirected {
    let decoy = Listener::decoy().await;
    let api = Listener::redirecting(status, &decoy, "/v2/users").await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(mock);
    cmd.env("ZOOM_API_URL", format!("http://127.0.0.1:{}/v2", api.port));
    extract(&mut cmd, out.path());
    let output = run_blocking(cmd).await;
    Redirected {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        asked: api.heads(),
        reached: (decoy.connections(), decoy.heads()),
        wrote: dir_entries(out.path()),
    }
}

/// The client secret of the token-endpoint runs.
const SECRET: &str = "s3cret-not-to-travel";

/// The redirects tried: the usual one, and one that keeps the method and body.
const STATUSES: [u16; 2] = [302, 307];

/// A mock Zoom of a few users, for good tokens.
/// That the redirect reached nobody, and the run failed naming its status and wrote nothing.
#[track_caller]
fn assert_not_followed(run: &Redirected, status: u16) {
    assert_eq!(
        run.reached,
        (0, vec![]),
        "{status}: the redirect was followed"
    );
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("HTTP {status}")),
        "{status}: {}",
        run.stderr
    );
    assert!(run.wrote.is_empty(), "{status}: wrote {:?}", run.wrote);
}

async fn small_mock() -> MockZoom {
    let users = generated_users(3, 1, 0);
    MockZoom::start(Account::new(users), BTreeMap::new(), Duration::ZERO).await
}

/// The token request (the client secret in its Basic header) answered by a 302 or 307 to another
/// listener: nothing reaches that listener, and the run fails naming the HTTP status, writing
/// nothing and never showing the secret.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    for status in STATUSES {
        let run = token_endpoint_redirecting(status).await;
        assert!(
            run.asked
                .first()
                .is_some_and(|h| h.starts_with("POST /oauth/token")
                    && h.to_ascii_lowercase().contains("authorization: basic ")),
            "{status}: the token endpoint was not asked: {:?}",
            run.asked
        );
        assert_not_followed(&run, status);
        assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    }
}

/// An API request (the bearer token in its Authorization header) answered by a 302 or 307 to
/// another listener: nothing reaches that listener, and the run fails naming the HTTP status,
/// writing nothing and never showing the token.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_from_the_api_is_not_followed() {
    let mock = small_mock().await;
    for status in STATUSES {
        let run = api_redirecting(&mock, status).await;
        assert!(
            run.asked.iter().any(|h| h.starts_with("GET /v2/users")
                && h.to_ascii_lowercase().contains("authorization: bearer ")),
            "{status}: the API was not asked with a token: {:?}",
            run.asked
        );
        assert_not_followed(&run, status);
        for token in mock.seen().tokens_issued {
            assert!(!run.stderr.contains(&token), "{}", run.stderr);
        }
    }
}

/// The failure says it was a redirect, not followed, and which URL flag to check (it once read
/// "Zoom's token endpoint refused the credentials (HTTP 302)", sending the user to their
/// credentials, and "Zoom refused the request: HTTP 302, code 0: ").
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_reported_as_a_redirect_with_the_url_to_check() {
    let mock = small_mock().await;
    for status in STATUSES {
        for (run, flag) in [
            (token_endpoint_redirecting(status).await, "--oauth-url"),
            (api_redirecting(&mock, status).await, "--api-url"),
        ] {
            let said = run.stderr.to_lowercase();
            assert!(said.contains("redirect"), "{status}: {}", run.stderr);
            assert!(run.stderr.contains(flag), "{status}: {}", run.stderr);
            assert!(!said.contains("credentials"), "{status}: {}", run.stderr);
        }
    }
}
