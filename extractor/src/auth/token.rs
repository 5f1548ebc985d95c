//! An access token, whichever app it came from, and why one could not be had.

use std::time::Duration;

use tokio::time::Instant;

use crate::auth::secret::Secret;

/// Renew this long before Zoom's `expires_in` runs out, so no request carries a dying token.
pub const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// When to renew a token that lives `lifetime` from now: [`RENEW_MARGIN`] early, or halfway for
/// short-lived tokens, so a run never renews before every request.
pub fn renew_at(lifetime: Duration) -> Instant {
    Instant::now() + lifetime - RENEW_MARGIN.min(lifetime / 2)
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
