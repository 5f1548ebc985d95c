//! Remembers which user keys a run has already emitted, exactly, in about 2 bytes of memory per user.
//!
//! Zoom gives no ordering guarantee and a restarted sweep re-reads pages, so the same user can arrive
//! twice. Each key becomes a 128-bit XXH3 fingerprint (a collision chance far below one in 10^20 per
//! run). Keeping every fingerprint in memory costs 16 bytes or more per user, 18 MiB at a million,
//! and made memory grow with the account. Instead:
//!
//! - a blocked Bloom filter (16 bits per user, one cache line per lookup) says "certainly new" for
//!   all but about 3 in 10,000 new keys;
//! - the fingerprint of each key admitted that way is appended to a [`KeyLog`], which the binary
//!   keeps in an unnamed temporary file, so it costs disk, not memory;
//! - a key the filter cannot rule out is *held*: [`Seen::Unsure`] tells the caller to keep its record
//!   aside, and one pass over the log ([`SeenKeys::resolve_held`]) tells which held keys really were
//!   emitted before: at the end of the run, or as soon as enough records are held (a restarted sweep
//!   repeats every key of its earlier pages, and all of those are held). The filter never says
//!   "new" for a key it has seen, so the result is exact, whatever the filter's luck.
//!
//! The filter is sized from Zoom's `total_records` ([`SeenKeys::reserve`]); when more keys arrive
//! than announced, a further filter is added rather than letting the first one overfill.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_128;

/// Filter bits per expected key: about 3 in 10,000 new keys are a false "maybe seen" (measured).
const BITS_PER_KEY: usize = 16;
/// Bits set per key, all within one 512-bit block.
const PROBES: u32 = 11;
/// Keys a filter is sized for when nothing better is known.
const MIN_CAPACITY: usize = 1024;

/// Fingerprints are already uniform hashes: a set of them needs no hashing of its own.
type FingerprintSet = HashSet<u128, BuildHasherDefault<FingerprintHasher>>;

/// Hashes a fingerprint to its low 64 bits.
#[derive(Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used; any other input is folded in rather than ignored.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

/// The 128-bit fingerprint a key is remembered by.
pub fn fingerprint(key: &str) -> u128 {
    xxh3_128(key.as_bytes())
}

/// Where the fingerprints of admitted keys are kept, so that they need not stay in memory.
pub trait KeyLog: Send {
    /// Appends one fingerprint.
    fn append(&mut self, fingerprint: u128) -> std::io::Result<()>;
    /// Calls `visit` with every fingerprint appended so far.
    fn scan(&mut self, visit: &mut dyn FnMut(u128)) -> std::io::Result<()>;
}

/// The in-memory log: for tests and small runs.
impl KeyLog for Vec<u128> {
    fn append(&mut self, fingerprint: u128) -> std::io::Result<()> {
        self.push(fingerprint);
        Ok(())
    }

    fn scan(&mut self, visit: &mut dyn FnMut(u128)) -> std::io::Result<()> {
        self.iter().for_each(|&f| visit(f));
        Ok(())
    }
}

/// What [`SeenKeys::check`] decided about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Certainly new: emit the record (its fingerprint was logged).
    New,
    /// Certainly a repeat of a key already emitted or held: drop the record.
    Repeat,
    /// Maybe a repeat: hold the record until [`SeenKeys::resolve_held`] decides.
    Unsure,
}

/// The set of user keys seen so far in a run.
pub struct SeenKeys {
    filters: Vec<BloomFilter>,
    held: FingerprintSet,
    log: Box<dyn KeyLog>,
    admitted: usize,
}

impl Default for SeenKeys {
    fn default() -> Self {
        SeenKeys::new(Box::<Vec<u128>>::default())
    }
}

impl SeenKeys {
    /// An empty set that logs admitted fingerprints to `log`.
    pub fn new(log: Box<dyn KeyLog>) -> Self {
        SeenKeys {
            filters: Vec::new(),
            held: FingerprintSet::default(),
            log,
            admitted: 0,
        }
    }

    /// Decides whether the key with `fingerprint` was seen, and remembers it.
    pub fn check(&mut self, fingerprint: u128) -> std::io::Result<Seen> {
        if self.held.contains(&fingerprint) {
            return Ok(Seen::Repeat);
        }
        if self.filters.iter().any(|f| f.contains(fingerprint)) {
            self.held.insert(fingerprint);
            return Ok(Seen::Unsure);
        }
        self.log.append(fingerprint)?;
        self.admitted += 1;
        if self.filters.last().is_none_or(|f| f.len >= f.capacity) {
            // More keys than announced: a further filter, as large as all so far.
            self.filters
                .push(BloomFilter::with_capacity(self.admitted.max(MIN_CAPACITY)));
        }
        if let Some(filter) = self.filters.last_mut() {
            filter.insert(fingerprint);
        }
        Ok(Seen::New)
    }

    /// Reads the filter blocks of `fingerprints` ahead of checking them: the reads do not depend
    /// on each other, so their cache misses overlap instead of coming one per check.
    pub fn prefetch(&self, fingerprints: impl Iterator<Item = u128>) {
        let mut touched = 0u64;
        for fingerprint in fingerprints {
            for filter in &self.filters {
                touched ^= filter.first_word(fingerprint);
            }
        }
        std::hint::black_box(touched);
    }

