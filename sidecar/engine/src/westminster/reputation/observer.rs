//! One member's observer: records what it sees of each peer and turns it into scores and,
//! on the district leader, into the table the district publishes.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::{
    Config, ConfigError, Observation, ReputationTable, Score, Terms,
};

/// What one member observes of its peers, as inputs arrive.
///
/// Sans-IO: every input is a method call carrying the shell's `now`; nothing reads a
/// clock. Memory is bounded: a peer silent for `forget_after` is forgotten, and at most
/// `max_peers` peers are remembered.
///
/// Inputs about the observer itself are ignored: its own row is computed from its own
/// uptime ([`Terms::own`]).
///
/// # Which inputs, from where
/// - [`handle_heard`](Observer::handle_heard): any message from the peer.
/// - [`handle_round_trip`](Observer::handle_round_trip): a request and its answer, e.g.
///   a heartbeat round the peer echoed.
/// - [`handle_response`](Observer::handle_response): a request answered (`true`) or timed
///   out (`false`).
/// - [`handle_lag`](Observer::handle_lag) or [`handle_match`](Observer::handle_match):
///   on the leader, from its followers' match indexes.
/// - [`adopt`](Observer::adopt): every published table the member applies.
#[derive(Clone, Debug)]
pub struct Observer {
    me: NodeId,
    config: Config,
    started: Time,
    peers: BTreeMap<NodeId, Observation>,
}

impl Observer {
    /// The observer of member `me`, which started at `now`. Create it once per process
    /// start: the observer's own seniority counts from here.
    ///
    /// # Errors
    /// The [`ConfigError`] of [`Config::validate`].
    pub fn new(me: NodeId, config: Config, now: Time) -> Result<Observer, ConfigError> {
        config.validate()?;
        Ok(Observer {
            me,
            config,
            started: now,
            peers: BTreeMap::new(),
        })
    }

