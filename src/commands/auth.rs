//! `zoom-licenses auth`: connects a Zoom account through an admin-managed OAuth app, the way admins
//! know it: authorize once in a browser, Zoom redirects to `http://localhost:PORT`, where this
//! command listens; or, when the browser cannot reach it, paste the redirected URL at the prompt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use extractor::auth::authcode::PendingAuthorization;
use extractor::auth::token::{AuthError, CredentialNames};
use extractor::{AuthCodeApp, USERS};

use reqwest::Url;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::accounts::{self, AccountEntry};
use crate::cli::AuthArgs;
use crate::config::token_file_or_default;
use run::exit::{self, Failure};

/// What the redirect brought back: its query (`code`, `state`, `error`, `error_description`).
type Redirect = HashMap<String, String>;

/// The redirect's answer, if the URL carries one (`code=` or `error=`).
fn redirect_of(url: &Url) -> Option<Redirect> {
    let query: Redirect = url.query_pairs().into_owned().collect();
    (query.contains_key("code") || query.contains_key("error")).then_some(query)
}

/// Runs `auth`: builds the app, brings the browser's authorization back, and stores its tokens.
pub async fn run(args: AuthArgs) -> Result<(), Failure> {
    let (app, redirect_uri, token_file) = app_from_args(&args)?;
    let (port, path) = listen_target(&redirect_uri)?;
    let pending = app.authorize().map_err(Failure::usage)?;
    let listener = listen(port).await;
    prompt(&pending.url, &redirect_uri, args.no_browser);
    let (redirect, browser) = await_redirect(listener, &path, port, args.wait).await?;
    let verdict = check_redirect(&redirect, &pending.state);
    if let Some(browser) = browser {
        answer_browser(browser, &verdict).await;
    }
    exchange_and_save(&app, pending, &verdict?, &token_file).await
}

/// The OAuth app, its redirect URL and token file: from flags or variables, else the accounts entry.
fn app_from_args(args: &AuthArgs) -> Result<(AuthCodeApp, String, PathBuf), Failure> {
    let connect = &args.connect;
    let entry = accounts::selected(&connect.config, &connect.account)?;
    let entry = entry.as_ref();
    let client_id = connect
        .client_id
        .clone()
        .or_else(|| entry.map(|e| e.client_id.clone()))
        .ok_or_else(|| {
            Failure::usage("set ZOOM_CLIENT_ID (--client-id): the OAuth app's client id")
        })?;
    let client_secret = match (&connect.client_secret, entry) {
        (Some(secret), _) => extractor::Secret::new(secret.clone()),
        (None, Some(entry)) => entry.secret()?,
        (None, None) => {
            return Err(Failure::usage(
                "set ZOOM_CLIENT_SECRET (--client-secret): the OAuth app's client secret",
            ));
        }
    };
    let redirect_uri = args.redirect_uri.clone()
        .or_else(|| entry.and_then(|e| e.redirect_uri.clone()))
        .ok_or_else(|| {
            Failure::usage(
                "set --redirect-uri (ZOOM_REDIRECT_URI) to the app's redirect URL, e.g. http://localhost:4199",
            )
        })?;
    let token_file = connect
        .token_file
        .clone()
        .or_else(|| entry.and_then(|e| e.token_file.clone()));
    let token_file = token_file_or_default(&token_file)?;
    // Where the client id and secret were set, for messages: a flag or variable beats the entry.
    let mut names = CredentialNames::default();
    if let Some(from_entry) = entry.map(AccountEntry::credential_names) {
        if connect.client_id.is_none() {
            names.client_id = from_entry.client_id;
        }
        if connect.client_secret.is_none() {
            names.client_secret = from_entry.client_secret;
        }
    }
    let app = AuthCodeApp {
        oauth_url: crate::config::oauth_url(connect, entry)?,
        client_id,
        client_secret,
        redirect_uri: Some(redirect_uri.clone()),
        names,
    };
    Ok((app, redirect_uri, token_file))
}

/// The listener for the browser's redirect; `None` (said so) when the port cannot be had.
async fn listen(port: u16) -> Option<TcpListener> {
    let bound = TcpListener::bind(("127.0.0.1", port)).await;
    if let Err(e) = &bound {
        note!(
            "zoom-licenses: cannot listen on 127.0.0.1:{port} ({e}); paste the redirected URL instead."
        );
    }
    bound.ok()
}

