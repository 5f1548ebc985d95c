//! Server-to-server OAuth: an internal Zoom app's credentials get access tokens directly
//! (`grant_type=account_credentials`, which the `oauth2` crate cannot send: a plain POST).

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use crate::auth::secret::Secret;
use crate::auth::token::{AccessToken, AuthError, renew_at};

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

/// Asks `token_url` (`…/oauth/token?grant_type=account_credentials&account_id=…`) for a token.
pub async fn fetch_token(
    http: &reqwest::Client,
    token_url: &Url,
    credentials: &ServerToServer,
) -> Result<AccessToken, AuthError> {
    tracing::debug!(message = "Requesting an access token.", account_id = %credentials.account_id);
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
