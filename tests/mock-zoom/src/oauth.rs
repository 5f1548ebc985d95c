//! The OAuth endpoints: the server-to-server grant, the authorization code flow with rotating
//! refresh tokens, and revocation.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::account::Account;
use crate::http::Request;
use crate::server::State;

pub(crate) fn token(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    state.seen.token_requests += 1;
    let account = App::of(&state.account);
    let expected = basic_auth(&account);
    if request.query.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return (
            400,
            json!({"reason": "unsupported grant type", "error": "unsupported_grant_type"}),
        );
    }
    if request.headers.get("authorization") != Some(&expected) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
        );
    }
    if request.query.get("account_id") != Some(&account.account_id) {
        return (
            400,
            json!({"reason": "Invalid account_id", "error": "invalid_request"}),
        );
    }
    let token = issue_access_token(&mut state);
    (
        200,
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": account.token_ttl_secs,
            "scope": account.scopes,
            "api_url": "https://api.zoom.us"
        }),
    )
}

/// What the OAuth routes read of the account: cloned per request instead of the whole account,
/// whose users, events and meetings take most of a second to clone at 100k users.
struct App {
    account_id: String,
    client_id: String,
    client_secret: String,
    redirect_uri: Option<String>,
    scopes: String,
    token_ttl_secs: u64,
    refresh_delay: Duration,
    deny_consent: bool,
}

impl App {
    fn of(account: &Account) -> App {
        App {
            account_id: account.account_id.clone(),
            client_id: account.client_id.clone(),
            client_secret: account.client_secret.clone(),
            redirect_uri: account.redirect_uri.clone(),
            scopes: account.scopes.clone(),
            token_ttl_secs: account.token_ttl_secs,
            refresh_delay: account.refresh_delay,
            deny_consent: account.deny_consent,
        }
    }
}

fn basic_auth(account: &App) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", account.client_id, account.client_secret))
    )
}

fn issue_access_token(state: &mut State) -> String {
    let n = state.seen.tokens_issued.len() + 1;
    let token = format!("mock-access-token-{n}-eyJhbGciOiJIUzUxMiJ9");
    state.valid_tokens.insert(token.clone());
    state.seen.tokens_issued.push(token.clone());
    token
}

/// `GET /oauth/authorize`: checks the request like Zoom, then redirects to the app's redirect URL
/// with a code (or `error=access_denied` when consent is denied).
pub(crate) fn authorize(
    request: &Request,
    state: &Mutex<State>,
) -> (u16, Vec<(&'static str, String)>, String) {
    let mut state = state.lock().expect("mock state");
    let account = App::of(&state.account);
    let q = &request.query;
    let problem = if q.get("response_type").map(String::as_str) != Some("code") {
        Some("response_type must be code")
    } else if q.get("client_id") != Some(&account.client_id) {
        Some("Invalid client_id")
    } else if q.get("redirect_uri") != account.redirect_uri.as_ref() {
        Some("4709 Redirect URI mismatch")
    } else if q.contains_key("scope") {
        Some("Invalid scopes")
    } else if q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || !q.contains_key("code_challenge")
    {
        Some("PKCE S256 challenge required by this mock")
    } else {
        None
    };
    if let Some(problem) = problem {
        return (400, vec![], format!("<html><body>{problem}</body></html>"));
    }
    let redirect = account.redirect_uri.clone().unwrap_or_default();
    let app_state = q.get("state").cloned().unwrap_or_default();
    let mut location = url::Url::parse(&redirect).expect("redirect uri");
    if account.deny_consent {
        location
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &app_state);
    } else {
        let code = format!("authcode{}", state.codes.len() + 1);
        state.codes.insert(
            code.clone(),
            (q["code_challenge"].clone(), redirect.clone()),
        );
        location
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &app_state);
    }
    (302, vec![("Location", location.to_string())], String::new())
}

/// `POST /oauth/token` for `authorization_code` and `refresh_token`, with rotation.
pub(crate) fn oauth_grant(
    request: &Request,
    state: &Mutex<State>,
    grant: &str,
) -> (u16, Value, Duration) {
    let mut state = state.lock().expect("mock state");
    state.seen.token_requests += 1;
    let account = App::of(&state.account);
    let invalid_grant = json!({"reason": "Invalid Token!", "error": "invalid_grant"});
    if request.headers.get("authorization") != Some(&basic_auth(&account)) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
            Duration::ZERO,
        );
    }
    let form = &request.form;
    let delay = if grant == "authorization_code" {
        let code = form.get("code").cloned().unwrap_or_default();
        let Some((challenge, redirect)) = state.codes.remove(&code) else {
            return (400, invalid_grant, Duration::ZERO);
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        if expected != challenge || form.get("redirect_uri") != Some(&redirect) {
            return (400, invalid_grant, Duration::ZERO);
        }
        Duration::ZERO
    } else {
        let presented = form.get("refresh_token");
        if presented.is_none() || presented != state.refresh_token.as_ref() {
            return (400, invalid_grant, Duration::ZERO);
        }
        state.seen.refreshes += 1;
        state.seen.refreshed_at.push(Instant::now());
        match state.seen.refreshes {
            1 => account.refresh_delay,
            _ => Duration::ZERO,
        }
    };
    let access = issue_access_token(&mut state);
    let refresh = format!(
        "mock-refresh-token-{}-rT9",
        state.seen.refresh_tokens_issued.len() + 1
    );
    state.refresh_token = Some(refresh.clone());
    state.seen.refresh_tokens_issued.push(refresh.clone());
    (
        200,
        json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": account.token_ttl_secs,
            "scope": account.scopes,
            "api_url": "https://api.zoom.us"
        }),
        delay,
    )
}

/// `POST /oauth/revoke`: the token stops working; the app is deauthorized.
pub(crate) fn revoke(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let account = App::of(&state.account);
    if request.headers.get("authorization") != Some(&basic_auth(&account)) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
        );
    }
    let token = request.form.get("token").cloned().unwrap_or_default();
    if !state.valid_tokens.remove(&token) {
        return (
            400,
            json!({"reason": "Invalid Token!", "error": "invalid_request"}),
        );
    }
    state.refresh_token = None;
    state.seen.revoked.push(token);
    (200, json!({"status": "success"}))
}