/// Shows the authorize URL (and opens a browser on it unless told not to), then what comes next.
fn prompt(url: &Url, redirect_uri: &str, no_browser: bool) {
    note!("Open this URL in a browser and approve the app:\n\n  {url}\n");
    if !no_browser && let Err(e) = open::that_detached(url.as_str()) {
        note!("zoom-licenses: could not open a browser ({e}); open the URL above yourself.");
    }
    note!(
        "Waiting for Zoom to send the browser to {redirect_uri} …\nIf the browser shows an error \
         page instead, paste the whole URL from its address bar here and press Enter:"
    );
}

/// The browser's redirect (with its connection) or a pasted one, whichever comes first in time.
async fn await_redirect(
    listener: Option<TcpListener>,
    path: &str,
    port: u16,
    wait_secs: u64,
) -> Result<(Redirect, Option<TcpStream>), Failure> {
    let listening = listener.is_some();
    let accepted = accept_redirect(listener, path);
    let pasted = read_pasted();
    let deadline = tokio::time::sleep(Duration::from_secs(wait_secs));
    tokio::pin!(accepted, pasted, deadline);
    let mut stdin_open = true;
    loop {
        tokio::select! {
            answer = &mut accepted => return Ok(answer),
            answer = &mut pasted, if stdin_open => match answer {
                Some(redirect) => return Ok((redirect, None)),
                None if listening => {
                    stdin_open = false;
                    note!("zoom-licenses: stdin is closed; waiting for the browser's redirect only.");
                }
                None => {
                    return Err(Failure::usage(format!(
                        "cannot listen on 127.0.0.1:{port} and stdin is closed, so neither the \
                         browser nor a paste can bring the authorization back: free the port, or \
                         run `zoom-licenses auth` in a terminal and paste the redirected URL"
                    )));
                }
            },
            () = &mut deadline => {
                return Err(Failure::failed_msg(format!(
                    "no answer within {wait_secs} s: run `zoom-licenses auth` again, approve the app in the \
                     browser, and paste the redirected URL if the browser cannot reach this machine"
                )));
            }
        }
    }
}

/// Answers the browser's redirect with a page saying whether the authorization arrived.
async fn answer_browser(mut browser: TcpStream, verdict: &Result<String, Failure>) {
    let page = match verdict {
        Ok(_) => "zoom-licenses received the authorization. You can close this window and return to the terminal.".to_string(),
        Err(f) => format!("zoom-licenses could not connect: {}", html_escape(&f.to_string())),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>zoom-licenses</title></head><body><p>{page}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = browser.write_all(response.as_bytes()).await;
    let _ = browser.shutdown().await;
}

/// Exchanges the code for tokens (following no redirects), saves them, and reports the scopes.
async fn exchange_and_save(
    app: &AuthCodeApp,
    pending: PendingAuthorization,
    code: &str,
    token_file: &Path,
) -> Result<(), Failure> {
    let stored = app
        .exchange(&oauth_http()?, pending, code)
        .await
        .map_err(|e| Failure {
            code: match e {
                AuthError::Rejected(_) => exit::USAGE,
                AuthError::Unavailable(_) | AuthError::Unreachable(_) => exit::TEMPORARY,
            },
            error: anyhow::anyhow!("cannot exchange the authorization code: {e}"),
        })?;
    stored.save(token_file).map_err(Failure::failed)?;
    note!(
        "Connected. Tokens saved to {} (mode 0600); scopes: {}.",
        token_file.display(),
        stored.scopes.join(" ")
    );
    if !USERS.granted_by(&stored.scopes) {
        note!(
            "Warning: the app was not granted {}; add it under Scopes in the Zoom App \
             Marketplace and run `zoom-licenses auth` again, or extracts will fail.",
            USERS.scopes[0]
        );
    }
    note!("Next: `zoom-licenses check` tests the connection.");
    Ok(())
}

/// A client for Zoom's OAuth endpoints: one that follows no redirects.
pub fn oauth_http() -> Result<reqwest::Client, Failure> {
    extractor::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(Failure::failed_msg)
}

/// The port and path to listen on for `http://localhost:PORT[/path]`.
fn listen_target(redirect_uri: &str) -> Result<(u16, String), Failure> {
    let url = Url::parse(redirect_uri)
        .map_err(|e| Failure::usage(format!("--redirect-uri \"{redirect_uri}\": {e}")))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1"));
    match (url.scheme(), local, url.port()) {
        ("http", true, Some(0)) => Err(Failure::usage(format!(
            "--redirect-uri \"{redirect_uri}\": port 0 is not a port Zoom can redirect to; use the \
             port registered in the Zoom app, e.g. http://localhost:4199"
        ))),
        ("http", true, Some(port)) => Ok((port, url.path().to_string())),
        _ => Err(Failure::usage(format!(
            "--redirect-uri \"{redirect_uri}\" must be http://localhost:PORT[/path] (with the port), \
             exactly as registered in the Zoom app"
        ))),
    }
}

/// How long a connection to the listener may take to send its request head: a browser's idle
/// pre-connect is dropped after this, and blocks nothing meanwhile.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the redirect URL's path on the listener until a request with `code` or `error` arrives;
/// returns it with the connection, to answer once it is checked. Each connection is served in its
/// own task, so one that sends nothing cannot hold up the next.
async fn accept_redirect(
    listener: Option<TcpListener>,
    path: &str,
) -> (Redirect, Option<TcpStream>) {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    let (found, mut arrived) = tokio::sync::mpsc::channel(1);
    loop {
        tokio::select! {
            Some((redirect, stream)) = arrived.recv() => return (redirect, Some(stream)),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors, say: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let (found, path) = (found.clone(), path.to_owned());
                tokio::spawn(async move {
                    let served = tokio::time::timeout(REQUEST_HEAD_TIMEOUT, serve(stream, &path));
                    if let Ok(Some(redirect)) = served.await {
                        let _ = found.send(redirect).await;
                    }
                });
            }
        }
    }
}

