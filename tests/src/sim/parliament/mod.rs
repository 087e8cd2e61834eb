//! Whole parliaments in the simulator: districts of [`MemberNode`](crate::sim::MemberNode)s
//! hosting Commons seats, under the world's faults plus the parliament's own (a district
//! cut off, the Prime Minister or a representative crashed, a representative cut from its
//! own district while it still reaches the other seats), with every group's invariants
//! and the seat invariants checked after every step (docs/simulation.md, "Parliaments").

mod event;
mod hand_overs;
mod options;
mod report;
mod run;

pub use event::ParliamentEvent;
pub use hand_overs::{HandOverCounts, HandOvers};
pub use options::{LORD_TERM_MS, ParliamentOptions};
pub use report::ParliamentReport;
pub use run::{ParliamentRun, run_parliament};

#[cfg(test)]
mod tests;
