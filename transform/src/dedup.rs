//! Remembers which user keys a run has already emitted, in 16 bytes per user.
//!
//! Zoom gives no ordering guarantee and a restarted sweep re-reads pages, so the same user can arrive
//! twice. Keeping every key as a `String` would cost ~60 bytes per user; a 128-bit XXH3 fingerprint
//! keeps a million users in ~18 MiB with a collision chance far below one in 10^20.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_128;

/// The fingerprints are already uniformly distributed; hashing them again would be wasted work.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// The set of user keys seen so far in a run.
#[derive(Default)]
pub struct SeenKeys {
    seen: HashSet<u128, BuildHasherDefault<PassThrough>>,
}

impl SeenKeys {
    /// Records `key`; returns false when it was seen before.
    pub fn insert(&mut self, key: &str) -> bool {
        self.seen.insert(xxh3_128(key.as_bytes()))
    }

    /// Number of distinct keys seen.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no key was seen yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_only_once() {
        let mut keys = SeenKeys::default();
        assert!(keys.insert("u1"));
        assert!(keys.insert("pending:a@x"));
        assert!(!keys.insert("u1"));
        assert_eq!(keys.len(), 2);
    }
}
