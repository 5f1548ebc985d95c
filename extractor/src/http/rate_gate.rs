//! One gate every request passes: a steady requests-per-second limit (governor), and a shared
//! "not before" instant that a 429 or `X-RateLimit-Remaining: 0` pushes forward for all requests
//! (Zoom's limits are per account and category, so one sweep's limit must pause the others).

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
        RateGate {
            limiter: RateLimiter::direct(quota(max_rps)),
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

/// The limiter's quota for `max_rps`: one request per period, never a burst (evenly spaced).
fn quota(max_rps: NonZeroU32) -> Quota {
    // A hair (1%) over the exact spacing, so that jitter on the way to Zoom never packs
    // `max_rps + 1` requests into one of Zoom's one-second windows.
    let spacing = Duration::from_secs(1) / max_rps.get() * 101 / 100;
    Quota::with_period(spacing)
        .unwrap_or_else(|| Quota::per_second(max_rps))
        .allow_burst(NonZeroU32::MIN)
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

/// The gate's spacing, driven by governor's fake clock: no wall clock, no sleeping, so exact.
#[cfg(test)]
mod spacing {
    use super::*;
    use governor::clock::{Clock, FakeRelativeClock};

    /// When the gate's limiter at `max_rps` lets through requests that come to it at `arrivals`
    /// (from the start, in order), each waiting exactly as long as the limiter says, as
    /// `until_ready` does.
    fn admitted(max_rps: u32, arrivals: &[Duration]) -> Vec<Duration> {
        let clock = FakeRelativeClock::default();
        let limiter =
            RateLimiter::direct_with_clock(quota(NonZeroU32::new(max_rps).unwrap()), clock.clone());
        let now = |clock: &FakeRelativeClock| Duration::from(clock.now());
        arrivals
            .iter()
            .map(|&arrival| {
                clock.advance(arrival.saturating_sub(now(&clock)));
                while let Err(not_until) = limiter.check() {
                    let wait = not_until.wait_time_from(clock.now());
                    clock.advance(wait.max(Duration::from_nanos(1)));
                }
                now(&clock)
            })
            .collect()
    }

    /// The rates checked: the default, Zoom's buckets, an odd one whose period is not a whole
    /// number of nanoseconds, and the most the CLI takes.
    const RATES: [u32; 7] = [1, 2, 3, 8, 10, 40, 1000];

    /// Fails unless consecutive requests are at least `1 s / max_rps` apart and no one-second
    /// window holds more than `max_rps` of them.
    fn assert_evenly_spaced(max_rps: u32, times: &[Duration], what: &str) {
        let spacing = Duration::from_secs(1) / max_rps;
        for (n, pair) in times.windows(2).enumerate() {
            assert!(
                pair[1] - pair[0] >= spacing,
                "{what} at {max_rps}/s: requests {n} and {} came {:?} apart, less than {spacing:?}",
                n + 1,
                pair[1] - pair[0]
            );
        }
        for (n, window) in times.windows(max_rps as usize + 1).enumerate() {
            let span = window[max_rps as usize] - window[0];
            assert!(
                span >= Duration::from_secs(1),
                "{what} at {max_rps}/s: {} requests from request {n} within {span:?}",
                max_rps + 1
            );
        }
    }

    /// Many requests waiting at once (sweeps running concurrently) leave one at a time, each a
    /// full period after the one before; none goes out together with another.
    #[test]
    fn requests_waiting_together_leave_one_period_apart() {
        for max_rps in RATES {
            let crowd = vec![Duration::ZERO; 3 * max_rps as usize + 3];
            let times = admitted(max_rps, &crowd);
            assert_evenly_spaced(max_rps, &times, "a crowd at the start");
        }
    }

    /// A quiet spell earns no credit: a crowd that comes after ten idle seconds is spaced as the
    /// first one was (a limiter with a burst would let several through at once).
    #[test]
    fn a_quiet_spell_lets_no_burst_through_after_it() {
        for max_rps in RATES {
            let mut arrivals = vec![Duration::ZERO; 3];
            arrivals.extend(vec![Duration::from_secs(10); 2 * max_rps as usize + 2]);
            let times = admitted(max_rps, &arrivals);
            assert_evenly_spaced(max_rps, &times, "a crowd after a quiet spell");
            assert_eq!(
                times[3],
                Duration::from_secs(10),
                "at {max_rps}/s the first request after the quiet spell waited"
            );
        }
    }

    /// The spacing is the rate asked for, not slower: a crowd of `n` has left by `n` periods
    /// (and 2% for the hair the gate adds), and requests coming slower than the rate never wait.
    #[test]
    fn the_rate_is_the_one_asked_for() {
        for max_rps in RATES {
            let spacing = Duration::from_secs(1) / max_rps;
            let n = 2 * max_rps + 1;
            let times = admitted(max_rps, &vec![Duration::ZERO; n as usize]);
            let last = times[n as usize - 1];
            assert!(
                last <= spacing * (n - 1) * 102 / 100,
                "at {max_rps}/s, {n} requests took {last:?}: slower than asked"
            );
            let unhurried: Vec<Duration> = (0..n).map(|k| spacing * 2 * k).collect();
            assert_eq!(
                admitted(max_rps, &unhurried),
                unhurried,
                "at {max_rps}/s requests at half the rate were held"
            );
        }
    }
}