    /// The observing member.
    #[must_use]
    pub fn me(&self) -> NodeId {
        self.me
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A message arrived from `peer` at `now`.
    pub fn handle_heard(&mut self, peer: NodeId, now: Time) {
        let gap = self.config.contact_gap;
        if let Some(o) = self.record(peer, now) {
            o.heard(now, gap);
        }
    }

    /// A round trip to `peer` took `rtt`, its answer arriving at `now` (counts as heard).
    pub fn handle_round_trip(&mut self, peer: NodeId, rtt: Duration, now: Time) {
        let (gap, alpha) = (self.config.contact_gap, self.config.rtt_alpha);
        if let Some(o) = self.record(peer, now) {
            o.heard(now, gap);
            o.round_trip(rtt, alpha);
        }
    }

    /// A request to `peer` was answered (`ok`, counts as heard) or failed (timed out,
    /// refused, connection lost) at `now`.
    pub fn handle_response(&mut self, peer: NodeId, ok: bool, now: Time) {
        let (gap, alpha) = (self.config.contact_gap, self.config.success_alpha);
        if let Some(o) = self.record(peer, now) {
            if ok {
                o.heard(now, gap);
            }
            o.response(ok, alpha);
        }
    }

    /// `peer` is `lag` entries behind the leader's last index (reported by the leader).
    /// Not contact: the report may come from a stale match index.
    pub fn handle_lag(&mut self, peer: NodeId, lag: u64, now: Time) {
        if let Some(o) = self.record(peer, now) {
            o.lag = Some(lag);
        }
    }

    /// On the leader: `peer` has matched the log through `matched` while the leader's last
    /// index is `last`. The lag is `last − matched` (0 if the match is ahead).
    pub fn handle_match(&mut self, peer: NodeId, matched: LogIndex, last: LogIndex, now: Time) {
        self.handle_lag(peer, last.get().saturating_sub(matched.get()), now);
    }

    /// `peer` restarted at `now` (e.g. the transport saw a new incarnation): its seniority
    /// starts over. Counts as heard.
    pub fn handle_restart(&mut self, peer: NodeId, now: Time) {
        if let Some(o) = self.record(peer, now) {
            o.restarted(now);
        }
    }

    /// Carries the seniority of a published `table` applied at `now` into this observer,
    /// so that a member that becomes leader publishes the district's seniority rather
    /// than the time since its own election (docs/reputation.md#seniority-across-leaders).
    ///
    /// A row with seniority `s` says the member has been in unbroken contact since
    /// `now − s`. Where this observer is itself in unbroken contact with the member, the
    /// earlier start wins; otherwise the table's word replaces its own. Rows with zero
    /// seniority (the publisher had lost contact) and the observer's own row change
    /// nothing. Apply tables in log order, the newest last.
    pub fn adopt(&mut self, table: &ReputationTable, now: Time) {
        let gap = self.config.contact_gap;
        for (member, row) in table.rows() {
            if member == self.me || row.seniority.is_zero() {
                continue;
            }
            let carried = now - row.seniority;
            if let Some(o) = self.record(member, now) {
                o.vouched(carried, now, gap);
            }
        }
    }

    /// Frees the records of peers silent for longer than `forget_after` at `now`.
    ///
    /// Optional for correctness: scores already treat such peers as forgotten. Call it
    /// now and then (e.g. with each publication) to return their memory.
    pub fn tick(&mut self, now: Time) {
        let forget_after = self.config.forget_after;
        let before = self.peers.len();
        self.peers.retain(|_, o| !o.is_forgotten(now, forget_after));
        let forgotten = before - self.peers.len();
        if forgotten > 0 {
            tracing::debug!(
                forgotten,
                remembered = self.peers.len(),
                "reputation: forgot silent peers"
            );
        }
    }

    /// What has been observed of `peer`, if it is remembered (it may be forgotten at a
    /// later `now` than the last [`tick`](Observer::tick)).
    #[must_use]
    pub fn observation(&self, peer: NodeId) -> Option<&Observation> {
        self.peers.get(&peer)
    }

    /// Every remembered peer, in ascending id order.
    pub fn peers(&self) -> impl Iterator<Item = (NodeId, &Observation)> {
        self.peers.iter().map(|(id, o)| (*id, o))
    }

    /// How many peers are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The terms of `member` at `now` ([`Terms::own`] for the observer itself).
    #[must_use]
    pub fn terms_of(&self, member: NodeId, now: Time) -> Terms {
        if member == self.me {
            Terms::own(now.saturating_since(self.started), &self.config)
        } else {
            Terms::of(self.peers.get(&member), now, &self.config)
        }
    }

    /// The score of `member` at `now`; 0 for a peer never observed or forgotten.
    #[must_use]
    pub fn score_of(&self, member: NodeId, now: Time) -> Score {
        self.terms_of(member, now).score(&self.config.weights)
    }

    /// The unbroken contact with `member` at `now`, as this observer knows it (its own
    /// uptime for the observer itself).
    #[must_use]
    pub fn seniority_of(&self, member: NodeId, now: Time) -> Duration {
        if member == self.me {
            return now.saturating_since(self.started);
        }
        self.peers
            .get(&member)
            .filter(|o| !o.is_forgotten(now, self.config.forget_after))
            .map_or(Duration::ZERO, |o| o.uptime(now, self.config.contact_gap))
    }

    /// The table this observer would publish for the district's `members` at `now`, when
    /// the district's log reached `index`: one row per member (a member never observed
    /// gets score 0), this observer as the publisher.
    ///
    /// The published table is the district leader's view alone: rank only orders
    /// candidacy and picks hand-over targets and Lords, never who may win a vote, so a
    /// partial or biased view can cost time, never safety (docs/reputation.md#whose-view).
    #[must_use]
    pub fn publish(
        &self,
        members: impl IntoIterator<Item = NodeId>,
        index: LogIndex,
        now: Time,
    ) -> ReputationTable {
        let mut table = ReputationTable::new(self.me, index, now);
        for member in members {
            table.insert(
                member,
                self.score_of(member, now),
                self.seniority_of(member, now),
            );
        }
        table
    }

    /// The record of `peer`, made at `now` if new; `None` for the observer itself.
    ///
    /// At the `max_peers` limit, forgotten peers are freed first; if none is, the peer
    /// silent longest (lowest id among equals) makes room.
    fn record(&mut self, peer: NodeId, now: Time) -> Option<&mut Observation> {
        if peer == self.me {
            return None;
        }
        if !self.peers.contains_key(&peer) && self.peers.len() >= self.config.max_peers {
            self.tick(now);
            while self.peers.len() >= self.config.max_peers {
                let stalest = self
                    .peers
                    .iter()
                    .min_by_key(|(id, o)| (o.last_activity(), **id))
                    .map(|(id, _)| *id)?;
                self.peers.remove(&stalest);
                tracing::debug!(
                    evicted = %stalest,
                    max_peers = self.config.max_peers,
                    "reputation: observer full, evicted the peer silent longest"
                );
            }
        }
        Some(
            self.peers
                .entry(peer)
                .or_insert_with(|| Observation::new(now)),
        )
    }
}
