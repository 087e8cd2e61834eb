//! `PublishedRoster`: the roster as kept in its ConfigMap, with the id high-water mark.

use parliament_crds::Roster;

/// The roster with the next member id to hand out. Ids are never reused: a removed pod's
/// id is retired, and the high-water mark remembers it even when no member holds the
/// highest id any more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedRoster {
    /// The roster the sidecars read.
    pub roster: Roster,
    /// The next id to assign; above every id ever assigned.
    pub next_member_id: u64,
}

impl PublishedRoster {
    /// The next id to assign, never at or below an id in the roster, and never 0 (the
    /// engine reserves 0 for "no node").
    #[must_use]
    pub fn next_id(&self) -> u64 {
        let above_members = self.roster.members().map(|m| m.id + 1).max().unwrap_or(1);
        self.next_member_id.max(above_members).max(1)
    }
}
