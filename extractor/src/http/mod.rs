//! The Zoom API client: one page of any endpoint at a time, through the rate gate, with a fresh
//! token, retried with backoff and jitter when worth it (network errors, cut bodies, 5xx, 429
//! after its `Retry-After`, an unreachable token endpoint). HTTP 401 code 124 renews the token a
//! few times at most. Anything else, a `Retry-After` past `--max-wait` included, fails at once.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Days, NaiveTime, Utc};
use reqwest::{StatusCode, Url};

mod answer;
pub mod base_url;
pub mod error;
pub mod rate_gate;

use crate::auth::token::{AccessToken, AuthError};
use crate::auth::{Credentials, TokenCache};
use crate::network;
use crate::zoom::endpoint::{PageRequest, Rate};
use crate::zoom::page::{Page, peek_token_in_prefix};
use error::{ApiError, MAX_PAGE_TOKEN_BYTES, UNREACHABLE_BUDGET};
use rate_gate::RateGate;

/// The largest page size older Zoom documentation gives: the fallback when Zoom refuses more.
pub const FALLBACK_PAGE_SIZE: u32 = 300;

/// How the client talks to Zoom.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base, e.g. `https://api.zoom.us/v2/`.
    pub api_url: Url,
    /// OAuth base, e.g. `https://zoom.us/`.
    pub oauth_url: Url,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Requests per second to Light and Medium endpoints, across all sweeps.
    pub max_rps: NonZeroU32,
    /// Requests per second to Heavy endpoints (reports), which Zoom limits apart and lower.
    pub heavy_max_rps: NonZeroU32,
    /// Retries per request before giving up.
    pub max_retries: usize,
    /// Timeout of each request.
    pub timeout: Duration,
    /// First retry delay; later ones grow exponentially (with jitter) up to 30 s.
    pub retry_min_delay: Duration,
    /// The longest wait for a daily quota to reset before failing fast instead.
    pub max_wait: Duration,
}

/// A fetched page with when it arrived.
#[derive(Debug)]
pub struct FetchedPage {
    /// The page (its `sequence` is set by the caller).
    pub page: Page,
    /// When the response arrived.
    pub fetched_at: DateTime<Utc>,
    /// Zoom's rate-limit headers on the response.
    pub rate_limit: RateLimitHeaders,
}

/// `X-RateLimit-*` headers as Zoom sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `X-RateLimit-Category`, e.g. `Medium`.
    pub category: Option<String>,
    /// `X-RateLimit-Limit`.
    pub limit: Option<String>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<String>,
}

/// What the client did, for the manifest.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct RequestStats {
    /// HTTP requests sent to the API (token requests excluded).
    pub requests: u64,
    /// Retries, by cause.
    pub retries: BTreeMap<String, u64>,
    /// 429 answers received.
    pub http_429: u64,
    /// Seconds requests were held by Zoom's rate limits (429s, none remaining), summed.
    pub rate_limit_wait_seconds: f64,
    /// Seconds requests waited their turn under `--max-rps` (our own pacing), summed over requests.
    pub pacing_wait_seconds: f64,
    /// Access tokens fetched after the first.
    pub token_renewals: u64,
}

/// The client.
pub struct ZoomClient {
    http: reqwest::Client,
    api_url: Url,
    tokens: TokenCache,
    /// One gate per rate-limit category: Zoom counts (and pauses) each apart.
    gate: RateGate,
    heavy_gate: RateGate,
    backoff: ExponentialBuilder,
    max_wait: Duration,
    max_rps: u32,
    heavy_max_rps: u32,
    /// The counts; the waits and renewals are filled in by [`ZoomClient::stats`].
    counters: Mutex<RequestStats>,
    /// Whether the API has answered (any HTTP status): from then on, network failures are an
    /// outage to ride out, not an address that cannot work.
    answered: AtomicBool,
    /// Whether the API has answered a request with a page read as Zoom's: from then on a bare 404
    /// is not a wrong base URL. `answered` cannot tell: a wrong base URL answers too (404s, to
    /// sweeps that left together, or a catch-all's 200).
    confirmed: AtomicBool,
}

/// A reqwest client builder whose TLS is rustls with the *ring* provider, installed as the
/// process's default the first time (reqwest is built without a provider of its own).
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err: a provider is installed already (by the program embedding this one); it is kept.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

