//! The authorization-code flow of an admin-managed Zoom OAuth app, with PKCE (S256): the authorize
//! URL, the code exchange, and refreshing with Zoom's rotating refresh tokens. Built on `oauth2`
//! through a small adapter to our reqwest 0.13 (oauth2's reqwest feature would pin a second one).

use std::path::Path;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    TokenResponse, TokenUrl,
};
use reqwest::Url;

use crate::auth::secret::{self, Secret};
use crate::auth::token::{
    AccessToken, AuthError, CredentialNames, LONGEST_LIFETIME, RENEW_MARGIN, explain_token_error,
    renew_at,
};
use crate::auth::token_store::{StoredToken, TOKEN_FILE_VERSION, TokenLock};

type ZoomOAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// An app of the authorization-code flow.
#[derive(Debug, Clone)]
pub struct AuthCodeApp {
    /// OAuth base URL, e.g. `https://zoom.us/`.
    pub oauth_url: Url,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// The redirect URL registered in the app, e.g. `http://localhost:4199`.
    pub redirect_uri: Option<String>,
    /// Where the client id and secret were set, for messages.
    pub names: CredentialNames,
}

/// An authorization in progress: the URL to open, and what the redirect must bring back.
pub struct PendingAuthorization {
    /// The URL the admin opens in a browser.
    pub url: Url,
    /// The `state` the redirect must carry.
    pub state: String,
    verifier: PkceCodeVerifier,
}

/// An oauth2 HTTP client sending through reqwest 0.13; each future owns a (cheap, shared) clone of
/// the client, so it borrows nothing and is `Send` for any lifetime.
fn adapter(
    http: &reqwest::Client,
) -> impl Fn(
    oauth2::HttpRequest,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, SendError>> + Send>,
> {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            let oauth_error = serde_json::from_slice::<serde_json::Value>(&body)
                .is_ok_and(|v| v.get("error").is_some());
            if !status.is_success() && !oauth_error {
                let text = String::from_utf8_lossy(&body).into_owned();
                return Err(SendError::NotOAuth(status.as_u16(), text));
            }
            let mut out = oauth2::HttpResponse::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

/// Why the adapter hands oauth2 no response.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// The request failed on the network.
    #[error(transparent)]
    Network(#[from] reqwest::Error),
    /// A non-2xx answer that is not an OAuth error (`{"error": …}`): a 404 page, a proxy's 502.
    /// oauth2 would call it an unreadable response; its status says more.
    #[error("HTTP {0}")]
    NotOAuth(u16, String),
}

impl AuthCodeApp {
    fn client(&self) -> Result<ZoomOAuthClient, AuthError> {
        // oauth2 sends the id and secret as a Basic header, which an answer may echo.
        secret::register_basic(&self.client_id, &self.client_secret);
        let url = |path: &str| {
            self.oauth_url
                .join(path)
                .map_err(|e| AuthError::Rejected(format!("bad OAuth URL: {e}")))
        };
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::from_url(url("oauth/authorize")?))
            .set_token_uri(TokenUrl::from_url(url("oauth/token")?));
        if let Some(redirect) = &self.redirect_uri {
            client = client.set_redirect_uri(
                RedirectUrl::new(redirect.clone())
                    .map_err(|e| AuthError::Rejected(format!("bad redirect URI: {e}")))?,
            );
        }
        Ok(client)
    }

    /// Builds the authorize URL: `response_type=code`, client id, redirect URI, a random `state`
    /// and a PKCE S256 challenge; no `scope` (Zoom takes scopes from the app's configuration).
    pub fn authorize(&self) -> Result<PendingAuthorization, AuthError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client()?
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .url();
        Ok(PendingAuthorization {
            url,
            state: state.secret().clone(),
            verifier,
        })
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        pending: PendingAuthorization,
        code: &str,
    ) -> Result<StoredToken, AuthError> {
        let client = self.client()?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(pending.verifier)
            .request_async(&adapter(http))
            .await
            .map_err(|e| token_error(e, None, &self.names))?;
        self.stored(&response, None)
    }

    fn stored(
        &self,
        response: &BasicTokenResponse,
        previous: Option<&StoredToken>,
    ) -> Result<StoredToken, AuthError> {
        let lifetime = response
            .expires_in()
            .unwrap_or(Duration::from_secs(3600))
            .min(LONGEST_LIFETIME);
        let refresh_token = match (response.refresh_token(), previous) {
            (Some(t), _) => Secret::new(t.secret().clone()),
            (None, Some(p)) => p.refresh_token.clone(),
            (None, None) => {
                return Err(AuthError::Rejected(
                    "Zoom returned no refresh token: is this an OAuth (authorization code) app \
                     rather than a Server-to-Server one?"
                        .into(),
                ));
            }
        };
        let now = Utc::now();
        Ok(StoredToken {
            version: TOKEN_FILE_VERSION,
            client_id: self.client_id.clone(),
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token,
            expires_at: now + TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::hours(1)),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_else(|| previous.map(|p| p.scopes.clone()).unwrap_or_default()),
            obtained_at: now,
            refresh_started_at: None,
        })
    }

    /// An access token from the token file, refreshed (and saved) near expiry or when `stale`.
    pub async fn access_token(
        &self,
        http: &reqwest::Client,
        token_file: &Path,
        stale: Option<&AccessToken>,
    ) -> Result<AccessToken, AuthError> {
        let store_err =
            |e: crate::auth::token_store::TokenStoreError| AuthError::Rejected(e.to_string());
        let usable = |stored: &StoredToken| {
            stale.is_none_or(|s| s.value != stored.access_token)
                && stored.expires_at - Utc::now()
                    > TimeDelta::from_std(RENEW_MARGIN).unwrap_or(TimeDelta::zero())
        };
        let stored = StoredToken::load(token_file).map_err(store_err)?;
        if stored.client_id != self.client_id {
            return Err(AuthError::Rejected(format!(
                "the token file {} belongs to client id {}, not {}: use that app's credentials, \
                 or run `zoom-licenses auth` for this one",
                token_file.display(),
                stored.client_id,
                self.client_id
            )));
        }
        if usable(&stored) {
            return Ok(to_access(&stored));
        }
        let _lock = TokenLock::acquire(token_file).map_err(store_err)?;
        // Re-read under the lock: another run may have refreshed meanwhile.
        let mut stored = StoredToken::load(token_file).map_err(store_err)?;
        if usable(&stored) {
            return Ok(to_access(&stored));
        }
        let interrupted = stored.refresh_started_at;
        stored.refresh_started_at = Some(Utc::now());
        stored.save(token_file).map_err(store_err)?;
        tracing::info!(message = "Refreshing the access token.", token_file = %token_file.display());
        let response = self
            .client()?
            .exchange_refresh_token(&RefreshToken::new(stored.refresh_token.expose().to_owned()))
            .request_async(&adapter(http))
            .await
            .map_err(|e| token_error(e, Some((interrupted, token_file)), &self.names))?;
        // Save the new refresh token before the new access token is used: the old one is dead.
        let fresh = self.stored(&response, Some(&stored))?;
        fresh.save(token_file).map_err(store_err)?;
        Ok(to_access(&fresh))
    }
}

