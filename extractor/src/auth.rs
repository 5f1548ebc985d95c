//! Server-to-server OAuth: the access token of an internal Zoom app, kept in memory and renewed
//! before it expires or when Zoom says it has (HTTP 401, code 124).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::secret::Secret;

/// Renew this long before Zoom's `expires_in` runs out, so no request carries a dying token.
pub const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// When to renew a token that lives `lifetime` from now: [`RENEW_MARGIN`] early, or halfway for
/// short-lived tokens, so a run never renews before every request.
pub fn renew_at(lifetime: Duration) -> Instant {
    Instant::now() + lifetime - RENEW_MARGIN.min(lifetime / 2)
}

/// How the tool authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A Server-to-Server OAuth app (account credentials grant).
    ServerToServer(ServerToServer),
    /// An OAuth app authorized once in a browser, with its token file.
    AuthorizationCode {
        /// The app.
        app: crate::authcode::AuthCodeApp,
        /// The token file.
        token_file: std::path::PathBuf,
    },
}

impl Credentials {
    /// The account id, when known (server-to-server only).
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Credentials::ServerToServer(s2s) => Some(&s2s.account_id),
            Credentials::AuthorizationCode { .. } => None,
        }
    }

    /// `server-to-server` or `authorization-code`.
    pub fn mode(&self) -> &'static str {
        match self {
            Credentials::ServerToServer(_) => "server-to-server",
            Credentials::AuthorizationCode { .. } => "authorization-code",
        }
    }
}

/// Credentials of a Server-to-Server OAuth app.
#[derive(Debug, Clone)]
pub struct ServerToServer {
    /// The Zoom account id.
    pub account_id: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
}

/// An access token and what Zoom said about it.
#[derive(Debug)]
pub struct AccessToken {
    /// The bearer token.
    pub value: Secret,
    /// When to stop using it (see [`renew_at`]).
    pub renew_at: Instant,
    /// The scopes granted, as Zoom listed them.
    pub scopes: Vec<String>,
}

/// Why no token could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// Zoom refused the credentials; the message says what to fix.
    #[error("{0}")]
    Rejected(String),
    /// The token endpoint could not be reached or answered with a server error.
    #[error("Zoom's token endpoint is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    scope: String,
}

#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    reason: String,
}

/// Turns a token-endpoint refusal (`{"reason","error"}`) into a message that says what to fix.
pub fn explain_token_error(http_status: u16, body: &str) -> String {
    let parsed: TokenErrorBody = serde_json::from_str(body).unwrap_or_default();
    let reason = parsed.reason.to_lowercase();
    let said = if parsed.error.is_empty() && parsed.reason.is_empty() {
        format!("HTTP {http_status}")
    } else {
        format!("{}: {}", parsed.error, parsed.reason)
    };
    if reason.contains("deactivat") || reason.contains("disabled") {
        format!(
            "The Zoom app is deactivated ({said}). Activate it in the Zoom App Marketplace: \
             Manage → your Server-to-Server OAuth app → Activation."
        )
    } else if reason.contains("account") {
        format!(
            "Zoom does not accept the account ID for this app ({said}). Copy the Account ID from \
             the app's \"App Credentials\" page (ZOOM_ACCOUNT_ID)."
        )
    } else if parsed.error == "invalid_client" {
        format!(
            "Zoom rejected the client ID or client secret ({said}). Copy both again from the app's \
             \"App Credentials\" page in the Zoom App Marketplace (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)."
        )
    } else if parsed.error == "unsupported_grant_type" {
        format!(
            "This app cannot use the account_credentials grant ({said}): create a \
             Server-to-Server OAuth app in the Zoom App Marketplace."
        )
    } else {
        format!("Zoom's token endpoint refused the credentials ({said}).")
    }
}

/// Holds the current access token and fetches a new one when needed.
pub struct TokenCache {
    http: reqwest::Client,
    token_url: Url,
    credentials: Credentials,
    current: Mutex<Option<Arc<AccessToken>>>,
    fetched: AtomicU64,
}