impl ZoomClient {
    /// Builds the client; fails only when the HTTP stack cannot start.
    pub fn new(config: ClientConfig) -> Result<Self, String> {
        let loopback =
            base_url::is_loopback(&config.api_url) && base_url::is_loopback(&config.oauth_url);
        let mut builder = client_builder()
            .user_agent(concat!("zoom-licenses/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // A redirect could carry the Authorization header somewhere else: never follow one.
            .redirect(reqwest::redirect::Policy::none());
        if loopback {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(ZoomClient {
            tokens: TokenCache::new(http.clone(), &config.oauth_url, config.credentials),
            http,
            api_url: config.api_url,
            gate: RateGate::new(config.max_rps),
            heavy_gate: RateGate::new(config.heavy_max_rps),
            backoff: backoff(config.retry_min_delay, config.max_retries),
            max_wait: config.max_wait,
            max_rps: config.max_rps.get(),
            heavy_max_rps: config.heavy_max_rps.get(),
            counters: Mutex::new(RequestStats::default()),
            answered: AtomicBool::new(false),
            confirmed: AtomicBool::new(false),
        })
    }

    /// The requests per second it allows itself to Light and Medium endpoints.
    pub fn max_rps(&self) -> u32 {
        self.max_rps
    }

    /// The requests per second it allows itself to Heavy endpoints.
    pub fn heavy_max_rps(&self) -> u32 {
        self.heavy_max_rps
    }

    /// The gate of an endpoint's rate-limit category.
    fn gate(&self, rate: Rate) -> &RateGate {
        match rate {
            Rate::Medium => &self.gate,
            Rate::Heavy => &self.heavy_gate,
        }
    }

    /// How the client authenticates.
    pub fn credentials(&self) -> &Credentials {
        self.tokens.credentials()
    }

    /// A token, fetched now if needed (used by connection checks).
    pub async fn token(&self) -> Result<Arc<AccessToken>, ApiError> {
        let fetch = || self.tokens.get();
        let started = Instant::now();
        Ok(fetch
            .retry(self.backoff)
            .when(|e: &AuthError| !matches!(e, AuthError::Rejected(_)))
            .adjust(|e, backoff| {
                let unreachable = matches!(e, AuthError::Unreachable(_));
                backoff.filter(|&b| self.may_retry(started, unreachable, b))
            })
            .notify(|e, wait| self.note_retry("token_endpoint", e, wait))
            .await?)
    }

    /// What the client did so far.
    pub fn stats(&self) -> RequestStats {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        RequestStats {
            rate_limit_wait_seconds: millis(self.gate.waited() + self.heavy_gate.waited()),
            pacing_wait_seconds: millis(self.gate.paced() + self.heavy_gate.paced()),
            token_renewals: self.tokens.renewals(),
            ..counters.clone()
        }
    }

    /// Whether a request first sent at `started` may wait `wait` and try again after a failure
    /// (`unreachable`: no connection made): within [`UNREACHABLE_BUDGET`] until Zoom answers.
    fn may_retry(&self, started: Instant, unreachable: bool, wait: Duration) -> bool {
        !unreachable
            || self.answered.load(Ordering::Relaxed)
            || started.elapsed() + wait <= UNREACHABLE_BUDGET
    }

    fn count<F: FnOnce(&mut RequestStats)>(&self, f: F) {
        f(&mut self.counters.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn note_retry(&self, cause: &'static str, error: &dyn std::fmt::Display, wait: Duration) {
        self.count(|c| *c.retries.entry(cause.to_string()).or_default() += 1);
        tracing::warn!(
            message = "Retrying request.",
            cause,
            wait_ms = wait.as_millis() as u64,
            %error
        );
    }

    /// Fetches one page, retrying what is worth it and renewing a refused token.
    pub async fn fetch(&self, request: &PageRequest) -> Result<FetchedPage, ApiError> {
        self.fetch_with_lookahead(request, None).await
    }

    /// Like [`ZoomClient::fetch`], sending the page's non-empty `next_page_token` on `lookahead` as
    /// soon as it arrives (before the records), so the next request leaves while this one arrives.
    pub async fn fetch_with_lookahead(
        &self,
        request: &PageRequest,
        lookahead: Option<tokio::sync::oneshot::Sender<String>>,
    ) -> Result<FetchedPage, ApiError> {
        let lookahead = Mutex::new(lookahead);
        let lookahead = &lookahead;
        let mut renewals = 0;
        let gate = self.gate(request.endpoint.rate);
        loop {
            let attempt = move || self.attempt(request, lookahead);
            let started = Instant::now();
            let mut retries = 0;
            let result = attempt
                .retry(self.backoff)
                .when(ApiError::is_retryable)
                .adjust(|error, backoff| {
                    let unreachable = error.is_unreachable();
                    let backoff = backoff.filter(|&b| self.may_retry(started, unreachable, b))?;
                    let ApiError::RateLimited { wait } = error else {
                        return Some(backoff);
                    };
                    // Zoom said how long to wait: honour it, and hold every other request too.
                    let wait = wait.unwrap_or(backoff);
                    gate.pause_for(wait);
                    Some(wait)
                })
                .notify(|error, wait| {
                    retries += 1;
                    if matches!(error, ApiError::RateLimited { .. }) {
                        gate.add_wait(wait);
                    }
                    self.note_retry(error.retry_cause().unwrap_or("other"), error, wait)
                })
                .await;
            match result {
                Err(ApiError::Unauthorized { stale, message })
                    if renewals < MAX_RENEWALS_PER_REQUEST =>
                {
                    tracing::info!(message = "Access token refused; renewing it.", zoom = %message);
                    let fresh = self.tokens.renew(&stale).await?;
                    // A renewal that hands back the token Zoom just refused cannot help.
                    if fresh.value == stale.value {
                        return Err(ApiError::Unauthorized { stale, message });
                    }
                    renewals += 1;
                }
                // Only now, once no retry is left, may the error say so (each retry logged it).
                Err(error) if error.is_retryable() => {
                    return Err(ApiError::RetriesExhausted {
                        attempts: retries + 1,
                        last: Box::new(error),
                    });
                }
                other => return other,
            }
        }
    }

    /// One request, once: the page, or why not (see [`answer::classify`]).
    async fn attempt(
        &self,
        request: &PageRequest,
        lookahead: &Mutex<Option<tokio::sync::oneshot::Sender<String>>>,
    ) -> Result<FetchedPage, ApiError> {
        let endpoint = request.endpoint;
        let gate = self.gate(endpoint.rate);
        gate.ready().await;
        // No retry loop of its own here: the caller's loop retries an unreachable token endpoint.
        let token = self.tokens.get().await?;
        let started = Instant::now();
        let response = self.send(request, &token).await?;
        let http_status = response.status();
        let headers = response.headers().clone();
        // Zoom says no requests are left: hold the next one, which the token below may send early.
        if let Some(wait) = answer::hold_after_page(http_status, &headers, &self.known(Utc::now()))?
        {
            gate.pause_for(wait);
        }
        // Only a page's token may send the next request early.
        let page = endpoint.paginated && http_status == StatusCode::OK;
        let records = endpoint.records.filter(|_| page);
        let lookahead =
            records.and_then(|_| lookahead.lock().unwrap_or_else(|e| e.into_inner()).take());
        let bytes = read_body(response, lookahead, records.unwrap_or_default()).await?;
        // UTF-8 in place: `text()` would decode into a second copy of the page.
        let body =
            String::from_utf8(bytes).map_err(|e| ApiError::BadBody(format!("not UTF-8: {e}")))?;
        let fetched_at = Utc::now();
        tracing::debug!(
            message = "Fetched page.",
            sweep = %request.sweep(),
            page_token_sent = request.page_token.is_some(),
            http_status = http_status.as_u16(),
            millis = started.elapsed().as_millis() as u64,
            bytes = body.len()
        );
        if http_status == StatusCode::OK {
            let page = Page::parse(request.clone(), 0, body).map_err(ApiError::BadBody)?;
            // Only a page Zoom's way proves this is Zoom's API (a catch-all answering 200 to
            // anything does not): from then on a bare 404 is an item gone, not a wrong address.
            self.confirmed.store(true, Ordering::Relaxed);
            return answer::fetched(page, &headers, fetched_at);
        }
        if http_status == StatusCode::TOO_MANY_REQUESTS {
            self.count(|c| c.http_429 += 1);
        }
        let known = self.known(fetched_at);
        Err(answer::classify(
            http_status,
            &headers,
            &body,
            request,
            token,
            &known,
        ))
    }

    /// Sends `request` with `token`; `Ok` once Zoom answered, whatever its status.
    async fn send(
        &self,
        request: &PageRequest,
        token: &AccessToken,
    ) -> Result<reqwest::Response, ApiError> {
        let url = self.url(request)?;
        let path = request.endpoint.path;
        self.count(|c| c.requests += 1);
        let response = self
            .http
            .get(url)
            .bearer_auth(token.value.expose())
            .send()
            .await
            // reqwest refusing to build a request (a URL over 64 KB: "Parsed Url is not a valid
            // Uri") is no network failure: nothing left, and a retry would build the same.
            .map_err(|e| match e.is_builder() {
                true => ApiError::BadUrl(format!("`{path}`: {}", network::describe(&e))),
                false => network_error(e),
            })?;
        self.answered.store(true, Ordering::Relaxed);
        Ok(response)
    }

    /// The URL of `request`. Its page token's length is checked here, whoever handed the token
    /// over (the early request for the next page leaves before its page is read whole).
    fn url(&self, request: &PageRequest) -> Result<Url, ApiError> {
        let (path, params) = request.path_and_query().map_err(ApiError::BadUrl)?;
        let token = request.page_token.as_deref();
        if let Some(bytes) = token.map(str::len).filter(|&n| n > MAX_PAGE_TOKEN_BYTES) {
            return Err(ApiError::UnusablePageToken { bytes });
        }
        let mut url = self
            .api_url
            .join(&path)
            .map_err(|e| ApiError::BadUrl(format!("{}: {e}", request.endpoint.path)))?;
        let token = token.map(|t| ("next_page_token", t));
        url.query_pairs_mut()
            .extend_pairs(params)
            .extend_pairs(token);
        Ok(url)
    }

    /// What the client knows at `now`, to read an answer by.
    fn known(&self, now: DateTime<Utc>) -> answer::Known<'_> {
        answer::Known {
            now,
            max_wait: self.max_wait,
            api_url: self.api_url.as_str(),
            confirmed: self.confirmed.load(Ordering::Relaxed),
        }
    }
}

/// How much of a body is looked at for its `next_page_token` (Zoom sends it in the first few
/// hundred bytes); past this the sweep waits for the parsed page.
const TOKEN_PEEK_LIMIT: usize = 64 * 1024;
/// The largest body read: a page of 2,000 users is about 1 MB, so a larger body is no page (an
/// endless one would otherwise grow until the timeout).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Reads a response body chunk by chunk, sending the page's `next_page_token` on `lookahead` as
/// soon as it has arrived whole (the page is still checked whole later, and retried if cut).
async fn read_body(
    mut response: reqwest::Response,
    mut lookahead: Option<tokio::sync::oneshot::Sender<String>>,
    records: &str,
) -> Result<Vec<u8>, ApiError> {
    let expected = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    let mut bytes = Vec::with_capacity(expected.unwrap_or(64 * 1024).min(MAX_BODY_BYTES));
    while let Some(chunk) = response.chunk().await.map_err(network_error)? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::BadBody(format!(
                "the body is larger than {} MiB: no page is",
                MAX_BODY_BYTES >> 20
            )));
        }
        bytes.extend_from_slice(&chunk);
        if lookahead.is_none() {
            continue;
        }
        let prefix = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        let told = match peek_token_in_prefix(prefix, records) {
            Some(told) => told,
            None if bytes.len() > TOKEN_PEEK_LIMIT => None,
            None => continue,
        };
        if let (Some(sender), Some(next)) = (lookahead.take(), told.filter(|t| !t.is_empty())) {
            let _ = sender.send(next);
            // Let the woken sweep send the next request now: tokio would otherwise run it only
            // after this task yields (a woken task waits in the worker's LIFO slot).
            tokio::task::yield_now().await;
        }
    }
    Ok(bytes)
}

fn network_error(e: reqwest::Error) -> ApiError {
    ApiError::Network {
        timeout: e.is_timeout(),
        unreachable: e.is_connect(),
        message: network::describe(&e),
    }
}

/// `now` plus `wait`; `None` past any date chrono holds.
fn after(now: DateTime<Utc>, wait: Duration) -> Option<DateTime<Utc>> {
    chrono::TimeDelta::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
}

/// What a `Retry-After` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this long from now (a number of seconds too large to hold is [`Duration::MAX`]: it
    /// still means "longer than we may wait", never "no wait said").
    Wait(Duration),
    /// Neither seconds nor a date: read as longer than any wait we may honour.
    Unreadable,
}

