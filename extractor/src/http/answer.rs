//! What Zoom's answer to a page request means: the page, or the error to return. Pure functions of
//! the answer and of what the client knows, so each branch can be tested without a server.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::{
    FetchedPage, RateLimitHeaders, RetryAfter, after, next_utc_midnight, parse_retry_after,
};
use crate::auth::secret::remote_text;
use crate::auth::token::AccessToken;
use crate::http::FALLBACK_PAGE_SIZE;
use crate::http::error::{ApiError, MAX_PAGE_TOKEN_BYTES};
use crate::zoom::endpoint::PageRequest;
use crate::zoom::page::Page;

/// What the client knows when it reads an answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known<'a> {
    /// When the answer arrived.
    pub now: DateTime<Utc>,
    /// `--max-wait`: the longest wait for a rate limit before failing fast.
    pub max_wait: Duration,
    /// The API base URL, named by errors that blame it.
    pub api_url: &'a str,
    /// Whether Zoom has answered this client with a page (see `ZoomClient::confirmed`).
    pub confirmed: bool,
}

/// Zoom's error body, `{"code","message"}`; either may be missing.
#[derive(Deserialize, Default)]
struct ZoomErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// The page a 200 answer holds, with its rate-limit headers. A `next_page_token` too long to be
/// sent back makes the page unusable, now and on every retry.
pub(crate) fn fetched(
    page: Page,
    headers: &HeaderMap,
    fetched_at: DateTime<Utc>,
) -> Result<FetchedPage, ApiError> {
    let token = &page.meta.next_page_token;
    if page.request.endpoint.paginated && token.len() > MAX_PAGE_TOKEN_BYTES {
        return Err(ApiError::UnusablePageToken { bytes: token.len() });
    }
    let text = |name| header(headers, name).map(str::to_owned);
    let rate_limit = RateLimitHeaders {
        category: text("x-ratelimit-category"),
        limit: text("x-ratelimit-limit"),
        remaining: text("x-ratelimit-remaining"),
    };
    Ok(FetchedPage {
        page,
        fetched_at,
        rate_limit,
    })
}

/// How long to hold the next request after a page saying `X-RateLimit-Remaining: 0`: its
/// `Retry-After` (one past `--max-wait` ends the run), or a second when it names none we can place.
pub(crate) fn hold_after_page(
    status: StatusCode,
    headers: &HeaderMap,
    known: &Known<'_>,
) -> Result<Option<Duration>, ApiError> {
    if status != StatusCode::OK || header(headers, "x-ratelimit-remaining") != Some("0") {
        return Ok(None);
    }
    match header(headers, "retry-after") {
        Some(v) if parse_retry_after(v, known.now) != RetryAfter::Unreadable => {
            within_max_wait(v, known).map(Some)
        }
        _ => Ok(Some(Duration::from_secs(1))),
    }
}

/// The error an answer other than a page (`status` is not 200) stands for. `stale` is the token
/// the request carried, handed back when Zoom refused it.
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    request: &PageRequest,
    stale: Arc<AccessToken>,
    known: &Known<'_>,
) -> ApiError {
    let endpoint = request.endpoint;
    let zoom: ZoomErrorBody = serde_json::from_str(body).unwrap_or_default();
    let message = match zoom.message.is_empty() {
        true => remote_text(body),
        false => remote_text(&zoom.message),
    };
    let path = endpoint.path;
    match (status, zoom.code) {
        (StatusCode::TOO_MANY_REQUESTS, _) => rate_limited(headers, known),
        (s, _) if s.is_redirection() => ApiError::Redirected {
            path,
            status: s.as_u16(),
        },
        (s, _) if s.is_server_error() => ApiError::ServerError {
            status: s.as_u16(),
            message,
        },
        // Zoom has sent code 124 with HTTP 400 too: key on the code.
        (_, 124) | (StatusCode::UNAUTHORIZED, 0) => ApiError::Unauthorized { message, stale },
        (_, code @ (4700 | 4711)) => ApiError::MissingScope {
            path,
            scopes: endpoint.scopes,
            code,
            message,
        },
        // Zoom's own 404s carry an application code (1001: no such user).
        (StatusCode::NOT_FOUND, 0 | 404) => bare_not_found(request, message, known),
        (StatusCode::BAD_REQUEST, 200) => ApiError::NoPermission { path, message },
        (StatusCode::BAD_REQUEST, 300) if request.page_token.is_some() => {
            ApiError::PageTokenExpired(message)
        }
        // Code 300 is any invalid parameter: a page size only when one above the fallback was
        // asked for (the report's dates get it too).
        (StatusCode::BAD_REQUEST, 300)
            if request
                .query
                .page_size
                .is_some_and(|size| size > FALLBACK_PAGE_SIZE) =>
        {
            ApiError::PageSizeRejected(message)
        }
        (s, code) => ApiError::Rejected {
            status: s.as_u16(),
            code,
            message,
        },
    }
}

