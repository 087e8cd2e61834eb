//! `Roles`: this member's current roles, as the engine reports them to the publisher.

mod lord;
mod member_role;

use std::time::SystemTime;

pub use lord::Lord;
pub use member_role::MemberRole;

/// What this member is now. The `parliament` binary sends a new value on a
/// `tokio::sync::watch` channel whenever the engine's view changes; the publisher writes
/// to the API server only when what it publishes changes (see [`Roles`] field docs for
/// which fields are roles and which are progress).
///
/// Role fields, whose change is written at once: `district`, `role`, `lord`,
/// `district_term`, `commons_term`, `lords`, and `prime_minister_since`. Progress fields,
/// written along with the next role write or resync (so a status shows them at most one
/// resync interval old): `reputation`, `session`, `committed_revision`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    /// The member's district (from the roster).
    pub district: String,
    /// Prime Minister, Representative or Member.
    pub role: MemberRole,
    /// Whether the member sits in the House of Lords.
    pub lord: bool,
    /// The district's current term as this member knows it; the fencing token of a
    /// representative's status entry.
    pub district_term: u64,
    /// The district's representative as this member knows it (this member's own pod
    /// when `role` represents), absent during an election.
    pub representative: Option<String>,
    /// The district's reputation score, if the engine has one.
    pub reputation: Option<i64>,
    /// The Commons term this member knows; the fencing token of the Prime Minister's
    /// status fields. Published only when `role` is `PrimeMinister`.
    pub commons_term: u64,
    /// When this member took office as Prime Minister, if the engine knows; otherwise the
    /// publisher stamps the time it first publishes the term (and keeps a published time
    /// for the same pod and term).
    pub prime_minister_since: Option<SystemTime>,
    /// The sitting Lords; published only by the Prime Minister.
    pub lords: Vec<Lord>,
    /// Number of the last session that committed global writes.
    pub session: u64,
    /// Revision of the global store after the last committed session.
    pub committed_revision: u64,
    /// The district configuration's voters (pod names), as this member applies it;
    /// published only by the representative.
    pub voters: Vec<String>,
    /// The district configuration's learners (pod names).
    pub learners: Vec<String>,
}

impl Roles {
    /// A plain member of `district`, which is how every sidecar starts.
    #[must_use]
    pub fn member(district: impl Into<String>) -> Roles {
        Roles {
            district: district.into(),
            ..Roles::default()
        }
    }
}
