//! Why a request to Zoom failed, and what kind of failure that is.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::auth::token::{AccessToken, AuthError};

/// How long a request retries when no connection can be made and Zoom has not answered yet, so a
/// wrong URL fails fast; once Zoom has answered, a network outage gets the full `--max-retries`.
pub const UNREACHABLE_BUDGET: Duration = Duration::from_secs(20);

/// What kind of failure an error is, for exit codes: fix the setup, retry later, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Configuration or credentials: fix them (exit 2).
    Configuration,
    /// Rate limits, quotas, the network: retry later (exit 75).
    Temporary,
    /// Anything else (exit 1).
    Failed,
}

/// Why a page could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The connection failed or timed out.
    #[error("network error talking to Zoom: {message}")]
    Network {
        /// Whether it was a timeout.
        timeout: bool,
        /// Whether no connection could be made at all (refused, DNS, TLS).
        unreachable: bool,
        /// What happened.
        message: String,
    },
    /// A 200 whose body is cut off or is not a page of the endpoint.
    #[error("Zoom sent an unreadable page: {0}")]
    BadBody(String),
    /// A 5xx answer.
    #[error("Zoom answered HTTP {status}: {message}")]
    ServerError {
        /// The HTTP status.
        status: u16,
        /// Zoom's message, if any.
        message: String,
    },
    /// A per-second (or concurrency) 429. Its text says what happened, not that the run gave up:
    /// every retry logs it ([`ApiError::RetriesExhausted`] says when retries ran out).
    #[error("Zoom's rate limit was hit (HTTP 429)")]
    RateLimited {
        /// How long Zoom asked to wait, when it said.
        wait: Option<Duration>,
    },
    /// A daily-limit 429 whose reset is further away than `--max-wait`.
    #[error(
        "Zoom's daily API quota for this account is used up; it resets at {} (in {}). Run again after that.",
        resets_at.format("%Y-%m-%dT%H:%M:%SZ"),
        human_duration(*resets_at - Utc::now())
    )]
    DailyLimit {
        /// When the quota resets.
        resets_at: DateTime<Utc>,
    },
    /// Zoom asked to wait (`Retry-After`) longer than `--max-wait`, or in words no clock can wait
    /// for (an unreadable or absurd `Retry-After`, read as longer than any wait we may honour).
    #[error("{}", wait_too_long(until.as_ref(), retry_after, *max_wait))]
    WaitTooLong {
        /// When Zoom said requests may go on; `None` when its `Retry-After` names no time we can
        /// place (unreadable, or past any date).
        until: Option<DateTime<Utc>>,
        /// The `Retry-After` as Zoom sent it (made safe to print), named when `until` is `None`.
        retry_after: String,
        /// The `--max-wait` in force.
        max_wait: Duration,
    },
    /// Zoom refused the access token (code 124).
    #[error("Zoom refused the access token (code 124: {message})")]
    Unauthorized {
        /// Zoom's message.
        message: String,
        /// The token refused.
        stale: Arc<AccessToken>,
    },
    /// The app lacks a scope the endpoint needs.
    #[error(
        "the Zoom app may not read `{path}` (Zoom: code {code}, \"{message}\"). Add the scope {} to \
         the app in the Zoom App Marketplace (Manage → your app → Scopes), then run again.",
        scope_names(scopes)
    )]
    MissingScope {
        /// The endpoint's path.
        path: &'static str,
        /// The scopes that allow it, the granular one first.
        scopes: &'static [&'static str],
        /// 4711 or 4700.
        code: i64,
        /// Zoom's message.
        message: String,
    },
    /// Zoom's code 200, "No permission.": the plan or the admin's role may not use the endpoint.
    #[error(
        "Zoom does not let this account use `{path}` (code 200: \"{message}\"): reports need a Pro \
         plan or higher, and the admin who set up the app a role that may view them (Role \
         Management → Reports)"
    )]
    NoPermission {
        /// The endpoint's path.
        path: &'static str,
        /// Zoom's message.
        message: String,
    },
    /// The `next_page_token` expired (code 300 on a page request with a token).
    #[error("the next page token expired: {0}")]
    PageTokenExpired(String),
    /// Zoom refused the page size (code 300 on a first page).
    #[error("Zoom refused the page size: {0}")]
    PageSizeRejected(String),
    /// Any other refusal.
    #[error("Zoom refused the request: HTTP {status}, code {code}: {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Zoom's error code (0 when absent).
        code: i64,
        /// Zoom's message.
        message: String,
    },
    /// HTTP 404 without a Zoom error code: no Zoom API at this base URL.
    #[error(
        "nothing answers `{path}` at {api_url} (HTTP 404): check --api-url (ZOOM_API_URL, or \
         api_url of the account entry); Zoom's API base is https://api.zoom.us/v2{}",
        if api_url.trim_end_matches('/').ends_with("/v2") { "" } else { ", with /v2 at the end" }
    )]
    NoApiHere {
        /// The endpoint's path.
        path: &'static str,
        /// The API base URL in use.
        api_url: String,
    },
    /// HTTP 404 without a Zoom code on a list, after this base URL had answered pages.
    #[error(
        "Zoom answered HTTP 404 without an error code for `{path}`, though earlier requests to \
         {api_url} were answered: the API URL is right, but Zoom found nothing there ({message})"
    )]
    NotFound {
        /// The endpoint's path.
        path: &'static str,
        /// The API base URL in use.
        api_url: String,
        /// Zoom's message, or the body's text.
        message: String,
    },
    /// A page's `next_page_token` too long to be sent back in a URL: the page is invalid.
    #[error(
        "Zoom sent a next_page_token of {bytes} bytes, which is unusable: the next page cannot be \
         asked for with it (a URL Zoom accepts has room for at most {} bytes of token; Zoom's \
         tokens are a few dozen characters), so the page is invalid and retrying cannot help",
        MAX_PAGE_TOKEN_BYTES
    )]
    UnusablePageToken {
        /// The token's length.
        bytes: usize,
    },
    /// A redirect (HTTP 3xx): never followed, since it could carry the access token elsewhere.
    #[error(
        "the API answered `{path}` with a redirect (HTTP {status}), which is not followed: check \
         --api-url (ZOOM_API_URL, or api_url of the account entry); Zoom's API base is \
         https://api.zoom.us/v2"
    )]
    Redirected {
        /// The endpoint's path.
        path: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// The request could not be made: its URL from the API base URL (a bug, not Zoom's doing), or
    /// reqwest refused to build it. Nothing was sent, and sending again would build the same.
    #[error("cannot make the request to endpoint {0}")]
    BadUrl(String),
    /// The last failure worth retrying, once retries (or [`UNREACHABLE_BUDGET`]) ran out.
    #[error("{last}; retries ran out after {attempts} attempts")]
    RetriesExhausted {
        /// Requests sent, the first included.
        attempts: usize,
        /// The last failure.
        last: Box<ApiError>,
    },
    /// No access token could be had.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl ApiError {
    /// The kind of failure, for exit codes.
    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::MissingScope { .. }
            | ApiError::NoPermission { .. }
            | ApiError::NoApiHere { .. }
            | ApiError::Redirected { .. }
            | ApiError::Unauthorized { .. }
            | ApiError::Auth(AuthError::Rejected(_)) => ErrorClass::Configuration,
            ApiError::PageTokenExpired(_)
            | ApiError::PageSizeRejected(_)
            | ApiError::Rejected { .. }
            | ApiError::NotFound { .. }
            | ApiError::UnusablePageToken { .. }
            | ApiError::BadUrl(_) => ErrorClass::Failed,
            ApiError::RetriesExhausted { last, .. } => last.class(),
            // The retryable ones (see `retry_cause`), and waits longer than --max-wait.
            ApiError::DailyLimit { .. }
            | ApiError::WaitTooLong { .. }
            | ApiError::Network { .. }
            | ApiError::BadBody(_)
            | ApiError::ServerError { .. }
            | ApiError::RateLimited { .. }
            | ApiError::Auth(AuthError::Unavailable(_) | AuthError::Unreachable(_)) => {
                ErrorClass::Temporary
            }
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry_cause().is_some()
    }

    /// Whether no connection could be made at all: retried for [`UNREACHABLE_BUDGET`] only.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ApiError::Network {
                unreachable: true,
                ..
            } | ApiError::Auth(AuthError::Unreachable(_))
        )
    }

    /// The retry cause this error counts under in the manifest; `None` when not worth retrying.
    pub fn retry_cause(&self) -> Option<&'static str> {
        Some(match self {
            ApiError::Network { timeout: true, .. } => "timeout",
            ApiError::Network { .. } => "network",
            ApiError::BadBody(_) => "bad_body",
            ApiError::ServerError { .. } => "server_error",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Auth(AuthError::Unavailable(_) | AuthError::Unreachable(_)) => {
                "token_endpoint"
            }
            _ => return None,
        })
    }
}

