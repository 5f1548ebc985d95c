//! No secret value the process knows (the client secret, the Basic header values built from it,
//! access and refresh tokens) reaches stderr, text or JSON logs, stdout or a file, in whatever
//! shape a server echoes it; and the files that hold secrets are described without their text.
//!
//! The echoes come from a small stand-in for Zoom on 127.0.0.1 written here, since each shape is
//! the server's choice of words; the mock's own `Fault::Echo` only says `Bearer <token>`.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CLIENT_ID: &str = "it-client-id";
/// Chosen so that the Basic value has padding, a `+` and a `/` (checked in [`forbidden`]): its
/// unpadded and URL-safe forms then differ from it.
const CLIENT_SECRET: &str = "it-s3cret-?ab~cd";
const ACCESS_TOKEN: &str = "at-opaque-Lm83Qa19Zx44";
const REFRESH_TOKEN: &str = "rt-opaque-Vn27Kp60Wd15";
/// Starts every echoed message, so a test can tell the echo was shown (redacted), not dropped.
const MARKER: &str = "echo-marker";

/// A request as the stand-in saw it.
struct Seen {
    path: String,
    authorization: String,
}

type Respond = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

/// Serves `respond` on 127.0.0.1 (one request per connection); returns `http://127.0.0.1:PORT`.
async fn stand_in(respond: Respond) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut chunk = [0u8; 4096];
                // The head, then as much body as it announces (read, so closing resets nothing).
                let head_end = loop {
                    if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                while data.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => data.extend_from_slice(&chunk[..n]),
                    }
                }
                let seen = Seen {
                    path: head.split(' ').nth(1).unwrap_or_default().to_string(),
                    authorization: header("authorization"),
                };
                let (status, body) = respond(&seen);
                let response = format!(
                    "HTTP/1.1 {status} Echo\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// A shape a server may echo a credential in: its name, and the text for (scheme, value).
type Shape = (&'static str, fn(&str, &str) -> String);

/// Every shape the hostile tester found (issue 24), and re-encodings of the value.
const SHAPES: &[Shape] = &[
    ("header", |s, v| format!("Authorization: {s} {v}")),
    ("json", |s, v| format!(r#"{{"authorization": "{s} {v}"}}"#)),
    ("tab", |s, v| format!("{s}\t{v}")),
    ("newline", |s, v| format!("{s}\n{v}")),
    ("two spaces", |s, v| format!("{s}  {v}")),
    ("colon", |s, v| format!("{s}:{v}")),
    ("alone", |_, v| v.to_string()),
    ("quoted", |_, v| format!("'{v}',")),
    ("unpadded", |_, v| v.trim_end_matches('=').to_string()),
    ("url-safe", |_, v| v.replace('+', "-").replace('/', "_")),
    ("url-safe unpadded", |_, v| {
        v.trim_end_matches('=').replace('+', "-").replace('/', "_")
    }),
    ("url-encoded", |s, v| {
        format!("authorization={s}%20{}", percent_encoded(v))
    }),
];

/// `value` as a form or query string writes it (the characters of base64 and of the secrets
/// here).
fn percent_encoded(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
        .replace('?', "%3F")
        .replace('~', "%7E")
}

/// Every text that would give a secret away, computed here: the secrets, and the Basic header
/// values in each base64 alphabet, padded or not, of `id:secret` and of its form-encoded pair
/// (which oauth2 sends), each also percent-encoded.
fn forbidden() -> Vec<String> {
    let pairs = [
        format!("{CLIENT_ID}:{CLIENT_SECRET}"),
        format!("{CLIENT_ID}:{}", percent_encoded(CLIENT_SECRET)),
    ];
    let standard = STANDARD.encode(&pairs[0]);
    assert!(
        standard.ends_with('=') && standard.contains('+') && standard.contains('/'),
        "the secret no longer gives a Basic value that each encoding changes: {standard}"
    );
    let mut texts = vec![
        CLIENT_SECRET.to_string(),
        ACCESS_TOKEN.to_string(),
        REFRESH_TOKEN.to_string(),
    ];
    for pair in &pairs {
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            texts.push(engine.encode(pair));
        }
    }
    let encoded: Vec<String> = texts.iter().map(|t| percent_encoded(t)).collect();
    texts.extend(encoded);
    texts
}

/// Fails unless the run failed, showed the echo (`MARKER`), and no forbidden text is in its
/// stdout, its stderr, or a file under `work` but the token file.
fn assert_nothing_leaked(what: &str, output: &Output, work: &Path) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{what}: {stderr}");
    assert!(
        stderr.contains(MARKER),
        "{what}: the echo was not shown: {stderr}"
    );
    let mut said = vec![
        ("stderr".to_string(), stderr.to_string()),
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
    ];
    for (path, bytes) in files_under(work) {
        if path != Path::new("token.json") {
            said.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    for secret in forbidden() {
        for (place, text) in &said {
            assert!(
                !text.contains(&secret),
                "{what}: `{secret}` in {place}: {text}"
            );
        }
    }
}

/// A server-to-server extract against `base`, recording and writing files into `work`, at
/// trace level, text or JSON logs.
fn extract(base: &str, work: &Path, json: bool) -> assert_cmd::Command {
    let mut cmd = zoom_licenses();
    cmd.current_dir(work)
        .env("ZOOM_ACCOUNT_ID", "it-account")
        .env("ZOOM_CLIENT_ID", CLIENT_ID)
        .env("ZOOM_CLIENT_SECRET", CLIENT_SECRET)
        .env("ZOOM_API_URL", format!("{base}/v2"))
        .env("ZOOM_OAUTH_URL", base)
        .env("RUST_LOG", "trace")
        .args(["-vv", "extract", "--max-retries", "0", "--record", "rec"])
        .args(["--format", "ndjson", "--output", "out/u.ndjson"])
        .args(["--log-format", if json { "json" } else { "text" }]);
    cmd
}

/// The scheme and value of an `Authorization` header.
fn credential(seen: &Seen) -> (String, String) {
    let (scheme, value) = seen.authorization.split_once(' ').unwrap_or_default();
    (scheme.to_string(), value.to_string())
}

/// A granted token, as the token endpoint of a server-to-server app answers.
fn granted() -> (u16, String) {
    let body = serde_json::json!({
        "access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600,
        "scope": "user:read:list_users:admin",
    });
    (200, body.to_string())
}

/// Runs one extract per shape and log format against a stand-in answering with `respond`
/// (given the shape), and checks that nothing leaked.
async fn every_shape_redacted(
    credential_name: &str,
    respond: impl Fn(Shape) -> Respond,
    extra: &[(&str, Respond)],
) {
    let mut cases: Vec<(String, Respond)> = SHAPES
        .iter()
        .map(|shape| (shape.0.to_string(), respond(*shape)))
        .collect();
    cases.extend(extra.iter().map(|(n, r)| (n.to_string(), r.clone())));
    for (name, respond) in cases {
        let base = stand_in(respond).await;
        for json in [false, true] {
            let work = tempfile::tempdir().unwrap();
            let output = run_blocking(extract(&base, work.path(), json)).await;
            let what = format!("{credential_name} {name}, json logs {json}");
            assert_nothing_leaked(&what, &output, work.path());
        }
    }
}

/// The token endpoint echoes the Basic header it was sent, in every shape, as the reason of an
/// `invalid_client` refusal; and as a value of a token response it cannot read, whose message
/// does not go through the filter for a server's text, only through the final print and the
/// log writer.
#[tokio::test(flavor = "multi_thread")]
async fn an_echoed_basic_header_is_redacted_in_every_shape() {
    let refused = |shape: Shape| -> Respond {
        Arc::new(move |seen: &Seen| {
            let (scheme, value) = credential(seen);
            assert_eq!(
                value,
                STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
            );
            let reason = format!("{MARKER} {}", (shape.1)(&scheme, &value));
            let body = serde_json::json!({"error": "invalid_client", "reason": reason});
            (400, body.to_string())
        })
    };
    let unreadable: Respond = Arc::new(|seen: &Seen| {
        let (_, value) = credential(seen);
        let body = serde_json::json!({
            "access_token": ACCESS_TOKEN, "expires_in": format!("{MARKER} {value}"),
        });
        (200, body.to_string())
    });
    every_shape_redacted(
        "Basic",
        refused,
        &[("unreadable token response", unreadable)],
    )
    .await;
}

/// The client secret itself, echoed raw by the token endpoint in every shape.
#[tokio::test(flavor = "multi_thread")]
async fn an_echoed_client_secret_is_redacted_in_every_shape() {
    let refused = |shape: Shape| -> Respond {
        Arc::new(move |_: &Seen| {
            let reason = format!("{MARKER} {}", (shape.1)("secret", CLIENT_SECRET));
            let body = serde_json::json!({"error": "invalid_client", "reason": reason});
            (400, body.to_string())
        })
    };
    every_shape_redacted("client secret", refused, &[]).await;
}

/// The API echoes the access token it was sent, in every shape, in a Zoom error message; and in
/// a page it cannot read (a 200 whose field has the wrong type), whose message goes through the
/// final print and the log writer only.
#[tokio::test(flavor = "multi_thread")]
async fn an_echoed_access_token_is_redacted_in_every_shape() {
    let refused = |shape: Shape| -> Respond {
        Arc::new(move |seen: &Seen| {
            if seen.path.starts_with("/oauth/token") {
                return granted();
            }
            let (scheme, value) = credential(seen);
            assert_eq!((scheme.as_str(), value.as_str()), ("Bearer", ACCESS_TOKEN));
            let message = format!("{MARKER} {}", (shape.1)(&scheme, &value));
            let body = serde_json::json!({"code": 200, "message": message});
            (403, body.to_string())
        })
    };
    let unreadable: Respond = Arc::new(|seen: &Seen| {
        if seen.path.starts_with("/oauth/token") {
            return granted();
        }
        let (_, value) = credential(seen);
        let body = serde_json::json!({
            "page_count": 1, "page_number": 1, "page_size": 300, "total_records": 1,
            "next_page_token": "", "users": format!("{MARKER} {value}"),
        });
        (200, body.to_string())
    });
    every_shape_redacted("access token", refused, &[("unreadable page", unreadable)]).await;
}

/// An authorization-code app refreshing the tokens of its token file: the token endpoint echoes
/// the stored refresh token and access token, and the Basic header oauth2 sent (its id and
/// secret form-encoded first), in every shape, in a body that is not an OAuth error.
#[tokio::test(flavor = "multi_thread")]
async fn echoed_tokens_of_the_token_file_and_oauth2s_basic_header_are_redacted() {
    for shape in SHAPES {
        let respond: Respond = Arc::new(move |seen: &Seen| {
            let (scheme, value) = credential(seen);
            let reason = format!(
                "{MARKER} {} {} {}",
                (shape.1)(&scheme, &value),
                (shape.1)("refresh", REFRESH_TOKEN),
                (shape.1)("access", ACCESS_TOKEN),
            );
            (400, serde_json::json!({ "reason": reason }).to_string())
        });
        let base = stand_in(respond).await;
        for json in [false, true] {
            let work = tempfile::tempdir().unwrap();
            let token_file = work.path().join("token.json");
            let stored = serde_json::json!({
                "version": 1, "client_id": CLIENT_ID, "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN, "expires_at": "2020-01-01T00:00:00Z",
                "scopes": ["user:read:list_users:admin"], "obtained_at": "2020-01-01T00:00:00Z",
            });
            write_private(&token_file, &stored.to_string());
            let mut cmd = extract(&base, work.path(), json);
            cmd.env_remove("ZOOM_ACCOUNT_ID")
                .env("ZOOM_TOKEN_FILE", &token_file);
            let output = run_blocking(cmd).await;
            let what = format!("refresh {}, json logs {json}", shape.0);
            assert_nothing_leaked(&what, &output, work.path());
        }
    }
}

/// Writes `text` to `path` with mode 0600, as a file of secrets must be.
fn write_private(path: &Path, text: &str) {
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// A page Zoom sends whole and readable, but with the access token it was sent echoed in a
/// user's field: the recorded page on disk holds no token (the row itself keeps what Zoom sent).
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_page_echoing_the_access_token_keeps_no_token_on_disk() {
    let respond: Respond = Arc::new(|seen: &Seen| {
        if seen.path.starts_with("/oauth/token") {
            return granted();
        }
        let (_, value) = credential(seen);
        let user = serde_json::json!({"id": "u1", "email": "a@example.com", "type": 2,
                                      "status": "active", "dept": format!("{MARKER} {value}")});
        let body = serde_json::json!({
            "page_count": 1, "page_number": 1, "page_size": 300, "total_records": 1,
            "next_page_token": "", "users": [user],
        });
        (200, body.to_string())
    });
    let base = stand_in(respond).await;
    let work = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&base, work.path(), false)).await;
    assert_succeeded(&output);
    let recorded = files_under(&work.path().join("rec"));
    assert!(recorded.len() > 1, "nothing was recorded");
    for (path, bytes) in recorded {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(ACCESS_TOKEN), "{}: {text}", path.display());
    }
}

/// A run over the accounts of a file keeps each failed account's error in its accounts manifest:
/// an echoed credential there is redacted too (the token endpoint echoes the Basic header and
/// the secret, in a response whose field it cannot read, which no filter of a server's text sees).
#[tokio::test(flavor = "multi_thread")]
async fn an_echo_in_a_failed_accounts_error_is_redacted_in_its_manifest() {
    let respond: Respond = Arc::new(|seen: &Seen| {
        let (_, value) = credential(seen);
        let body = serde_json::json!({
            "access_token": ACCESS_TOKEN,
            "expires_in": format!("{MARKER} {value} {CLIENT_SECRET}"),
        });
        (200, body.to_string())
    });
    let base = stand_in(respond).await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("accounts.toml"),
        format!(
            "[[account]]\nname = \"one\"\naccount_id = \"it-account\"\nclient_id = \
             \"{CLIENT_ID}\"\nclient_secret_env = \"ONE_SECRET\"\napi_url = \"{base}/v2\"\n\
             oauth_url = \"{base}\"\n"
        ),
    )
    .unwrap();
    let mut cmd = zoom_licenses();
    cmd.current_dir(work.path())
        .env("ONE_SECRET", CLIENT_SECRET)
        .args(["extract", "--config", "accounts.toml", "--all-accounts"])
        .args(["--max-retries", "0", "--output-dir", "out"])
        .args(["--partition-date", "2026-12-01"]);
    let output = run_blocking(cmd).await;
    let manifest = work
        .path()
        .join("out/zoom_users/dt=2026-12-01/_accounts_manifest.json");
    let kept = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        kept.contains(MARKER),
        "the error is not in the manifest: {kept}"
    );
    assert_nothing_leaked("accounts manifest", &output, work.path());
}
