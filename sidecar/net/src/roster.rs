//! The roster: which members exist, where they listen, and what their certificates say.

use std::collections::BTreeMap;

use parliament_engine::NodeId;

/// One member as the transport knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its id.
    pub id: NodeId,
    /// Where its peer service listens: `host:port`.
    pub address: String,
    /// The DNS name its certificate carries as a subject alternative name. With mTLS a
    /// peer claiming `id` is refused unless its certificate is valid for this name.
    pub identity: String,
}

/// Every member of the parliament, this one included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    members: BTreeMap<NodeId, Member>,
}

impl Roster {
    /// A roster of `members`; a later duplicate id replaces an earlier one.
    #[must_use]
    pub fn new(members: impl IntoIterator<Item = Member>) -> Roster {
        Roster {
            members: members.into_iter().map(|m| (m.id, m)).collect(),
        }
    }

    /// The member with `id`.
    #[must_use]
    pub fn get(&self, id: NodeId) -> Option<&Member> {
        self.members.get(&id)
    }

    /// Whether `id` is a member.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        self.members.contains_key(&id)
    }

    /// All members, in id order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }
}
