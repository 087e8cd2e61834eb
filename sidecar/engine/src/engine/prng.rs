//! The replica's own pseudo-random sequence, from a seed the shell chooses.
//!
//! SplitMix64 (Steele, Lea & Flood 2014): a few lines, well distributed, and exactly
//! reproducible everywhere, which is all election timeouts need. A crate would add a
//! dependency and a version whose output could change under us.

/// A seeded SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct Prng(u64);

impl Prng {
    pub(crate) fn new(seed: u64) -> Prng {
        Prng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`; `lo` when the range is empty.
    pub(crate) fn below(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo)
    }
}
