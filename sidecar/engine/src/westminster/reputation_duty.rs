//! A member's reputation duty: feeding its [`Observer`] from the district traffic it
//! sees, deciding when the district leader publishes, and keeping the table the member
//! ranks from (docs/protocol.md#111-publishing-reputation).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::engine::{Message, MessageBody};
use crate::types::{LogIndex, NodeId, Term, Time};
use crate::westminster::reputation::{Config, ConfigError, Observer, ReputationTable, Score};

/// Heartbeat rounds remembered per follower while waiting for their echo: more than
/// an election timeout of 100 ms heartbeats, so only a silent follower overflows it.
const MAX_PROBES: usize = 64;

/// What a member observes for reputation, and the district table it ranks from.
#[derive(Debug)]
pub(crate) struct ReputationDuty {
    observer: Observer,
    /// The last table applied from the district log.
    table: Option<ReputationTable>,
    /// While leading: heartbeat rounds sent to each follower and not yet echoed, with
    /// when each was first sent, oldest first.
    probes: BTreeMap<NodeId, VecDeque<(u64, Time)>>,
    /// While leading: the match index each follower last reported, in `term`.
    matched: BTreeMap<NodeId, LogIndex>,
    /// The term `probes` and `matched` belong to.
    term: Term,
    /// While leading: when to publish next.
    next_publish: Option<Time>,
}

impl ReputationDuty {
    pub(crate) fn new(me: NodeId, config: Config, now: Time) -> Result<Self, ConfigError> {
        Ok(ReputationDuty {
            observer: Observer::new(me, config, now)?,
            table: None,
            probes: BTreeMap::new(),
            matched: BTreeMap::new(),
            term: Term(0),
            next_publish: None,
        })
    }

    pub(crate) fn observer(&self) -> &Observer {
        &self.observer
    }

    pub(crate) fn table(&self) -> Option<&ReputationTable> {
        self.table.as_ref()
    }

    /// The match index `peer` last reported to this leader.
    pub(crate) fn matched(&self, peer: NodeId) -> Option<LogIndex> {
        self.matched.get(&peer).copied()
    }

    /// Any message from a member of the district.
    pub(crate) fn heard(&mut self, peer: NodeId, now: Time) {
        self.observer.handle_heard(peer, now);
    }

    /// This member became leader of the district in `term`: the first table follows
    /// after `first_after`, once a few heartbeat rounds have been timed.
    pub(crate) fn lead(&mut self, term: Term, now: Time, first_after: Duration) {
        self.forget_leadership();
        self.term = term;
        self.next_publish = Some(now + first_after);
    }

    /// This member no longer leads the district.
    pub(crate) fn forget_leadership(&mut self) {
        self.probes.clear();
        self.matched.clear();
        self.next_publish = None;
    }

    /// A district message this leader sends: an append starts timing its round.
    pub(crate) fn sent(&mut self, m: &Message, now: Time) {
        if self.next_publish.is_none() || m.term != self.term {
            return;
        }
        if let MessageBody::Append { round, .. } = m.body {
            let probes = self.probes.entry(m.to).or_default();
            if probes.back().is_some_and(|(r, _)| *r >= round) {
                return;
            }
            if probes.len() >= MAX_PROBES {
                probes.pop_front();
            }
            probes.push_back((round, now));
        }
    }

    /// A district message received from `m.from`: answers to this leader's appends and
    /// snapshot chunks are responses, round trips and match reports.
    pub(crate) fn received(&mut self, m: &Message, last_index: LogIndex, now: Time) {
        if self.next_publish.is_none() || m.term != self.term {
            return;
        }
        let peer = m.from;
        let round = match m.body {
            MessageBody::AppendResponse {
                success,
                index,
                round,
                ..
            } => {
                if success {
                    let seen = self.matched.entry(peer).or_default();
                    *seen = (*seen).max(index);
                    self.observer.handle_match(peer, *seen, last_index, now);
                }
                round
            }
            MessageBody::InstallSnapshotResponse { round, .. } => round,
            _ => return,
        };
        self.observer.handle_response(peer, true, now);
        let Some(probes) = self.probes.get_mut(&peer) else {
            return;
        };
        if let Some(&(_, sent)) = probes.iter().find(|(r, _)| *r == round) {
            self.observer
                .handle_round_trip(peer, now.saturating_since(sent), now);
        }
        while probes.front().is_some_and(|(r, _)| *r <= round) {
            probes.pop_front();
        }
    }