/// The longest `next_page_token` sent back: common servers refuse a request line over 8 KB
/// (nginx's default buffer), and a token percent-encoded can take three times its bytes.
pub const MAX_PAGE_TOKEN_BYTES: usize = 2048;

/// The text of [`ApiError::WaitTooLong`].
fn wait_too_long(until: Option<&DateTime<Utc>>, retry_after: &str, max_wait: Duration) -> String {
    let max_wait = max_wait.as_secs();
    match until {
        Some(until) => format!(
            "Zoom asked to wait until {} (in {}), longer than --max-wait ({max_wait}s). Run again \
             after that, or raise --max-wait.",
            until.format("%Y-%m-%dT%H:%M:%SZ"),
            human_duration(*until - Utc::now())
        ),
        None => format!(
            "Zoom asked to wait longer than --max-wait ({max_wait}s): its Retry-After \
             `{retry_after}` names no time this run can wait for. Run again later."
        ),
    }
}

/// `2h 5m`, `42s`.
pub fn human_duration(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// `` `user:read:list_users:admin` (classic apps: `user:read:admin`) ``.
fn scope_names(scopes: &[&str]) -> String {
    match scopes {
        [granular, classic, ..] => format!("`{granular}` (classic apps: `{classic}`)"),
        [only] => format!("`{only}`"),
        [] => "the endpoint needs".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every failure that is retried is logged with each retry: none of their texts may say the
    /// run gave up; the one error returned once retries ran out says so.
    #[test]
    fn only_the_exhausted_error_says_retries_ran_out() {
        let retried = [
            ApiError::Network {
                timeout: true,
                unreachable: false,
                message: "no answer from Zoom in time".into(),
            },
            ApiError::BadBody("cut".into()),
            ApiError::ServerError {
                status: 503,
                message: "Service Unavailable".into(),
            },
            ApiError::RateLimited { wait: None },
            ApiError::RateLimited {
                wait: Some(Duration::from_secs(1)),
            },
            ApiError::Auth(AuthError::Unavailable("HTTP 503".into())),
            ApiError::Auth(AuthError::Unreachable("refused".into())),
        ];
        for error in retried {
            assert!(error.is_retryable(), "{error:?}");
            let text = error.to_string().to_lowercase();
            for final_word in ["ran out", "gave up", "giving up", "exhausted", "no more"] {
                assert!(!text.contains(final_word), "{text}");
            }
            let class = error.class();
            let last = ApiError::RetriesExhausted {
                attempts: 9,
                last: Box::new(error),
            };
            assert!(
                last.to_string()
                    .ends_with("; retries ran out after 9 attempts")
            );
            assert_eq!(last.class(), class);
            assert!(!last.is_retryable());
        }
    }
}