impl TokenCache {
    /// A cache for `credentials`; server-to-server tokens come from `{oauth_url}oauth/token`.
    pub fn new(http: reqwest::Client, oauth_url: &Url, credentials: Credentials) -> Self {
        let mut token_url = oauth_url
            .join("oauth/token")
            .unwrap_or_else(|_| oauth_url.clone());
        if let Credentials::ServerToServer(s2s) = &credentials {
            token_url
                .query_pairs_mut()
                .append_pair("grant_type", "account_credentials")
                .append_pair("account_id", &s2s.account_id);
        }
        TokenCache {
            http,
            token_url,
            credentials,
            current: Mutex::new(None),
            fetched: AtomicU64::new(0),
        }
    }

    /// How the cache authenticates.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Tokens fetched after the first one (renewals).
    pub fn renewals(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed).saturating_sub(1)
    }

    /// A token good for at least [`RENEW_MARGIN`] more.
    pub async fn get(&self) -> Result<Arc<AccessToken>, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && Instant::now() < token.renew_at
        {
            return Ok(token.clone());
        }
        let token = Arc::new(self.fetch(None).await?);
        *current = Some(token.clone());
        Ok(token)
    }

    /// Replaces `stale` (which Zoom refused) unless another request already did.
    pub async fn renew(&self, stale: &AccessToken) -> Result<Arc<AccessToken>, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && token.value != stale.value
        {
            return Ok(token.clone());
        }
        let token = Arc::new(self.fetch(Some(stale)).await?);
        *current = Some(token.clone());
        Ok(token)
    }

    async fn fetch(&self, stale: Option<&AccessToken>) -> Result<AccessToken, AuthError> {
        let token = match &self.credentials {
            Credentials::ServerToServer(s2s) => self.fetch_s2s(s2s).await?,
            Credentials::AuthorizationCode { app, token_file } => {
                app.access_token(&self.http, token_file, stale).await?
            }
        };
        self.fetched.fetch_add(1, Ordering::Relaxed);
        Ok(token)
    }

    async fn fetch_s2s(&self, credentials: &ServerToServer) -> Result<AccessToken, AuthError> {
        tracing::debug!(message = "Requesting an access token.", account_id = %credentials.account_id);
        let response = self
            .http
            .post(self.token_url.clone())
            .basic_auth(
                &credentials.client_id,
                Some(credentials.client_secret.expose()),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .send()
            .await
            // reqwest's error text carries the URL, which holds only grant type and account id.
            .map_err(|e| AuthError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| AuthError::Unavailable(e.without_url().to_string()))?;
        if status.is_server_error() {
            return Err(AuthError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(AuthError::Rejected(explain_token_error(
                status.as_u16(),
                &body,
            )));
        }
        let parsed: TokenResponse = serde_json::from_str(&body)
            .map_err(|e| AuthError::Unavailable(format!("unreadable token response: {e}")))?;
        let Some(value) = parsed.access_token.filter(|t| !t.is_empty()) else {
            return Err(AuthError::Unavailable(
                "the token response has no access_token".into(),
            ));
        };
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        Ok(AccessToken {
            value: Secret::new(value),
            renew_at: renew_at(lifetime),
            scopes: parsed.scope.split_whitespace().map(str::to_owned).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_say_what_to_fix() {
        let m = explain_token_error(
            400,
            r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#,
        );
        assert!(m.contains("client ID or client secret"), "{m}");
        let m = explain_token_error(
            400,
            r#"{"reason":"Invalid account_id","error":"invalid_request"}"#,
        );
        assert!(m.contains("ZOOM_ACCOUNT_ID"), "{m}");
        let m = explain_token_error(
            400,
            r#"{"reason":"App has been deactivated","error":"invalid_client_app"}"#,
        );
        assert!(m.contains("deactivated"), "{m}");
        let m = explain_token_error(502, "<html>");
        assert!(m.contains("HTTP 502"), "{m}");
    }
}
