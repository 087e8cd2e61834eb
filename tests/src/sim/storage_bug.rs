//! Storage models that break the persist contract on purpose: [`StorageBug`], for the
//! tests that show the checkers catch a simulated disk that does not keep its promises.

use crate::sim::{CrashPoint, DiskFault, DiskFaultKind, ReadyWrites};

/// A way to break the `Ready` contract's persist step, planted in a node
/// (`MemberNode::plant`, `ReplicaNode::plant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageBug {
    /// When a persist dies, the messages of its `Ready` go out anyway: a shell that sends
    /// before its write is durable, whose votes and acknowledgements a crash forgets.
    SendsBeforeDurable,
    /// The store makes the hard state durable before the entries, so a tear keeps the
    /// hard state (its commit index included) and loses entries: a restarted member
    /// then takes a stale suffix the lost entries would have replaced for committed.
    HardStateFirst,
}

impl StorageBug {
    /// Where `fault` makes a crash fall in `w` with this bug; `None` when it waits for a
    /// later persist (as [`DiskFault::crash_point`]).
    #[must_use]
    pub fn crash_point(self, fault: &DiskFault, w: &ReadyWrites) -> Option<CrashPoint> {
        match self {
            StorageBug::HardStateFirst if fault.kind == DiskFaultKind::Torn && w.hard_state => {
                // The same cut in [hs, e1 .. en] instead of [e1 .. en, hs]; with the hard
                // state kept, entries of its newer term are no obstacle to a restart.
                let w = ReadyWrites {
                    entries_without_hard_state: None,
                    ..*w
                };
                let point = fault.crash_point(&w)?;
                Some(CrashPoint {
                    hard_state: true,
                    entries: point.entries.saturating_sub(1),
                    ..point
                })
            }
            _ => fault.crash_point(w),
        }
    }

    /// Whether a dying persist's messages are sent anyway.
    #[must_use]
    pub fn sends_before_durable(self) -> bool {
        self == StorageBug::SendsBeforeDurable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_state_first_moves_a_tear_one_write_earlier_and_keeps_the_hard_state() {
        let w = ReadyWrites {
            hard_state: true,
            entries: 3,
            // A term bump with entries of the new term: no honest tear applies.
            entries_without_hard_state: Some(0),
            ..ReadyWrites::default()
        };
        let bug = StorageBug::HardStateFirst;
        for seed in 0..50 {
            let torn = DiskFault {
                kind: DiskFaultKind::Torn,
                seed,
            };
            assert_eq!(torn.crash_point(&w), None);
            let p = bug.crash_point(&torn, &w);
            assert!(p.is_some_and(|p| p.hard_state && p.entries < 3), "{p:?}");
            // Other kinds cut whole steps; the order inside the frame does not matter.
            let lost = DiskFault {
                kind: DiskFaultKind::Lost,
                seed,
            };
            assert_eq!(bug.crash_point(&lost, &w), lost.crash_point(&w));
        }
        assert!(!bug.sends_before_durable());
        assert!(StorageBug::SendsBeforeDurable.sends_before_durable());
    }
}
