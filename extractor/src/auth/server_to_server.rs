//! Server-to-server OAuth: an internal Zoom app's credentials get access tokens directly
//! (`grant_type=account_credentials`, which the `oauth2` crate cannot send: a plain POST).

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use crate::auth::secret::{self, Secret};
use crate::auth::token::{AccessToken, AuthError, CredentialNames, explain_token_error, renew_at};

/// Credentials of a Server-to-Server OAuth app.
#[derive(Debug, Clone)]
pub struct ServerToServer {
    /// The Zoom account id.
    pub account_id: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// Where each of them was set, for messages.
    pub names: CredentialNames,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    scope: String,
}

/// Asks `token_url` (`…/oauth/token?grant_type=account_credentials&account_id=…`) for a token.
pub async fn fetch_token(
    http: &reqwest::Client,
    token_url: &Url,
    credentials: &ServerToServer,
) -> Result<AccessToken, AuthError> {
    tracing::debug!(message = "Requesting an access token.", account_id = %credentials.account_id);
    // The header sent below, registered first: an answer may echo it.
    secret::register_basic(&credentials.client_id, &credentials.client_secret);
    let response = http
        .post(token_url.clone())
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
        .map_err(AuthError::from_network)?;
    let status = response.status();
    let body = response.text().await.map_err(AuthError::from_network)?;
    if status.is_server_error() {
        return Err(AuthError::Unavailable(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(AuthError::Rejected(explain_token_error(
            status.as_u16(),
            &body,
            &credentials.names,
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