    /// Makes room for `additional` more keys at the designed error rate (Zoom's `total_records`).
    pub fn reserve(&mut self, additional: usize) {
        let spare = self.filters.last().map_or(0, |f| f.capacity - f.len);
        if additional > spare {
            self.filters
                .push(BloomFilter::with_capacity(additional.max(MIN_CAPACITY)));
        }
    }

    /// Number of keys held so far (see [`Seen::Unsure`]).
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Number of distinct keys seen, held ones included.
    pub fn len(&self) -> usize {
        self.admitted + self.held.len()
    }

    /// Whether no key was seen yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decides the held keys: returns those emitted before (their records are repeats); the others
    /// are admitted as new (logged) and the held set starts empty again. Reads the whole log once.
    pub fn resolve_held(&mut self) -> std::io::Result<HashSet<u128>> {
        let mut repeats = HashSet::new();
        if self.held.is_empty() {
            return Ok(repeats);
        }
        let held = &self.held;
        self.log.scan(&mut |f| {
            if held.contains(&f) {
                repeats.insert(f);
            }
        })?;
        for &f in self.held.iter().filter(|f| !repeats.contains(f)) {
            self.log.append(f)?;
            self.admitted += 1;
        }
        self.held.clear();
        Ok(repeats)
    }
}

/// A Bloom filter whose probes for one key all fall in one 64-byte block (one cache miss).
struct BloomFilter {
    blocks: Vec<[u64; 8]>,
    capacity: usize,
    len: usize,
}

impl BloomFilter {
    fn with_capacity(capacity: usize) -> Self {
        let blocks = (capacity * BITS_PER_KEY).div_ceil(512).max(1);
        BloomFilter {
            blocks: vec![[0; 8]; blocks],
            capacity,
            len: 0,
        }
    }

    /// The block (from the high half, multiply-shift) and the bit probes (from the low half).
    fn probes(&self, fingerprint: u128) -> (usize, impl Iterator<Item = u32> + use<>) {
        let high = (fingerprint >> 64) as u64;
        let block = ((u128::from(high) * self.blocks.len() as u128) >> 64) as usize;
        let h1 = fingerprint as u32;
        let h2 = ((fingerprint as u64) >> 32) as u32 | 1;
        let bits = (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) >> 23);
        (block, bits)
    }

    /// The first word of the key's block (read to bring the block into the cache).
    fn first_word(&self, fingerprint: u128) -> u64 {
        let (block, _) = self.probes(fingerprint);
        self.blocks[block][0]
    }

    fn insert(&mut self, fingerprint: u128) {
        let (block, bits) = self.probes(fingerprint);
        let block = &mut self.blocks[block];
        for bit in bits {
            block[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.len += 1;
    }

    fn contains(&self, fingerprint: u128) -> bool {
        let (block, mut bits) = self.probes(fingerprint);
        let block = &self.blocks[block];
        bits.all(|bit| block[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(keys: &mut SeenKeys, key: &str) -> Seen {
        keys.check(fingerprint(key)).unwrap()
    }

    #[test]
    fn a_key_is_new_only_once() {
        let mut keys = SeenKeys::default();
        assert_eq!(check(&mut keys, "u1"), Seen::New);
        assert_eq!(check(&mut keys, "pending:a@x"), Seen::New);
        // The filter has seen it, so it is held; the log then shows it was a repeat.
        assert_eq!(check(&mut keys, "u1"), Seen::Unsure);
        assert_eq!(check(&mut keys, "u1"), Seen::Repeat);
        let repeats = keys.resolve_held().unwrap();
        assert!(repeats.contains(&fingerprint("u1")));
        assert_eq!(keys.len(), 2, "a repeat was admitted as a new key");
    }

    #[test]
    fn a_repeat_is_never_new_and_held_keys_resolve_exactly() {
        let mut keys = SeenKeys::default();
        keys.reserve(10);
        let mut unsure_new = Vec::new();
        for n in 0..50_000 {
            match check(&mut keys, &format!("user-{n}")) {
                Seen::New => {}
                Seen::Unsure => unsure_new.push(fingerprint(&format!("user-{n}"))),
                Seen::Repeat => panic!("user-{n} seen twice"),
            }
        }
        for n in 0..50_000 {
            assert_ne!(check(&mut keys, &format!("user-{n}")), Seen::New);
        }
        let held = keys.held();
        let repeats = keys.resolve_held().unwrap();
        // Every held key that is not a first sighting is a repeat, and no first sighting is.
        for f in &unsure_new {
            assert!(!repeats.contains(f), "a first sighting was called a repeat");
        }
        assert_eq!(repeats.len(), held - unsure_new.len());
        // Decided keys are remembered as seen: none of them is new again.
        assert_eq!(keys.held(), 0);
        for n in 0..50_000 {
            assert_ne!(check(&mut keys, &format!("user-{n}")), Seen::New);
        }
        assert!(keys.resolve_held().unwrap().len() == 50_000);
    }

    #[test]
    fn the_filter_rarely_holds_new_keys_even_past_its_reservation() {
        let mut keys = SeenKeys::default();
        keys.reserve(100_000);
        // Twice the announced number: a second filter takes the overflow.
        for n in 0..200_000 {
            check(&mut keys, &format!("user-{n}"));
        }
        let rate = keys.held() as f64 / 200_000.0;
        assert!(rate < 0.003, "{} of 200,000 new keys held", keys.held());
        assert!(keys.filters.len() >= 2);
    }
}
