//! The search's memory of configurations already reached: [`Memo`].
//!
//! A configuration is (known operations placed, model state, unknown operations placed).
//! The search asks about one after every successful model step, so the lookup must not
//! allocate: the memo hashes the caller's sets in place and copies them only to store a
//! configuration it has not seen.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A set of operations by position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Bitset(Vec<u64>);

impl Bitset {
    pub(super) fn new(len: usize) -> Bitset {
        Bitset(vec![0; len.div_ceil(64)])
    }

    pub(super) fn set(&mut self, bit: usize) {
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    pub(super) fn clear(&mut self, bit: usize) {
        self.0[bit / 64] &= !(1 << (bit % 64));
    }

    pub(super) fn contains(&self, bit: usize) -> bool {
        self.0[bit / 64] & (1 << (bit % 64)) != 0
    }

    fn is_subset_of(&self, other: &Bitset) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & !b == 0)
    }
}

/// The configurations reached, grouped by (known set, state); for each group, the
/// minimal unknown sets reached with it (an antichain: none contains another).
#[derive(Debug)]
pub(super) struct Memo<S> {
    buckets: HashMap<u64, Vec<Group<S>>, BuildHasherDefault<Identity>>,
}

#[derive(Debug)]
struct Group<S> {
    known: Bitset,
    state: S,
    unknown: Vec<Bitset>,
}

impl<S: Clone + Eq + Hash> Memo<S> {
    pub(super) fn new() -> Memo<S> {
        Memo {
            buckets: HashMap::default(),
        }
    }

    /// Record a configuration. Returns `false` when it is subsumed by one recorded
    /// before: same known set and state, and a subset of its unknown operations. The
    /// earlier one can do everything this one can (an unknown operation may always be
    /// left out), so exploring this one cannot find anything new.
    pub(super) fn remember(&mut self, known: &Bitset, state: &S, unknown: &Bitset) -> bool {
        let mut hasher = Fx::default();
        known.hash(&mut hasher);
        state.hash(&mut hasher);
        let groups = self.buckets.entry(hasher.finish()).or_default();
        let Some(group) = groups
            .iter_mut()
            .find(|group| group.known == *known && group.state == *state)
        else {
            groups.push(Group {
                known: known.clone(),
                state: state.clone(),
                unknown: vec![unknown.clone()],
            });
            return true;
        };
        if group
            .unknown
            .iter()
            .any(|earlier| earlier.is_subset_of(unknown))
        {
            return false;
        }
        // Sets this one is contained in can never prune anything it does not.
        group
            .unknown
            .retain(|earlier| !unknown.is_subset_of(earlier));
        group.unknown.push(unknown.clone());
        true
    }
}

/// FxHash (from rustc): one multiply per word. The memo is the search's hot path, and
/// its keys are not attacker-controlled, so SipHash's collision resistance buys nothing.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Passes an already computed hash through.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else in rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(bits: &[usize]) -> Bitset {
        let mut set = Bitset::new(70);
        for &bit in bits {
            set.set(bit);
        }
        set
    }

    #[test]
    fn a_configuration_is_pruned_by_one_with_fewer_unknown_operations() {
        let mut memo = Memo::new();
        let known = set(&[0, 65]);
        assert!(memo.remember(&known, &"s", &set(&[3])));
        assert!(
            !memo.remember(&known, &"s", &set(&[3])),
            "same configuration"
        );
        assert!(
            !memo.remember(&known, &"s", &set(&[3, 9])),
            "superset of unknowns"
        );
        assert!(
            memo.remember(&known, &"s", &set(&[9])),
            "incomparable unknowns"
        );
        assert!(memo.remember(&known, &"t", &set(&[3, 9])), "other state");
        assert!(
            memo.remember(&set(&[0]), &"s", &set(&[3, 9])),
            "other known set"
        );
        assert!(memo.remember(&known, &"s", &set(&[])), "subset is new");
        assert!(
            !memo.remember(&known, &"s", &set(&[9])),
            "now subsumed by the empty set"
        );
    }
}
