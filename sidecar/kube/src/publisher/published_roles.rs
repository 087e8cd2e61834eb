//! `PublishedRoles`: what the publisher has finished publishing, for readiness and tests.

use crate::Roles;

/// The roles whose labels and status entries the API server holds (or, for a deposed
/// leader, that the publisher decided not to write), and how many syncs have completed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedRoles {
    /// Completed syncs, counting the first one at start, role changes and resyncs.
    pub syncs: u64,
    /// The roles of the last completed sync; `None` before the first.
    pub roles: Option<Roles>,
}