/// `Retry-After` as seconds, an RFC 3339 timestamp (Zoom's daily limit) or an HTTP date. Anything
/// else is [`RetryAfter::Unreadable`], read as longer than `--max-wait` (exit 75), not as absent:
/// a short wait meant costs one rerun; a long one retried would send requests it forbade.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> RetryAfter {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too many for a u64: a wait longer than any clock, not "unsaid".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return RetryAfter::Wait(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc3339(value).or_else(|_| DateTime::parse_from_rfc2822(value));
    match at {
        // A date already past means no wait; the difference of two dates always fits.
        Ok(at) => RetryAfter::Wait((at.with_timezone(&Utc) - now).to_std().unwrap_or_default()),
        Err(_) => RetryAfter::Unreadable,
    }
}

/// How often one request renews a token Zoom refused (HTTP 401 code 124): tokens can rotate under
/// a request, so one refusal is no proof of bad credentials; past this many it is (exit 2).
pub const MAX_RENEWALS_PER_REQUEST: u32 = 3;

/// The longest a retry waits (unless Zoom's `Retry-After` says otherwise, within `--max-wait`).
pub const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(30);

/// Exponential backoff with jitter from `min_delay`; no wait longer than [`LONGEST_RETRY_WAIT`].
fn backoff(min_delay: Duration, max_retries: usize) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(min_delay)
        // Jitter adds up to as much again: half the longest wait is the cap before it.
        .with_max_delay(LONGEST_RETRY_WAIT / 2)
        .with_max_times(max_retries)
}

