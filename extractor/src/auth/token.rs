//! An access token, whichever app it came from; why one could not be had; and what a refusal of
//! Zoom's token endpoint means, in words that say what to fix.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::auth::secret::{Secret, remote_text};
use crate::network;
use crate::zoom::endpoint::Endpoint;

/// Renew this long before Zoom's `expires_in` runs out, so no request carries a dying token.
pub const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// When to renew a token that lives `lifetime` from now: [`RENEW_MARGIN`] early, or halfway for
/// short-lived tokens, so a run never renews before every request.
pub fn renew_at(lifetime: Duration) -> Instant {
    let lifetime = lifetime.min(LONGEST_LIFETIME);
    Instant::now() + lifetime - RENEW_MARGIN.min(lifetime / 2)
}

/// The longest an access token is trusted, whatever `expires_in` says (Zoom's live an hour): a
/// hostile or mistaken value must not overflow a clock.
pub const LONGEST_LIFETIME: Duration = Duration::from_secs(86_400);

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

impl AccessToken {
    /// Whether this token may read `endpoint` (it was granted one of the endpoint's scopes).
    pub fn grants(&self, endpoint: &Endpoint) -> bool {
        endpoint.granted_by(&self.scopes)
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// Zoom refused the credentials; the message says what to fix.
    #[error("{0}")]
    Rejected(String),
    /// The token endpoint answered with a server error or an unreadable body.
    #[error("Zoom's token endpoint is unavailable: {0}")]
    Unavailable(String),
    /// No connection to the token endpoint could be made (refused, DNS, TLS).
    #[error("Zoom's token endpoint is unreachable: {0}")]
    Unreachable(String),
}

impl AuthError {
    /// A failed request to the token endpoint, with its cause and without its URL.
    pub fn from_network(e: reqwest::Error) -> Self {
        // A connect error: refused, DNS, TLS, connect timeout.
        match e.is_connect() {
            true => AuthError::Unreachable(network::describe(&e)),
            false => AuthError::Unavailable(network::describe(&e)),
        }
    }
}

/// Where each credential was set, to name it in messages (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialNames {
    /// Where the account id was set.
    pub account_id: String,
    /// Where the client id was set.
    pub client_id: String,
    /// Where the client secret was set.
    pub client_secret: String,
}

impl Default for CredentialNames {
    /// The environment variables (or their flags).
    fn default() -> Self {
        CredentialNames {
            account_id: "ZOOM_ACCOUNT_ID".into(),
            client_id: "ZOOM_CLIENT_ID".into(),
            client_secret: "ZOOM_CLIENT_SECRET".into(),
        }
    }
}

#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    reason: String,
}

/// Turns a token-endpoint refusal (`{"reason","error"}`) into a message that says what to fix.
pub fn explain_token_error(http_status: u16, body: &str, names: &CredentialNames) -> String {
    let parsed: TokenErrorBody = serde_json::from_str(body).unwrap_or_default();
    let reason = parsed.reason.to_lowercase();
    let said = if parsed.error.is_empty() && parsed.reason.is_empty() {
        format!("HTTP {http_status}")
    } else {
        remote_text(&format!("{}: {}", parsed.error, parsed.reason))
    };
    if (300..400).contains(&http_status) {
        // Never followed: a redirect could carry the credentials to another host.
        format!(
            "Zoom's token endpoint answered with a redirect (HTTP {http_status}), which is not \
             followed: check --oauth-url (ZOOM_OAUTH_URL, or oauth_url of the account entry); \
             Zoom's is https://zoom.us/."
        )
    } else if reason.contains("deactivat") || reason.contains("disabled") {
        format!(
            "The Zoom app is deactivated ({said}). Activate it in the Zoom App Marketplace: \
             Manage → your Server-to-Server OAuth app → Activation."
        )
    } else if reason.contains("account") {
        format!(
            "Zoom does not accept the account ID for this app ({said}). Copy the Account ID from \
             the app's \"App Credentials\" page into {}.",
            names.account_id
        )
    } else if parsed.error == "invalid_client" {
        format!(
            "Zoom rejected the client ID or client secret ({said}). Copy both again from the app's \
             \"App Credentials\" page in the Zoom App Marketplace into {} and {}.",
            names.client_id, names.client_secret
        )
    } else if parsed.error == "unsupported_grant_type" {
        format!(
            "This app cannot use the account_credentials grant ({said}): create a \
             Server-to-Server OAuth app in the Zoom App Marketplace."
        )
    } else if http_status == 404 || http_status == 405 {
        format!(
            "No Zoom OAuth endpoint answers at this address ({said}): check --oauth-url \
             (ZOOM_OAUTH_URL, or oauth_url of the account entry); Zoom's is https://zoom.us/."
        )
    } else {
        format!("Zoom's token endpoint refused the credentials ({said}).")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::groups::GROUPS;
    use crate::zoom::users::USERS;

    #[test]
    fn a_token_grants_an_endpoint_by_any_of_its_scopes() {
        let token = |scopes: &[&str]| AccessToken {
            value: Secret::new("grants-test-token"),
            renew_at: Instant::now(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        };
        assert!(token(&["user:read:list_users:admin"]).grants(&USERS));
        assert!(token(&["x", "user:read:admin"]).grants(&USERS));
        assert!(!token(&["user:read:admin"]).grants(&GROUPS));
        assert!(!token(&[]).grants(&USERS));
        assert!(!token(&["user:read"]).grants(&USERS));
    }

    #[test]
    fn token_errors_say_what_to_fix() {
        let names = CredentialNames::default();
        let explain = |status, body| explain_token_error(status, body, &names);
        let m = explain(
            400,
            r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#,
        );
        assert!(m.contains("client ID or client secret"), "{m}");
        assert!(m.contains("ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"), "{m}");
        let m = explain(
            400,
            r#"{"reason":"Invalid account_id","error":"invalid_request"}"#,
        );
        assert!(m.contains("ZOOM_ACCOUNT_ID"), "{m}");
        let m = explain(
            400,
            r#"{"reason":"App has been deactivated","error":"invalid_client_app"}"#,
        );
        assert!(m.contains("deactivated"), "{m}");
        let m = explain(404, r#"{"code":404,"message":"Not Found"}"#);
        assert!(m.contains("check --oauth-url"), "{m}");
        let m = explain(502, "<html>");
        assert!(m.contains("HTTP 502"), "{m}");
    }
}
