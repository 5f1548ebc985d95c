//! Misbehaviours scripted by request number on `GET /v2/users`.

use std::time::Duration;

/// A misbehaviour, applied to one `GET /v2/users` request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429 (per-second), with or without `Retry-After` (seconds).
    TooManyRequests {
        /// `Retry-After` value, if any.
        retry_after: Option<String>,
    },
    /// HTTP 429 daily limit with `Retry-After` as a timestamp.
    DailyLimit {
        /// `Retry-After` value.
        retry_after: String,
    },
    /// An HTTP 5xx.
    ServerError(u16),
    /// Close the connection without answering.
    Drop,
    /// Announce the full body length but send half of it, then close.
    Truncate,
    /// A 200 whose JSON body is cut in half (valid HTTP).
    HalfJson,
    /// Every token issued so far expires now: 401 code 124 "Access token is expired.".
    ExpireTokens,
    /// 400 code 300: the next page token is invalid or expired (only on a request with a token).
    ExpirePageToken,
    /// A normal page, with `X-RateLimit-Remaining: 0`; its body comes in two halves 0.3 s apart.
    RemainingZero,
    /// A normal page whose body comes in two halves [`SLOW_BODY_GAP`] apart, as over a slow
    /// network: a client acting on the first half acts before the page is whole.
    SlowBody,
    /// A normal page answered only after 60 s: the run is busy with it for as long as a test needs.
    Stall,
    /// A page whose `next_page_token` is the token the request sent (only on a request with one).
    SameToken,
    /// An HTTP error answer with this status and Zoom code, e.g. 403 with code 200 "No permission.".
    Refused(u16, i64),
    /// A 200 whose body is this text instead of the page.
    Body(&'static str),
    /// A normal page with `X-RateLimit-Remaining: 0` and this `Retry-After`.
    RemainingZeroFor(&'static str),
    /// An HTTP error (this status) whose message echoes the request's `Authorization` header and
    /// carries a terminal escape and a forged log line, as a misbehaving proxy might.
    Echo(u16),
}

/// How long after its first half the second half of a [`Fault::SlowBody`] page comes: long
/// enough that a client which waits for the whole page cannot be mistaken, even on a busy machine
/// (seconds of slack), for one that acts on the first half.
pub const SLOW_BODY_GAP: Duration = Duration::from_secs(3);
/// How long a [`Fault::Stall`] answer is held.
pub(crate) const STALL: Duration = Duration::from_secs(60);
