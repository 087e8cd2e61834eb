//! `MemberRole`: what a member does in its district and the Commons.

use parliament_crds::labels::{ROLE_MEMBER, ROLE_PRIME_MINISTER, ROLE_REPRESENTATIVE};

/// A member's role. A Prime Minister is also its district's representative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MemberRole {
    /// Leads the Commons (and its own district).
    PrimeMinister,
    /// Leads its district and acts for the district's seat.
    Representative,
    /// Follows.
    #[default]
    Member,
}

impl MemberRole {
    /// The value of the `parliament.dev/role` label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            MemberRole::PrimeMinister => ROLE_PRIME_MINISTER,
            MemberRole::Representative => ROLE_REPRESENTATIVE,
            MemberRole::Member => ROLE_MEMBER,
        }
    }

    /// Whether the member leads its district (representatives and the Prime Minister).
    #[must_use]
    pub fn represents(self) -> bool {
        matches!(self, MemberRole::PrimeMinister | MemberRole::Representative)
    }
}
