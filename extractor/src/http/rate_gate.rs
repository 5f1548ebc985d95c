//! One gate every request passes: a steady requests-per-second limit (governor), and a shared
//! "not before" instant that a 429 or `X-RateLimit-Remaining: 0` pushes forward for all requests.
//!
//! Zoom's limits are per account and per category, shared by every app on the account, so one
//! sweep hitting a limit must pause the others too.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The shared gate.
pub struct RateGate {
    limiter: DefaultDirectRateLimiter,
    not_before: Mutex<Option<Instant>>,
    /// Time held by pauses Zoom asked for (429s, `X-RateLimit-Remaining: 0`).
    waited_micros: AtomicU64,
    /// Time held by our own spacing (`--max-rps`).
    paced_micros: AtomicU64,
}

impl RateGate {
    /// A gate letting through at most `max_rps` requests per second, evenly spaced (no bursts).
    pub fn new(max_rps: NonZeroU32) -> Self {
        // A hair (1%) over the exact spacing, so that jitter on the way to Zoom never packs
        // `max_rps + 1` requests into one of Zoom's one-second windows.
        let spacing = Duration::from_secs(1) / max_rps.get() * 101 / 100;
        let quota = Quota::with_period(spacing)
            .unwrap_or_else(|| Quota::per_second(max_rps))
            .allow_burst(NonZeroU32::MIN);
        RateGate {
            limiter: RateLimiter::direct(quota),
            not_before: Mutex::new(None),
            waited_micros: AtomicU64::new(0),
            paced_micros: AtomicU64::new(0),
        }
    }

    /// Waits until a request may be sent: past every pause, and its turn at the limiter.
    pub async fn ready(&self) {
        let micros = |since: Instant| since.elapsed().as_micros() as u64;
        loop {
            if let Some(until) = self.paused_until() {
                let started = Instant::now();
                tokio::time::sleep_until(until).await;
                self.waited_micros
                    .fetch_add(micros(started), Ordering::Relaxed);
                continue;
            }
            let started = Instant::now();
            self.limiter.until_ready().await;
            self.paced_micros
                .fetch_add(micros(started), Ordering::Relaxed);
            // A pause that began while this request waited for its turn holds it too.
            if self.paused_until().is_none() {
                break;
            }
        }
    }

    /// The end of the current pause, if one is on.
    fn paused_until(&self) -> Option<Instant> {
        let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        until.filter(|t| *t > Instant::now())
    }

    /// Holds every request back for `wait` from now (never shortens an existing pause).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut not_before = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        if not_before.is_none_or(|t| t < until) {
            *not_before = Some(until);
        }
    }

    /// Counts a wait spent outside the gate (a retry sleeping out a 429).
    pub fn add_wait(&self, wait: Duration) {
        self.waited_micros
            .fetch_add(wait.as_micros() as u64, Ordering::Relaxed);
    }

    /// Time requests spent held by Zoom's rate limits (its 429s and pauses), summed over requests.
    pub fn waited(&self) -> Duration {
        Duration::from_micros(self.waited_micros.load(Ordering::Relaxed))
    }

    /// Time requests spent waiting their turn under `--max-rps`, summed over requests.
    pub fn paced(&self) -> Duration {
        Duration::from_micros(self.paced_micros.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request already waiting for its turn when another's 429 pauses the account does not
    /// leave before the pause ends.
    #[tokio::test]
    async fn a_pause_holds_requests_already_waiting_for_their_turn() {
        let gate = std::sync::Arc::new(RateGate::new(NonZeroU32::new(1).unwrap()));
        gate.ready().await;
        let started = Instant::now();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.ready().await }
        });
        // The second request now waits its 1 s turn at the limiter (a second of slack for a busy
        // machine); then the pause comes.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !waiting.is_finished(),
            "the second request did not wait its turn"
        );
        gate.pause_for(Duration::from_secs(2));
        waiting.await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "left {:?} after the pause began",
            started.elapsed()
        );
    }
}