    /// Rounds unanswered for `timeout` count as failed responses.
    pub(crate) fn expire(&mut self, now: Time, timeout: Duration) {
        for (peer, probes) in &mut self.probes {
            while probes
                .front()
                .is_some_and(|(_, sent)| *sent + timeout <= now)
            {
                probes.pop_front();
                self.observer.handle_response(*peer, false, now);
            }
        }
    }

    /// Whether this leader should publish now.
    pub(crate) fn due(&self, now: Time) -> bool {
        self.next_publish.is_some_and(|t| now >= t)
    }

    /// The table to publish for `members` at `index`; the next one is due `interval`
    /// later.
    pub(crate) fn publish(
        &mut self,
        members: impl IntoIterator<Item = NodeId>,
        index: LogIndex,
        now: Time,
        interval: Duration,
    ) -> ReputationTable {
        self.next_publish = Some(now + interval);
        self.observer.tick(now);
        self.observer.publish(members, index, now)
    }

    /// A table applied from the district log.
    pub(crate) fn adopt(&mut self, table: ReputationTable, now: Time) {
        self.observer.adopt(&table, now);
        self.table = Some(table);
    }
}

/// A district's standing among districts: the mean score of its published table
/// (docs/protocol.md#111-publishing-reputation). A district whose members answer late,
/// fail or lag stands lower, whoever leads it.
#[must_use]
pub(crate) fn standing(table: &ReputationTable) -> Score {
    let (sum, n) = table.rows().fold((0u64, 0u64), |(s, n), (_, row)| {
        (s + u64::from(row.score.get()), n + 1)
    });
    let mean = sum.checked_div(n).unwrap_or(0);
    Score::new(u16::try_from(mean).unwrap_or(u16::MAX)).unwrap_or(Score::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::GroupId;

    fn msg(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
        Message {
            group: GroupId(1),
            from: NodeId(from),
            to: NodeId(to),
            term: Term(term),
            body,
        }
    }

    fn append(round: u64) -> MessageBody {
        MessageBody::Append {
            prev_index: LogIndex(0),
            prev_term: Term(0),
            entries: Vec::new(),
            commit: LogIndex(0),
            round,
        }
    }

    fn response(index: u64, round: u64) -> MessageBody {
        MessageBody::AppendResponse {
            success: true,
            index: LogIndex(index),
            hint_index: LogIndex(0),
            hint_term: None,
            round,
        }
    }

    #[test]
    fn a_leader_times_rounds_records_matches_and_fails_silent_followers() {
        let mut d = ReputationDuty::new(NodeId(1), Config::default(), Time(0)).unwrap();
        tracing::info!("--- not leading: nothing is observed but contact");
        d.sent(&msg(1, 2, 3, append(1)), Time(0));
        d.received(&msg(2, 1, 3, response(5, 1)), LogIndex(5), Time(4));
        assert_eq!(d.matched(NodeId(2)), None);
        tracing::info!("--- leading in term 3");
        d.lead(Term(3), Time(10), Duration::from_secs(1));
        d.sent(&msg(1, 2, 3, append(7)), Time(10));
        d.sent(&msg(1, 3, 3, append(7)), Time(10));
        d.received(&msg(2, 1, 3, response(5, 7)), LogIndex(6), Time(14));
        assert_eq!(d.matched(NodeId(2)), Some(LogIndex(5)));
        let o = d.observer().observation(NodeId(2)).unwrap();
        assert_eq!(o.rtt, Some(Duration::from_millis(4)));
        assert_eq!(o.lag, Some(1));
        tracing::info!("--- an older term's answer is ignored; a silent follower fails");
        d.received(&msg(3, 1, 2, response(6, 7)), LogIndex(6), Time(15));
        assert_eq!(d.matched(NodeId(3)), None);
        d.expire(Time(1_010), Duration::from_secs(1));
        let o = d.observer().observation(NodeId(3));
        assert_eq!(o.and_then(|o| o.success), Some(0.0));
        assert!(!d.due(Time(1_009)));
        assert!(d.due(Time(1_010)));
    }

    #[test]
    fn standing_is_the_mean_score() {
        let mut t = ReputationTable::new(NodeId(1), LogIndex(1), Time(0));
        assert_eq!(standing(&t), Score::ZERO);
        for (id, s) in [(1, 9_000), (2, 6_000), (3, 0)] {
            t.insert(NodeId(id), Score::new(s).unwrap(), Duration::ZERO);
        }
        assert_eq!(standing(&t), Score::new(5_000).unwrap());
    }
}