/// Seconds, rounded to the millisecond.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// Daily quotas reset at 00:00 UTC.
fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .checked_add_days(Days::new(1))
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A retry once waited 53 s: with the largest settings the flags allow, none waits over 30 s.
    #[test]
    fn no_retry_waits_longer_than_30_seconds() {
        use backon::BackoffBuilder;
        for _ in 0..200 {
            let waits: Vec<Duration> = backoff(Duration::from_secs(10), 20).build().collect();
            assert_eq!(waits.len(), 20);
            let most = Duration::from_secs(30);
            assert!(waits.iter().all(|w| *w <= most), "{waits:?}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let secs = |v| match parse_retry_after(v, now) {
            RetryAfter::Wait(wait) => Some(wait.as_secs()),
            RetryAfter::Unreadable => None,
        };
        assert_eq!(secs("7"), Some(7));
        assert_eq!(secs("2026-11-29T00:00:00Z"), Some(14 * 3600));
        assert_eq!(secs("Sat, 28 Nov 2026 10:00:30 GMT"), Some(30));
        assert_eq!(secs("2020-05-31T00:00:00Z"), Some(0));
        assert_eq!(
            next_utc_midnight(now).to_rfc3339(),
            "2026-11-29T00:00:00+00:00"
        );
    }

    /// A number of seconds too large for a u64 (or for chrono, once read as i64) once became "no
    /// Retry-After" and was retried with backoff: it is the longest wait, never none.
    #[test]
    fn an_absurd_retry_after_is_the_longest_wait_and_words_are_unreadable() {
        let now = Utc::now();
        let longest = RetryAfter::Wait(Duration::from_secs(u64::MAX));
        assert_eq!(parse_retry_after("18446744073709551615", now), longest);
        assert_eq!(
            parse_retry_after("99999999999999999999999999", now),
            longest
        );
        assert_eq!(
            parse_retry_after("9223372036854775808", now),
            RetryAfter::Wait(Duration::from_secs(1 << 63))
        );
        for words in ["soon", "", "-5", "1.5", "in 10 seconds"] {
            assert_eq!(
                parse_retry_after(words, now),
                RetryAfter::Unreadable,
                "{words:?}"
            );
        }
    }
}
