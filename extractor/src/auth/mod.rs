//! Access tokens for the API: from a Server-to-Server OAuth app, or from an OAuth app authorized
//! once in a browser (its token file); kept in memory and renewed before they expire or when Zoom
//! says they have (HTTP 401, code 124).

pub mod authcode;
pub mod secret;
pub mod server_to_server;
pub mod token;
pub mod token_store;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Url;
use tokio::sync::Mutex;
use tokio::time::Instant;

use authcode::AuthCodeApp;
use server_to_server::ServerToServer;
use token::{AccessToken, AuthError};

/// How the tool authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A Server-to-Server OAuth app (account credentials grant).
    ServerToServer(ServerToServer),
    /// An OAuth app authorized once in a browser, with its token file.
    AuthorizationCode {
        /// The app.
        app: AuthCodeApp,
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

    /// A token good for at least [`token::RENEW_MARGIN`] more.
    pub async fn get(&self) -> Result<Arc<AccessToken>, AuthError> {
        self.current_or_new(None).await
    }

    /// Replaces `stale` (which Zoom refused) unless another request already did.
    pub async fn renew(&self, stale: &AccessToken) -> Result<Arc<AccessToken>, AuthError> {
        self.current_or_new(Some(stale)).await
    }

    /// The current token while it is good (not due for renewal, or not `stale`), else a new one.
    async fn current_or_new(
        &self,
        stale: Option<&AccessToken>,
    ) -> Result<Arc<AccessToken>, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            let good = match stale {
                None => Instant::now() < token.renew_at,
                Some(stale) => token.value != stale.value,
            };
            if good {
                return Ok(token.clone());
            }
        }
        let token = match &self.credentials {
            Credentials::ServerToServer(s2s) => {
                server_to_server::fetch_token(&self.http, &self.token_url, s2s).await?
            }
            Credentials::AuthorizationCode { app, token_file } => {
                app.access_token(&self.http, token_file, stale).await?
            }
        };
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let token = Arc::new(token);
        *current = Some(token.clone());
        Ok(token)
    }
}