/// What a 404 without a Zoom code means: before Zoom answered a page, a wrong `--api-url`; after,
/// an item gone (as its gone code would say) on an endpoint of one item, else a plain failure.
fn bare_not_found(request: &PageRequest, message: String, known: &Known<'_>) -> ApiError {
    let path = request.endpoint.path;
    let api_url = known.api_url.to_string();
    if !known.confirmed {
        return ApiError::NoApiHere { path, api_url };
    }
    match request.endpoint.gone_code {
        Some(code) => {
            tracing::debug!(
                message = "HTTP 404 without a Zoom code for one item: read as gone.",
                sweep = %request.sweep()
            );
            ApiError::Rejected {
                status: StatusCode::NOT_FOUND.as_u16(),
                code,
                message,
            }
        }
        None => ApiError::NotFound {
            path,
            api_url,
            message,
        },
    }
}

/// The wait a `Retry-After` of `value` asks for within `--max-wait`; otherwise the error that ends
/// the run (exit 75): a wait of hours, or one no clock can place, is never slept out nor ignored.
fn within_max_wait(value: &str, known: &Known<'_>) -> Result<Duration, ApiError> {
    let until = match parse_retry_after(value, known.now) {
        RetryAfter::Wait(wait) if wait <= known.max_wait => return Ok(wait),
        RetryAfter::Wait(wait) => after(known.now, wait),
        RetryAfter::Unreadable => None,
    };
    Err(ApiError::WaitTooLong {
        until,
        retry_after: remote_text(value),
        max_wait: known.max_wait,
    })
}

/// What a 429 means: a per-second limit to wait out (as long as Zoom says, within `--max-wait`),
/// or a daily quota, which resets at 00:00 UTC unless Zoom names another time.
fn rate_limited(headers: &HeaderMap, known: &Known<'_>) -> ApiError {
    let daily =
        header(headers, "x-ratelimit-type").is_some_and(|t| t.eq_ignore_ascii_case("daily-limit"));
    if !daily {
        return match header(headers, "retry-after").map(|v| within_max_wait(v, known)) {
            Some(Err(too_long)) => too_long,
            Some(Ok(wait)) => ApiError::RateLimited { wait: Some(wait) },
            None => ApiError::RateLimited { wait: None },
        };
    }
    let now = known.now;
    // A Retry-After that names no time we can place (unreadable, or past any date) says less than
    // Zoom's documented reset.
    let resets_at = match header(headers, "retry-after").map(|v| parse_retry_after(v, now)) {
        Some(RetryAfter::Wait(wait)) => after(now, wait),
        Some(RetryAfter::Unreadable) | None => None,
    }
    .unwrap_or_else(|| next_utc_midnight(now));
    match (resets_at - now).to_std() {
        Ok(wait) if wait <= known.max_wait => ApiError::RateLimited { wait: Some(wait) },
        Err(_) => ApiError::RateLimited { wait: None },
        Ok(_) => ApiError::DailyLimit { resets_at },
    }
}

