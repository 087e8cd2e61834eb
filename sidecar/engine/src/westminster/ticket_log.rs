//! Which session tickets the global log has applied, so a write carried twice (a
//! duplicated `Submit` or `Batch`) applies once. Derived from the committed Commons log
//! alone, so every member decides the same (docs/protocol.md#96-sessions).

use std::collections::{BTreeMap, BTreeSet};

use crate::state::wire::{Reader, Writer, to_u64};
use crate::types::NodeId;
use crate::westminster::lords::count;
use crate::westminster::{DecodeError, Ticket};

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

    /// Appends the log to a snapshot image.
    pub(crate) fn put(&self, w: &mut Writer) {
        w.u64(to_u64(self.origins.len()));
        for ((origin, epoch), window) in &self.origins {
            w.u64(origin.get());
            w.u64(*epoch);
            w.u64(window.floor);
            w.u64(to_u64(window.seen.len()));
            for seq in &window.seen {
                w.u64(*seq);
            }
        }
    }

    /// Reads what [`TicketLog::put`] wrote.
    ///
    /// # Errors
    /// A [`DecodeError`] naming the field; never panics.
    pub(crate) fn take(r: &mut Reader<'_>) -> Result<TicketLog, DecodeError> {
        let mut log = TicketLog::default();
        for _ in 0..count(r, "ticket origins", 32)? {
            let origin = NodeId(r.u64("ticket origin")?);
            let epoch = r.u64("ticket epoch")?;
            let floor = r.u64("ticket floor")?;
            let mut seen = BTreeSet::new();
            for _ in 0..count(r, "tickets seen", 8)? {
                seen.insert(r.u64("ticket seq")?);
            }
            log.origins.insert((origin, epoch), Window { floor, seen });
        }
        Ok(log)
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
