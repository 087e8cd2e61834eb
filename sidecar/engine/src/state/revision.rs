//! Revisions: the per-scope decree numbers that order writes and floor reads.

use std::fmt;

use crate::state::error::Result;
use crate::state::wire::{Reader, Wire, Writer};

/// A scope's revision, the Paxon decree number of its writes.
///
/// Each scope counts its own writes: the revision grows by one with every write that
/// changes a key, and never otherwise. Revision 0 is the empty scope; the first write is
/// revision 1. Because a scope's revision depends only on the sequence of that scope's
/// commands, not on log indexes, every member that applies the global log agrees on
/// global revisions, whichever district log carried the entries to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(pub u64);

impl Revision {
    /// The revision of an empty scope, and the expected revision of an absent key.
    pub const ZERO: Revision = Revision(0);

    /// The raw number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The following revision. Saturates rather than wraps; at a billion writes a second
    /// a scope reaches the end in five centuries.
    #[must_use]
    pub const fn next(self) -> Revision {
        Revision(self.0.saturating_add(1))
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl Wire for Revision {
    fn put(&self, w: &mut Writer) {
        w.u64(self.0);
    }

    fn take(r: &mut Reader<'_>) -> Result<Revision> {
        Ok(Revision(r.u64("revision")?))
    }
}
