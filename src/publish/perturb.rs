//! Disclosure control: record keys, cell keys and fixed random rounding.
//!
//! **Method.** Every incident gets a *record key*, a 32-bit number drawn once from a keyed hash (HMAC-SHA-256 with
//! the publisher's secret) of what identifies the record in the store (its source file, line, time, category and
//! position). The *cell key* of any count is the sum of the record keys of the incidents it counts, modulo 2^32
//! (the ABS/ONS cell-key method, as ONS used it for the 2021 Census). A count `n = q·b + r` (`b` the base, `0 <= r
//! < b`) is published as `(q + 1)·b` when `cell_key / 2^32 < r / b`, else as `q·b`: unbiased random rounding to
//! base `b` (the "fixed random rounding" of Statistics New Zealand), with the random draw fixed by the cell key.
//!
//! **What it guarantees.**
//! - Every published count is a multiple of `b`, so every sum or difference of published counts is too: no
//!   subtraction of two public answers gives a number from 1 to `b - 1`.
//! - A true count from 1 to `b - 1` is published as 0 or `b` (a published `b` may be anything from 1 to `2b - 1`).
//! - The same incidents always give the same key and so the same published value: asking again, or asking the same
//!   thing another way (a cell whose incidents are all of one group, as that group and as "all"), never draws the
//!   noise afresh, so averaging repeated answers does not remove it.
//! - Two counts that differ by one incident have cell keys that differ by that incident's record key, which is
//!   uniform and unknown without the secret: their roundings are independent, so the difference of the published
//!   values (a multiple of `b`) does not say whether that incident is there.
//! - The rounding is unbiased: the expected published value is the true count.
//!
//! Without the secret nobody can compute a record key, even knowing an incident's every attribute.

use sha2::{Digest, Sha256};

/// The publisher's secret: 32 bytes kept beside the store and never published.
pub type Secret = [u8; 32];

/// HMAC-SHA-256 (RFC 2104) with the inner and outer pads hashed once.
#[derive(Clone)]
pub(crate) struct RecordKeyer {
    inner: Sha256,
    outer: Sha256,
}

impl RecordKeyer {
    /// A keyer for `secret` (HMAC-SHA-256 with the secret as key).
    pub(crate) fn new(secret: &Secret) -> RecordKeyer {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (k, b) in secret.iter().enumerate() {
            ipad[k] ^= b;
            opad[k] ^= b;
        }
        let mut inner = Sha256::new();
        inner.update(ipad);
        let mut outer = Sha256::new();
        outer.update(opad);
        RecordKeyer { inner, outer }
    }

    /// The record key of a record identified by `parts` (each part length-prefixed, so parts cannot run together).
    pub(crate) fn key(&self, parts: &[&[u8]]) -> u32 {
        let mut h = self.inner.clone();
        for p in parts {
            h.update((p.len() as u32).to_le_bytes());
            h.update(p);
        }
        let inner = h.finalize();
        let mut o = self.outer.clone();
        o.update(inner);
        let d = o.finalize();
        u32::from_le_bytes([d[0], d[1], d[2], d[3]])
    }
}

/// A count being built: how many incidents and the sum of their record keys (the cell key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KeyedCount {
    /// Incidents counted.
    pub(crate) n: u32,
    /// Sum of their record keys, wrapping (the cell key).
    pub(crate) cell_key: u32,
}

impl KeyedCount {
    /// Count one incident with its record key.
    pub(crate) fn add(&mut self, record_key: u32) {
        self.n = self.n.saturating_add(1);
        self.cell_key = self.cell_key.wrapping_add(record_key);
    }

    /// The published value: [`round`] of the count by its cell key.
    pub(crate) fn published(self, base: u32) -> u32 {
        round(self.n, self.cell_key, base)
    }
}

