//! How districts, seats and groups are numbered.

use std::fmt;

use crate::types::{GroupId, NodeId};

/// The Commons group: its voters are district seats.
pub const COMMONS: GroupId = GroupId(0);

/// A district. Its group is `GroupId(id + 1)` and its Commons seat is `NodeId(id)`, so
/// the three never need a lookup table (docs/westminster.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DistrictId(pub u64);

impl DistrictId {
    /// The district's own consensus group.
    #[must_use]
    pub const fn group(self) -> GroupId {
        GroupId(self.0 + 1)
    }

    /// The district's seat in the Commons.
    #[must_use]
    pub const fn seat(self) -> NodeId {
        NodeId(self.0)
    }

    /// The district whose seat is `seat`.
    #[must_use]
    pub const fn of_seat(seat: NodeId) -> DistrictId {
        DistrictId(seat.0)
    }

    /// The district whose group is `group`, unless it is the Commons.
    #[must_use]
    pub fn of_group(group: GroupId) -> Option<DistrictId> {
        group.0.checked_sub(1).map(DistrictId)
    }
}

impl fmt::Display for DistrictId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "d{}", self.0)
    }
}
