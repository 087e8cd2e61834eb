//! Newtypes for the numbers that must never be mixed: ids, terms, indexes and time.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

macro_rules! newtype_u64 {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw number.
            #[must_use]
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

newtype_u64!(
    /// A member of a group. In a district group it names a pod; in the Commons it names a
    /// seat (one per district).
    NodeId,
    "n"
);
newtype_u64!(
    /// A consensus group: one per district, plus the Commons.
    GroupId,
    "g"
);
newtype_u64!(
    /// A Raft term, the Paxon ballot number. Terms only grow.
    Term,
    "t"
);
newtype_u64!(
    /// A position in a group's log, the Paxon decree number. The first entry is at 1;
    /// index 0 is the empty prefix.
    LogIndex,
    "i"
);

impl Term {
    /// The next term.
    #[must_use]
    pub const fn next(self) -> Term {
        Term(self.0 + 1)
    }
}

impl LogIndex {
    /// The following index.
    #[must_use]
    pub const fn next(self) -> LogIndex {
        LogIndex(self.0 + 1)
    }

    /// The preceding index, saturating at zero.
    #[must_use]
    pub const fn prev(self) -> LogIndex {
        LogIndex(self.0.saturating_sub(1))
    }
}

/// A point in time as the shell's clock reads it, in milliseconds from an arbitrary
/// epoch. The engine only compares and adds; it never reads a clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    /// Milliseconds since the shell's epoch.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time elapsed since `earlier`, zero if `earlier` is later.
    #[must_use]
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, rhs: Duration) -> Time {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(ms))
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, rhs: Duration) -> Time {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Time(self.0.saturating_sub(ms))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Proof of a role grant: the group and the term in which the holder leads it.
///
/// Tokens order by term within a group. A resource that remembers the highest token it
/// has seen and refuses lower ones can never be driven by a deposed leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FencingToken {
    /// The group the holder leads.
    pub group: GroupId,
    /// The term of the grant.
    pub term: Term,
}

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.group.0, self.term.0)
    }
}
