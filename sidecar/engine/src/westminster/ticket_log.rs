//! Which session tickets the global log has applied, so a write carried twice (a
//! duplicated `Submit` or `Batch`) applies once. Derived from the committed Commons log
//! alone, so every member decides the same (docs/protocol.md#96-sessions).

use std::collections::{BTreeMap, BTreeSet};

use crate::types::NodeId;
use crate::westminster::Ticket;

/// Tickets remembered per origin incarnation; older ones count as seen.
const WINDOW: usize = 1024;

#[derive(Debug, Default)]
struct Window {
    /// Every seq below it counts as seen.
    floor: u64,
    seen: BTreeSet<u64>,
}

/// The applied tickets of the global log.
#[derive(Debug, Default)]
pub(crate) struct TicketLog {
    origins: BTreeMap<(NodeId, u64), Window>,
}

impl TicketLog {
    /// Records `ticket`; false when it was seen before (or fell below the window).
    pub(crate) fn first_time(&mut self, ticket: Ticket) -> bool {
        let w = self
            .origins
            .entry((ticket.origin, ticket.epoch))
            .or_default();
        if ticket.seq < w.floor || !w.seen.insert(ticket.seq) {
            return false;
        }
        while w.seen.len() > WINDOW {
            if let Some(oldest) = w.seen.pop_first() {
                w.floor = oldest + 1;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_applies_once_even_out_of_order() {
        let t = |seq| Ticket {
            origin: NodeId(1),
            epoch: 0,
            seq,
        };
        let mut log = TicketLog::default();
        assert!(log.first_time(t(2)));
        assert!(log.first_time(t(1)));
        assert!(!log.first_time(t(2)));
        for seq in 3..3 + WINDOW as u64 {
            assert!(log.first_time(t(seq)));
        }
        assert!(!log.first_time(t(0)), "below the window counts as seen");
    }
}