/// A header's value, trimmed; `None` when absent or not text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secret::Secret;
    use crate::zoom::user_settings;
    use crate::zoom::users::{USERS, UserStatus, sweeps};

    fn token() -> Arc<AccessToken> {
        Arc::new(AccessToken {
            value: Secret::new("answer-test-token"),
            renew_at: tokio::time::Instant::now(),
            scopes: Vec::new(),
        })
    }

    fn known(confirmed: bool) -> Known<'static> {
        Known {
            now: DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            max_wait: Duration::from_secs(60),
            api_url: "https://api.zoom.us/v2/",
            confirmed,
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn users(page_size: u32) -> PageRequest {
        sweeps(&[UserStatus::Active], page_size, false).remove(0)
    }

    /// `classify` of a users request with no headers, Zoom's `{"code","message"}` body.
    fn answer(status: u16, code: i64, request: &PageRequest, confirmed: bool) -> ApiError {
        let body = format!(r#"{{"code":{code},"message":"said"}}"#);
        let status = StatusCode::from_u16(status).unwrap();
        classify(
            status,
            &HeaderMap::new(),
            &body,
            request,
            token(),
            &known(confirmed),
        )
    }

    #[test]
    fn refused_tokens_are_keyed_on_code_124_whatever_the_status() {
        let request = users(2000);
        for (status, code) in [(401, 124), (400, 124), (401, 0)] {
            let error = answer(status, code, &request, true);
            assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
        }
    }

    #[test]
    fn missing_scopes_name_the_endpoints_scopes() {
        for code in [4700, 4711] {
            match answer(400, code, &users(2000), true) {
                ApiError::MissingScope {
                    path,
                    scopes,
                    code: c,
                    message,
                } => {
                    assert_eq!((path, scopes, c), ("users", USERS.scopes, code));
                    assert_eq!(message, "said");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn code_300_is_an_expired_token_a_refused_size_or_a_plain_refusal() {
        let first = users(2000);
        let next = first.next("tok");
        let e = answer(400, 300, &next, true);
        assert!(matches!(e, ApiError::PageTokenExpired(_)), "{e:?}");
        let e = answer(400, 300, &first, true);
        assert!(matches!(e, ApiError::PageSizeRejected(_)), "{e:?}");
        let e = answer(400, 300, &users(FALLBACK_PAGE_SIZE), true);
        assert!(matches!(e, ApiError::Rejected { code: 300, .. }), "{e:?}");
        let e = answer(400, 200, &first, true);
        assert!(matches!(e, ApiError::NoPermission { .. }), "{e:?}");
    }

    #[test]
    fn a_bare_404_blames_the_url_until_zoom_answered_a_page() {
        let list = users(2000);
        let e = answer(404, 0, &list, false);
        assert!(matches!(e, ApiError::NoApiHere { .. }), "{e:?}");
        let e = answer(404, 0, &list, true);
        assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
        let one = user_settings::request("abc");
        let gone = user_settings::USER_GONE;
        let e = answer(404, 404, &one, true);
        assert!(matches!(e, ApiError::Rejected { status: 404, code, .. } if code == gone));
        let e = answer(404, gone, &one, false);
        assert!(matches!(e, ApiError::Rejected { status: 404, code, .. } if code == gone));
    }

    #[test]
    fn redirects_and_server_errors() {
        let request = users(2000);
        let e = answer(302, 0, &request, true);
        assert!(
            matches!(e, ApiError::Redirected { status: 302, .. }),
            "{e:?}"
        );
        let e = answer(503, 124, &request, true);
        assert!(
            matches!(e, ApiError::ServerError { status: 503, .. }),
            "{e:?}"
        );
        let plain = classify(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            "<html>bad gateway</html>",
            &request,
            token(),
            &known(true),
        );
        assert!(
            matches!(&plain, ApiError::ServerError { message, .. } if message.contains("bad gateway"))
        );
    }

    #[test]
    fn a_429_waits_as_zoom_says_within_max_wait() {
        let request = users(2000);
        let limited = |pairs: &[(&'static str, &'static str)]| {
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(pairs),
                r#"{"code":429,"message":"slow down"}"#,
                &request,
                token(),
                &known(true),
            )
        };
        let e = limited(&[]);
        assert!(matches!(e, ApiError::RateLimited { wait: None }), "{e:?}");
        let e = limited(&[("retry-after", "7")]);
        let seven = Some(Duration::from_secs(7));
        assert!(matches!(e, ApiError::RateLimited { wait } if wait == seven));
        let e = limited(&[("retry-after", "3600")]);
        assert!(
            matches!(e, ApiError::WaitTooLong { until: Some(_), .. }),
            "{e:?}"
        );
        let e = limited(&[("retry-after", "soon")]);
        assert!(
            matches!(e, ApiError::WaitTooLong { until: None, .. }),
            "{e:?}"
        );
        // Daily: Zoom's time when it names one, else the next 00:00 UTC; a past one, no wait said.
        let daily = ("x-ratelimit-type", "Daily-limit");
        let e = limited(&[daily]);
        let midnight = next_utc_midnight(known(true).now);
        assert!(matches!(e, ApiError::DailyLimit { resets_at } if resets_at == midnight));
        let e = limited(&[daily, ("retry-after", "2026-11-28T10:00:30Z")]);
        let thirty = Some(Duration::from_secs(30));
        assert!(matches!(e, ApiError::RateLimited { wait } if wait == thirty));
        let e = limited(&[daily, ("retry-after", "2020-05-31T00:00:00Z")]);
        assert!(matches!(e, ApiError::RateLimited { wait: Some(w) } if w.is_zero()));
    }

    #[test]
    fn a_page_with_no_requests_left_holds_the_next_one() {
        let hold = |status: u16, pairs: &[(&'static str, &'static str)]| {
            let status = StatusCode::from_u16(status).unwrap();
            hold_after_page(status, &headers(pairs), &known(true))
        };
        let none = ("x-ratelimit-remaining", "0");
        assert_eq!(hold(200, &[("x-ratelimit-remaining", "5")]).unwrap(), None);
        assert_eq!(hold(429, &[none]).unwrap(), None);
        let second = Some(Duration::from_secs(1));
        assert_eq!(hold(200, &[none]).unwrap(), second);
        assert_eq!(hold(200, &[none, ("retry-after", "soon")]).unwrap(), second);
        let five = Some(Duration::from_secs(5));
        assert_eq!(hold(200, &[none, ("retry-after", "5")]).unwrap(), five);
        let e = hold(200, &[none, ("retry-after", "86400")]).unwrap_err();
        assert!(matches!(e, ApiError::WaitTooLong { .. }), "{e:?}");
    }

    #[test]
    fn a_page_token_too_long_to_send_back_makes_the_page_unusable() {
        let long = "t".repeat(MAX_PAGE_TOKEN_BYTES + 1);
        let body = format!(r#"{{"next_page_token":"{long}","users":[]}}"#);
        let page = Page::parse(users(2000), 0, body).unwrap();
        let e = fetched(page, &HeaderMap::new(), known(true).now).unwrap_err();
        assert!(matches!(e, ApiError::UnusablePageToken { .. }), "{e:?}");
        let body = r#"{"next_page_token":"","users":[]}"#.to_string();
        let page = Page::parse(users(2000), 0, body).unwrap();
        let pairs = [
            ("x-ratelimit-category", "Medium"),
            ("x-ratelimit-remaining", "9"),
        ];
        let ok = fetched(page, &headers(&pairs), known(true).now).unwrap();
        assert_eq!(ok.rate_limit.category.as_deref(), Some("Medium"));
        assert_eq!(ok.rate_limit.remaining.as_deref(), Some("9"));
        assert_eq!(ok.rate_limit.limit, None);
    }
}
