//! A broken invariant, as reported.

use std::fmt;

use parliament_engine::{NodeId, Time};

/// An invariant found broken at a point of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant.
    pub invariant: &'static str,
    /// Global virtual time of the step that revealed it.
    pub at: Time,
    /// The member whose step revealed it, if one.
    pub node: Option<NodeId>,
    /// What exactly is wrong, with the values involved.
    pub detail: String,
}

impl Violation {
    /// A violation of `invariant` seen at `at` on `node`.
    #[must_use]
    pub fn new(
        invariant: &'static str,
        at: Time,
        node: Option<NodeId>,
        detail: impl Into<String>,
    ) -> Violation {
        Violation {
            invariant,
            at,
            node,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violated at {}", self.invariant, self.at)?;
        if let Some(n) = self.node {
            write!(f, " on {n}")?;
        }
        write!(f, ": {}", self.detail)
    }
}