/// Reads one request head: the redirect with its connection, or `None` once a 404 is answered.
async fn serve(mut stream: TcpStream, path: &str) -> Option<(Redirect, TcpStream)> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut len = 0;
    while len < buf.len() {
        match stream.read(&mut buf[len..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let target = head
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/");
    let redirect = Url::parse(&format!("http://localhost{target}"))
        .ok()
        .filter(|url| url.path() == path)
        .and_then(|url| redirect_of(&url));
    match redirect {
        Some(redirect) => Some((redirect, stream)),
        None => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            None
        }
    }
}

/// Reads pasted lines until one is a redirected URL; `None` when stdin closes first.
async fn read_pasted() -> Option<Redirect> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match Url::parse(line).ok().and_then(|url| redirect_of(&url)) {
            Some(redirect) => return Some(redirect),
            None => note!(
                "That is not the redirected URL (it has no code= or error=); paste the whole address \
                 from the browser's address bar:"
            ),
        }
    }
    None
}

/// The code, once the redirect is checked: state first, then Zoom's error, then the code.
fn check_redirect(redirect: &Redirect, expected_state: &str) -> Result<String, Failure> {
    if redirect.get("state").map(String::as_str) != Some(expected_state) {
        return Err(Failure::failed_msg(
            "the redirect's state does not match this authorization (it comes from an older or \
             foreign attempt, or was tampered with); nothing was stored. Run `zoom-licenses auth` again.",
        ));
    }
    if let Some(error) = redirect.get("error") {
        let why = match error.as_str() {
            "access_denied" => "the authorization was denied in the browser".to_string(),
            other => format!("Zoom answered error={other}"),
        };
        let detail = redirect
            .get("error_description")
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(Failure::failed_msg(format!(
            "{why}{detail}; nothing was stored. Run `zoom-licenses auth` again and approve the app."
        )));
    }
    redirect
        .get("code")
        .cloned()
        .ok_or_else(|| Failure::failed_msg("the redirect carries no code"))
}

/// The text, safe to put inside an HTML element.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_target_needs_localhost_and_a_port() {
        assert_eq!(
            listen_target("http://localhost:4199").unwrap(),
            (4199, "/".into())
        );
        assert_eq!(
            listen_target("http://127.0.0.1:8080/zoom/callback").unwrap(),
            (8080, "/zoom/callback".into())
        );
        assert!(listen_target("http://localhost/cb").is_err());
        assert!(listen_target("http://localhost:0/cb").is_err());
        assert!(listen_target("https://example.com:443/cb").is_err());
    }

    #[test]
    fn state_is_checked_before_anything_else() {
        let url = Url::parse("http://localhost:1/?code=c&state=other").unwrap();
        let redirect = redirect_of(&url).unwrap();
        assert!(check_redirect(&redirect, "mine").is_err());
        let url = Url::parse("http://localhost:1/?error=access_denied&state=mine").unwrap();
        let err = check_redirect(&redirect_of(&url).unwrap(), "mine").unwrap_err();
        assert!(err.to_string().contains("denied"));
        let url = Url::parse("http://localhost:1/?code=c&state=mine").unwrap();
        assert_eq!(
            check_redirect(&redirect_of(&url).unwrap(), "mine").unwrap(),
            "c"
        );
        assert!(redirect_of(&Url::parse("http://localhost:1/?x=1").unwrap()).is_none());
    }
}