/// Fixed random rounding of `n` to base `base`: up with probability `r / base` (`r = n mod base`), the draw fixed by
/// `cell_key` (uniform on `0..2^32`). Multiples of the base, 0 included, are unchanged; a base below 2 leaves every
/// count unchanged.
pub fn round(n: u32, cell_key: u32, base: u32) -> u32 {
    if base < 2 {
        return n;
    }
    let (q, r) = (n / base, n % base);
    if r == 0 {
        return n;
    }
    // cell_key / 2^32 < r / base  <=>  cell_key * base < r * 2^32 (exact in u64).
    let up = u64::from(cell_key) * u64::from(base) < u64::from(r) << 32;
    (q + u32::from(up)).saturating_mul(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn multiples_and_zero_are_kept() {
        for key in [0, 1, u32::MAX / 2, u32::MAX] {
            for n in [0, 5, 10, 500] {
                assert_eq!(round(n, key, 5), n);
            }
        }
    }

    #[test]
    fn small_counts_become_zero_or_the_base() {
        for n in 1..5 {
            for key in (0..=u32::MAX).step_by(1 << 20) {
                let r = round(n, key, 5);
                assert!(r == 0 || r == 5, "{n} -> {r}");
            }
        }
    }

    #[test]
    fn the_draw_follows_the_cell_key() {
        // r / base of the key range rounds up: 2/5 of 2^32 is 1717986918.4.
        assert_eq!(round(2, 1_717_986_918, 5), 5);
        assert_eq!(round(2, 1_717_986_919, 5), 0);
        assert_eq!(round(7, 0, 5), 10);
        assert_eq!(round(7, u32::MAX, 5), 5);
        assert_eq!(round(3, 12345, 1), 3, "base 1: no rounding");
    }

    #[test]
    fn record_keys_need_the_secret() {
        let a = RecordKeyer::new(&[1; 32]);
        let b = RecordKeyer::new(&[2; 32]);
        let parts: [&[u8]; 2] = [b"file.csv", &7u32.to_le_bytes()];
        assert_eq!(a.key(&parts), a.key(&parts), "deterministic");
        assert_ne!(a.key(&parts), b.key(&parts));
        // Parts are length-prefixed: "ab"+"c" is not "a"+"bc".
        assert_ne!(a.key(&[b"ab", b"c"]), a.key(&[b"a", b"bc"]));
    }

    #[test]
    fn hmac_matches_rfc_4231_shape() {
        // RFC 4231 test case 2 uses a 4-byte key; ours are 32 bytes, zero-padded as HMAC pads any short key, so the
        // keyer over the raw message (no length prefix) must agree with the RFC's HMAC-SHA-256 of "what do ya want
        // for nothing?" under key "Jefe".
        let mut secret = [0u8; 32];
        secret[..4].copy_from_slice(b"Jefe");
        let k = RecordKeyer::new(&secret);
        let mut h = k.inner.clone();
        h.update(b"what do ya want for nothing?");
        let mut o = k.outer.clone();
        o.update(h.finalize());
        let d = o.finalize();
        assert_eq!(crate::files::hex(&d[..8]), "5bdcc146bf60754e");
    }

    proptest! {
        /// Unbiased: over uniformly spread cell keys the mean published value is the count.
        #[test]
        fn rounding_is_unbiased(n in 0u32..1000, base in 2u32..20) {
            let steps = 1u64 << 12;
            let total: u64 = (0..steps).map(|k| u64::from(round(n, (k << 20) as u32, base))).sum();
            let mean = total as f64 / steps as f64;
            prop_assert!((mean - f64::from(n)).abs() <= f64::from(base) / steps as f64 * 2.0 + 1e-9, "{mean} vs {n}");
        }

        /// Every answer is a multiple of the base within one base of the count.
        #[test]
        fn rounding_is_to_a_neighbouring_multiple(n in 0u32..100_000, key: u32, base in 2u32..20) {
            let r = round(n, key, base);
            prop_assert_eq!(r % base, 0);
            prop_assert!(r.abs_diff(n) < base);
        }
    }
}
