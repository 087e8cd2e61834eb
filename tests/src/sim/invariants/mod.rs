//! Safety and liveness invariants, each checked by its own [`Invariant`] after every
//! simulator step.
//!
//! Checkers see the run only through [`Observation`]s (what a member persisted, applied,
//! became, and its status after each step) and keep whatever history they need, so each
//! check is incremental: the cost of a step is proportional to what changed, not to the
//! length of the logs. Every checker has tests that plant a violation and expect it
//! flagged: a check that cannot fail proves nothing.

mod acknowledged_committed;
mod acknowledged_present;
mod committed_not_lost;
mod critical_ratified;
mod election_safety;
mod global_state_machine_safety;
mod leader_completeness;
mod lease_safety;
mod liveness;
mod log_matching;
mod log_view;
mod lords_terms;
mod observation;
mod prime_minister_safety;
mod representative_safety;
mod seat_observation;
mod seat_safety;
mod session_fairness;
mod state_machine_safety;
mod violation;

use std::fmt;

pub use acknowledged_committed::AcknowledgedCommitted;
pub use acknowledged_present::AcknowledgedPresent;
pub use committed_not_lost::CommittedNotLost;
pub use critical_ratified::CriticalRatified;
pub use election_safety::ElectionSafety;
pub use global_state_machine_safety::GlobalStateMachineSafety;
pub use leader_completeness::LeaderCompleteness;
pub use lease_safety::LeaseSafety;
pub use liveness::Liveness;
pub use log_matching::LogMatching;
pub use log_view::LogView;
pub use lords_terms::LordsTerms;
pub use observation::{MemberLog, Observation};
pub use prime_minister_safety::PrimeMinisterSafety;
pub use representative_safety::RepresentativeSafety;
pub use seat_observation::{SeatInvariant, SeatObservation};
pub use seat_safety::SeatSafety;
pub use session_fairness::SessionFairness;
pub use state_machine_safety::StateMachineSafety;
pub use violation::Violation;

/// One property of a group's run, checked incrementally.
pub trait Invariant: fmt::Debug {
    /// The property's name, as reports print it.
    fn name(&self) -> &'static str;

    /// Takes in one observation and appends any violation it reveals to `out`.
    ///
    /// Observations arrive in the order they happened; a checker must ignore kinds it
    /// does not use. It must never flag a correct run (no false alarms): when it cannot
    /// tell, it stays silent.
    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>);
}

/// Every checker for one group.
#[derive(Debug)]
pub struct Invariants {
    checkers: Vec<Box<dyn Invariant>>,
}

impl Invariants {
    /// All the checkers, with the liveness bound `bound`.
    #[must_use]
    pub fn all(bound: std::time::Duration) -> Invariants {
        Invariants {
            checkers: vec![
                Box::new(ElectionSafety::default()),
                Box::new(LogMatching::default()),
                Box::new(LeaderCompleteness::default()),
                Box::new(StateMachineSafety::default()),
                Box::new(LeaseSafety::default()),
                Box::new(CommittedNotLost::default()),
                Box::new(AcknowledgedCommitted::default()),
                Box::new(Liveness::new(bound)),
            ],
        }
    }

    /// Feeds `obs` to every checker.
    pub fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        for c in &mut self.checkers {
            c.observe(obs, out);
        }
    }

    /// The checkers' names.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        self.checkers.iter().map(|c| c.name()).collect()
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
