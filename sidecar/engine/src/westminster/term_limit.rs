//! One level's term limit: when this member's tenure as leader began, when it must hand
//! over, and the hand-over under way (docs/protocol.md#112-term-limits). Pure
//! bookkeeping: the member picks targets and calls the engine.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::types::{NodeId, Term, Time};

/// What a term limit asks of its leader at a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Poll {
    /// Nothing to do: not due, or a hand-over is under way.
    Idle,
    /// The hand-over to this target did not complete in time: it is abandoned, and the
    /// next attempt picks another candidate.
    Abandoned(NodeId),
    /// The tenure is over: pick a target and hand over.
    Due,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attempt {
    to: NodeId,
    give_up: Time,
}

/// The term limit of one group (the district, or the Commons for the seat).
#[derive(Clone, Debug, Default)]
pub(crate) struct TermLimit {
    /// The term this member leads in, when it became leader, and whether the tenure is
    /// staggered (it began with an ordinary election, not as a hand-over's successor).
    tenure: Option<(Term, Time, bool)>,
    attempt: Option<Attempt>,
    /// Targets of this tenure's abandoned hand-overs.
    tried: BTreeSet<NodeId>,
    /// No new attempt before this (after every candidate was tried).
    pause_until: Option<Time>,
}

impl TermLimit {
    /// Follows the member's role: `Some(term)` while it leads the group. A new term of
    /// leadership starts a new tenure; losing leadership ends it (and whatever hand-over
    /// was under way: it completed, or someone else won). `successor` says the new term
    /// was won as the target of a hand-over.
    pub(crate) fn observe(&mut self, leading: Option<Term>, now: Time, successor: bool) {
        match (leading, self.tenure) {
            (Some(term), Some((t, _, _))) if t == term => {}
            (Some(term), _) => {
                *self = TermLimit {
                    tenure: Some((term, now, !successor)),
                    ..TermLimit::default()
                };
            }
            (None, _) => *self = TermLimit::default(),
        }
    }

    /// When the tenure ends: its start plus `limit`, plus `stagger` unless it succeeded
    /// a hand-over. A successor inherits its predecessor's place in the rotation, so
    /// each group keeps the phase its first staggered tenure gave it, and groups stay
    /// `limit / groups` apart (docs/protocol.md#112-term-limits).
    pub(crate) fn deadline(&self, limit: Duration, stagger: Duration) -> Option<Time> {
        self.tenure.map(|(_, since, staggered)| {
            since + limit + if staggered { stagger } else { Duration::ZERO }
        })
    }

    /// When the current tenure began.
    pub(crate) fn since(&self) -> Option<Time> {
        self.tenure.map(|(_, since, _)| since)
    }

    /// The target of the hand-over under way.
    pub(crate) fn handing_over(&self) -> Option<NodeId> {
        self.attempt.map(|a| a.to)
    }

    /// Targets already tried in this tenure.
    pub(crate) fn tried(&self) -> &BTreeSet<NodeId> {
        &self.tried
    }

    /// What to do at `now`, the tenure being over when `due`.
    pub(crate) fn poll(&mut self, now: Time, due: bool) -> Poll {
        if let Some(a) = self.attempt {
            if now < a.give_up {
                return Poll::Idle;
            }
            self.attempt = None;
            self.tried.insert(a.to);
            return Poll::Abandoned(a.to);
        }
        if due && self.tenure.is_some() && self.pause_until.is_none_or(|p| now >= p) {
            Poll::Due
        } else {
            Poll::Idle
        }
    }

    /// A hand-over to `to` began at `now`; abandoned unless it completes by `timeout`.
    pub(crate) fn start(&mut self, to: NodeId, now: Time, timeout: Duration) {
        self.attempt = Some(Attempt {
            to,
            give_up: now + timeout,
        });
    }

    /// No untried candidate is left: every candidate may be tried again after `pause`.
    pub(crate) fn exhausted(&mut self, now: Time, pause: Duration) {
        if !self.tried.is_empty() {
            self.tried.clear();
            self.pause_until = Some(now + pause);
        }
    }
}

/// District `position`'s offset of `limit` among `of` districts: `limit · position / of`,
/// so the districts' first deadlines are `limit / of` apart.
#[must_use]
pub(crate) fn stagger(limit: Duration, position: u32, of: u32) -> Duration {
    if of == 0 {
        return Duration::ZERO;
    }
    let ms = limit.as_millis() * u128::from(position.min(of)) / u128::from(of);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_tenure_comes_due_hands_over_abandons_and_tries_again_after_a_pause() {
        let mut t = TermLimit::default();
        assert_eq!(t.poll(Time(0), true), Poll::Idle, "no tenure, nothing due");
        t.observe(Some(Term(2)), Time(1_000), false);
        assert_eq!(t.deadline(10 * SECOND, SECOND), Some(Time(12_000)));
        assert_eq!(t.poll(Time(11_999), false), Poll::Idle);
        assert_eq!(t.poll(Time(12_000), true), Poll::Due);
        t.start(NodeId(5), Time(12_000), 2 * SECOND);
        assert_eq!(t.handing_over(), Some(NodeId(5)));
        assert_eq!(t.poll(Time(13_999), true), Poll::Idle);
        tracing::info!("--- the hand-over did not complete within the timeout");
        assert_eq!(t.poll(Time(14_000), true), Poll::Abandoned(NodeId(5)));
        assert_eq!(t.tried(), &BTreeSet::from([NodeId(5)]));
        assert_eq!(t.poll(Time(14_000), true), Poll::Due);
        t.exhausted(Time(14_000), 3 * SECOND);
        assert!(t.tried().is_empty());
        assert_eq!(t.poll(Time(16_999), true), Poll::Idle);
        assert_eq!(t.poll(Time(17_000), true), Poll::Due);
        tracing::info!("--- the same term keeps the tenure; a new term or losing ends it");
        t.observe(Some(Term(2)), Time(18_000), true);
        assert_eq!(t.deadline(10 * SECOND, SECOND), Some(Time(12_000)));
        t.observe(Some(Term(4)), Time(20_000), false);
        assert_eq!(t.deadline(10 * SECOND, SECOND), Some(Time(31_000)));
        t.observe(None, Time(21_000), false);
        assert_eq!(t.deadline(10 * SECOND, SECOND), None);
        tracing::info!("--- a hand-over's successor keeps the rotation's phase: no stagger");
        t.observe(Some(Term(6)), Time(40_000), true);
        assert_eq!(t.deadline(10 * SECOND, SECOND), Some(Time(50_000)));
    }

    #[test]
    fn stagger_spreads_districts_over_one_limit() {
        let limit = 30 * SECOND;
        let offsets: Vec<Duration> = (0..3).map(|p| stagger(limit, p, 3)).collect();
        assert_eq!(offsets, vec![Duration::ZERO, 10 * SECOND, 20 * SECOND]);
        assert_eq!(stagger(limit, 0, 0), Duration::ZERO);
    }
}