fn to_access(stored: &StoredToken) -> AccessToken {
    let left = (stored.expires_at - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    AccessToken {
        value: stored.access_token.clone(),
        renew_at: renew_at(left),
        scopes: stored.scopes.clone(),
    }
}

type TokenRequestError =
    RequestTokenError<SendError, oauth2::StandardErrorResponse<BasicErrorResponseType>>;

/// Turns a token-endpoint failure into a message saying what to do.
fn token_error(
    error: TokenRequestError,
    refreshing: Option<(Option<chrono::DateTime<Utc>>, &Path)>,
    names: &CredentialNames,
) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error();
            match (code, refreshing) {
                (BasicErrorResponseType::InvalidGrant, Some((Some(at), file))) => {
                    AuthError::Rejected(format!(
                        "Zoom refused the stored refresh token (invalid_grant). A previous run was \
                         interrupted while renewing it (at {}), after Zoom had already replaced it, \
                         so the token in {} is dead: run `zoom-licenses auth` again to reconnect.",
                        at.format("%Y-%m-%dT%H:%M:%SZ"),
                        file.display()
                    ))
                }
                (BasicErrorResponseType::InvalidGrant, Some((None, file))) => {
                    AuthError::Rejected(format!(
                        "Zoom refused the stored refresh token in {} (invalid_grant): it was revoked, \
                         expired, or replaced by another copy of this token file: run \
                         `zoom-licenses auth` again to reconnect.",
                        file.display()
                    ))
                }
                (BasicErrorResponseType::InvalidGrant, None) => AuthError::Rejected(
                    "Zoom refused the authorization code (invalid_grant): it expired (codes live 5 \
                     minutes), was already used, or the PKCE verifier did not match: run \
                     `zoom-licenses auth` again."
                        .into(),
                ),
                (BasicErrorResponseType::InvalidClient, _) => AuthError::Rejected(format!(
                    "Zoom rejected the client ID or client secret (invalid_client). Copy both again \
                     from the app's \"App Credentials\" page in the Zoom App Marketplace into {} \
                     and {}.",
                    names.client_id, names.client_secret
                )),
                (other, _) => AuthError::Rejected(format!(
                    "Zoom's token endpoint refused the request ({}).",
                    other.as_ref()
                )),
            }
        }
        RequestTokenError::Request(SendError::Network(e)) => AuthError::from_network(e),
        RequestTokenError::Request(SendError::NotOAuth(status, _)) if status >= 500 => {
            AuthError::Unavailable(format!("HTTP {status}"))
        }
        RequestTokenError::Request(SendError::NotOAuth(status, body)) => {
            AuthError::Rejected(explain_token_error(status, &body, names))
        }
        RequestTokenError::Parse(e, _) => {
            AuthError::Unavailable(format!("unreadable token response: {}", e.inner()))
        }
        RequestTokenError::Other(message) => AuthError::Unavailable(message),
    }
}
