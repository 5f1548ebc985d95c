//! A budget in bytes for transformed pages that wait for the sinks.
//!
//! The queues between the stages count pages, but pages are not all the same size: a page of
//! rejected users carries every record's raw JSON, about 2.2 MB as allocated per 2,000 users,
//! where a page of licenses holds about 0.9 MB. Counted in pages, a run of rejected pages (an
//! inactive sweep) holds two and a half times the memory of the pages before it. The budget
//! counts the bytes of the transformed pages that are accepted but not yet written; while they are
//! over the limit, no new page goes to a builder. Bytes are released when the page is dropped, so
//! a sink that fails or goes away releases them too and nothing waits for ever.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How often a waiting stage looks at the run's cancellation flag.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

/// Bytes held by pages in flight, and a limit past which new work waits.
#[derive(Debug)]
pub struct ByteBudget {
    used: Mutex<usize>,
    released: Condvar,
    limit: usize,
}

/// Bytes held against a [`ByteBudget`] until this is dropped.
#[derive(Debug)]
pub struct Held {
    budget: Arc<ByteBudget>,
    bytes: usize,
}

impl ByteBudget {
    /// A budget whose waiters go on only while at most `limit` bytes are held.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(ByteBudget {
            used: Mutex::new(0),
            released: Condvar::new(),
            limit,
        })
    }

    /// Holds `bytes` until the returned value is dropped; never waits, so a page already built is
    /// never stuck (a page larger than the limit simply makes the next one wait).
    pub fn hold(self: &Arc<Self>, bytes: usize) -> Held {
        *self.lock() += bytes;
        Held {
            budget: self.clone(),
            bytes,
        }
    }

    /// Waits while more than the limit is held. Returns `false` if the run was cancelled meanwhile.
    pub fn wait_within_limit(&self, cancelled: &AtomicBool) -> bool {
        let mut used = self.lock();
        while *used > self.limit {
            if cancelled.load(Ordering::Relaxed) {
                return false;
            }
            used = self
                .released
                .wait_timeout(used, CANCEL_CHECK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        !cancelled.load(Ordering::Relaxed)
    }

    /// Bytes held now.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        *self.lock()
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // The count stays right even if a holder panicked: every change is one statement.
        self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut used = self.budget.lock();
        *used = used.saturating_sub(self.bytes);
        drop(used);
        self.budget.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn held_bytes_are_released_when_dropped() {
        let budget = ByteBudget::new(10);
        let a = budget.hold(4);
        let b = budget.hold(8);
        assert_eq!(budget.used(), 12);
        drop(a);
        assert_eq!(budget.used(), 8);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_waiter_goes_on_once_enough_is_released() {
        let budget = ByteBudget::new(10);
        let held = budget.hold(11);
        let (done_tx, done_rx) = mpsc::channel();
        let waiter = {
            let budget = budget.clone();
            std::thread::spawn(move || {
                let went_on = budget.wait_within_limit(&AtomicBool::new(false));
                done_tx.send(went_on).unwrap();
            })
        };
        // Over the limit: the waiter must still be waiting.
        assert!(done_rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(5)), Ok(true));
        waiter.join().unwrap();
    }

    #[test]
    fn at_or_under_the_limit_nobody_waits() {
        let budget = ByteBudget::new(10);
        let _held = budget.hold(10);
        assert!(budget.wait_within_limit(&AtomicBool::new(false)));
    }

    #[test]
    fn a_cancelled_run_stops_the_wait() {
        let budget = ByteBudget::new(0);
        let _held = budget.hold(1);
        let cancelled = Arc::new(AtomicBool::new(false));
        let (done_tx, done_rx) = mpsc::channel();
        let waiter = {
            let (budget, cancelled) = (budget.clone(), cancelled.clone());
            std::thread::spawn(move || {
                let went_on = budget.wait_within_limit(&cancelled);
                done_tx.send(went_on).unwrap();
            })
        };
        // Fails rather than hangs if the wait ignored the cancellation.
        cancelled.store(true, Ordering::Relaxed);
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(5)), Ok(false));
        waiter.join().unwrap();
    }
}
