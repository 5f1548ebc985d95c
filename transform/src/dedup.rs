//! Remembers which user keys a run has already emitted, in about 18 bytes per user.
//!
//! Zoom gives no ordering guarantee and a restarted sweep re-reads pages, so the same user can arrive
//! twice. Keeping every key as a `String` would cost ~60 bytes per user; a 128-bit XXH3 fingerprint
//! keeps a million users in ~18 MiB with a collision chance far below one in 10^20.
//!
//! The table is a flat open-addressing array (linear probing, 90% load) rather than a general hash
//! set: no per-slot control bytes, no power-of-two rounding (a general set needs 2^21 slots, 36 MiB,
//! for a million keys), and it can be sized up front from Zoom's `total_records`, so it never holds
//! an old and a new table at once in the middle of a large run.

use xxhash_rust::xxh3::xxh3_128;

/// Fill the table up to this fraction (in tenths) before growing it.
const MAX_LOAD_TENTHS: usize = 9;

/// The set of user keys seen so far in a run.
#[derive(Default)]
pub struct SeenKeys {
    /// Fingerprints; 0 marks an empty slot (a fingerprint of 0 is stored as 1).
    slots: Vec<u128>,
    len: usize,
}

impl SeenKeys {
    /// Records `key`; returns false when it was seen before.
    pub fn insert(&mut self, key: &str) -> bool {
        if (self.len + 1) * 10 > self.slots.len() * MAX_LOAD_TENTHS {
            self.grow_to(((self.len + 1) * 2).max(1024));
        }
        let fingerprint = xxh3_128(key.as_bytes()).max(1);
        let mut i = self.home(fingerprint);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = fingerprint;
                    self.len += 1;
                    return true;
                }
                f if f == fingerprint => return false,
                _ => i = if i + 1 == self.slots.len() { 0 } else { i + 1 },
            }
        }
    }

    /// Makes room for `additional` more keys without growing again (Zoom's `total_records`).
    pub fn reserve(&mut self, additional: usize) {
        let wanted = self.len + additional;
        if wanted * 10 > self.slots.len() * MAX_LOAD_TENTHS {
            self.grow_to(wanted);
        }
    }

    /// Number of distinct keys seen.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key was seen yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot a fingerprint starts probing at (multiply-shift: any table size works).
    fn home(&self, fingerprint: u128) -> usize {
        ((u128::from(fingerprint as u64) * self.slots.len() as u128) >> 64) as usize
    }

    /// Rehashes into a table holding `keys` keys at the maximum load.
    fn grow_to(&mut self, keys: usize) {
        let size = keys * 10 / MAX_LOAD_TENTHS + 1;
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for fingerprint in old.into_iter().filter(|&f| f != 0) {
            let mut i = self.home(fingerprint);
            while self.slots[i] != 0 {
                i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
            }
            self.slots[i] = fingerprint;
        }
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

    #[test]
    fn growth_and_reservation_keep_every_key() {
        let mut keys = SeenKeys::default();
        keys.reserve(10);
        for n in 0..50_000 {
            assert!(keys.insert(&format!("user-{n}")), "user-{n} seen twice");
        }
        keys.reserve(30_000);
        let slots = keys.slots.len();
        for n in 0..50_000 {
            assert!(!keys.insert(&format!("user-{n}")));
        }
        for n in 50_000..80_000 {
            assert!(keys.insert(&format!("user-{n}")));
        }
        assert_eq!(keys.slots.len(), slots, "a reservation was not enough");
        assert_eq!(keys.len(), 80_000);
    }
}
