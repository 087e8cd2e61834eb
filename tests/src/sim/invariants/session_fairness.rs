//! The session fairness bound (issue #3, docs/protocol.md#96-sessions):
//! [`SessionFairness`].
//!
//! Precisely: while the parliament is *calm* — network conditions are
//! `Conditions::calm()`, no partition, every member up, and no role changed at either
//! level — a global write submitted at virtual time `t`, when fewer than
//! `max_batch_per_district` writes were queued ahead of it at its representative (so it
//! is at the head of its queue), is proposed in a session the Prime Minister holds no
//! later than `t + bound`, where `bound` is two session intervals plus the hops (origin →
//! representative → Prime Minister, and one more when the representative knows no host
//! of the Prime Minister's seat and a member of its district passes the batch on) at the
//! calm network's largest delay, plus two ticks of timer granularity. That is "within two sessions of reaching the head of
//! its queue": the representative passes it on at its next interval, the Prime
//! Minister takes it in its next session. A write whose window is not wholly calm is
//! not judged (faults may delay or lose it; the client then retries).

use std::collections::BTreeMap;
use std::time::Duration;

use parliament_engine::westminster::Ticket;
use parliament_engine::{LogIndex, Time};

use super::Violation;

/// Checks that every calm global write is proposed within two sessions.
#[derive(Clone, Debug)]
pub struct SessionFairness {
    bound: Duration,
    calm: bool,
    /// Calm writes submitted and not yet seen applied: when.
    submitted: BTreeMap<Ticket, Time>,
    /// Sessions by their first Commons index: when held, and how many entries.
    sessions: BTreeMap<LogIndex, (Time, u64)>,
    checked: u64,
    worst: Duration,
}

impl SessionFairness {
    /// A checker for `bound` (see the module docs for how to derive it).
    #[must_use]
    pub fn new(bound: Duration) -> SessionFairness {
        SessionFairness {
            bound,
            calm: false,
            submitted: BTreeMap::new(),
            sessions: BTreeMap::new(),
            checked: 0,
            worst: Duration::ZERO,
        }
    }

    /// The bound checked.
    #[must_use]
    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// Whether the parliament is calm now; anything unjudged from before a disturbance
    /// is excused.
    pub fn set_calm(&mut self, calm: bool) {
        if !calm {
            self.submitted.clear();
        }
        self.calm = calm;
    }

    /// A write was submitted; `at_head` when fewer than one session's worth was queued
    /// ahead of it at its representative.
    pub fn submitted(&mut self, ticket: Ticket, at: Time, at_head: bool) {
        if self.calm && at_head {
            self.submitted.insert(ticket, at);
        }
    }

    /// The Prime Minister held a session at `at`: `len` entries from Commons index
    /// `first`.
    pub fn session(&mut self, at: Time, first: LogIndex, len: u64) {
        self.sessions.insert(first, (at, len));
    }

    /// A member applied the write with `ticket` at Commons `index`.
    pub fn applied(&mut self, ticket: Ticket, index: LogIndex, out: &mut Vec<Violation>) {
        let Some(submitted) = self.submitted.remove(&ticket) else {
            return;
        };
        let Some((&first, &(held, len))) = self.sessions.range(..=index).next_back() else {
            return;
        };
        if index.0 >= first.0 + len {
            // Not proposed by a session this run saw (it saw every PM's sessions, so
            // this is a session of a member that crashed before being looked at).
            return;
        }
        let waited = Duration::from_millis(held.0.saturating_sub(submitted.0));
        self.checked += 1;
        self.worst = self.worst.max(waited);
        if waited > self.bound {
            out.push(Violation::new(
                "session-fairness",
                held,
                Some(ticket.origin),
                format!(
                    "global write {ticket} submitted at {} ms in a calm parliament waited {} ms for the session at index {first} (bound {} ms: two sessions)",
                    submitted.0,
                    waited.as_millis(),
                    self.bound.as_millis()
                ),
            ));
        }
    }

    /// Writes judged, and the longest any waited for its session.
    #[must_use]
    pub fn figures(&self) -> (u64, Duration) {
        (self.checked, self.worst)
    }
}

#[cfg(test)]
mod tests {
    use parliament_engine::NodeId;

    use super::*;

    fn ticket(seq: u64) -> Ticket {
        Ticket {
            origin: NodeId(4),
            epoch: 0,
            seq,
        }
    }

    #[test]
    fn a_calm_write_proposed_late_is_flagged() {
        let mut f = SessionFairness::new(Duration::from_millis(40));
        f.set_calm(true);
        f.submitted(ticket(1), Time(100), true);
        f.submitted(ticket(2), Time(100), true);
        f.session(Time(130), LogIndex(7), 1);
        f.session(Time(190), LogIndex(8), 1);
        let mut out = Vec::new();
        f.applied(ticket(1), LogIndex(7), &mut out);
        assert!(out.is_empty(), "{out:?}");
        f.applied(ticket(2), LogIndex(8), &mut out);
        assert_eq!(out.len(), 1, "a district starved for 90 ms is flagged");
        assert_eq!(f.figures(), (2, Duration::from_millis(90)));
    }

    #[test]
    fn writes_of_a_disturbed_window_or_behind_a_long_queue_are_not_judged() {
        let mut f = SessionFairness::new(Duration::from_millis(40));
        f.set_calm(true);
        f.submitted(ticket(1), Time(100), true);
        f.submitted(ticket(2), Time(100), false);
        f.set_calm(false);
        f.set_calm(true);
        f.session(Time(500), LogIndex(3), 2);
        let mut out = Vec::new();
        f.applied(ticket(1), LogIndex(3), &mut out);
        f.applied(ticket(2), LogIndex(4), &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(f.figures().0, 0);
    }
}
