//! What a leader knows about one follower's log: how far it matches and what is in flight.

use std::collections::VecDeque;

use crate::engine::SnapshotMeta;
use crate::types::{LogIndex, Time};

/// Replication state of one follower, kept by the leader (raft-rs `Progress`).
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    /// The follower's log matches the leader's through this index.
    pub(crate) match_index: LogIndex,
    /// The next index to send.
    pub(crate) next_index: LogIndex,
    pub(crate) mode: Mode,
    /// Last index and heartbeat round of each append in flight (Replicate mode),
    /// oldest first.
    pub(crate) inflight: VecDeque<(LogIndex, u64)>,
    /// In Probe mode: an append is outstanding; wait for its answer or a heartbeat.
    pub(crate) probe_sent: bool,
    /// Heard from since the last check-quorum round.
    pub(crate) recent_active: bool,
    /// The highest heartbeat round this follower has echoed in this term.
    pub(crate) acked_round: u64,
    /// When the leader started the round the follower last echoed: the follower had not
    /// yet voted against this leader at that time, and will not for an election timeout.
    pub(crate) acked_at: Option<Time>,
    /// The highest commit index sent to this follower.
    pub(crate) commit_sent: LogIndex,
    /// In Snapshot mode: the transfer under way.
    pub(crate) snapshot: Option<SnapshotSend>,
}

/// A snapshot transfer to one follower: one chunk outstanding at a time, resumed from
/// the offset the follower last acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SnapshotSend {
    /// The snapshot being sent.
    pub(crate) meta: SnapshotMeta,
    /// Bytes the follower said it holds: the next chunk starts here.
    pub(crate) acked: u64,
    /// A chunk is outstanding; wait for its answer or the next heartbeat round.
    pub(crate) sent: bool,
}

/// How a leader sends to a follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Find the match point: one append at a time.
    Probe,
    /// Stream appends optimistically, up to `max_inflight` at once.
    Replicate,
    /// The follower needs entries this leader has compacted: send the snapshot.
    Snapshot,
}

impl Progress {
    pub(crate) fn new(next_index: LogIndex) -> Progress {
        Progress {
            match_index: LogIndex(0),
            next_index,
            mode: Mode::Probe,
            inflight: VecDeque::new(),
            probe_sent: false,
            recent_active: false,
            acked_round: 0,
            acked_at: None,
            commit_sent: LogIndex(0),
            snapshot: None,
        }
    }

    /// Starts (or restarts, for a newer snapshot) a snapshot transfer.
    pub(crate) fn start_snapshot(&mut self, meta: SnapshotMeta) {
        self.mode = Mode::Snapshot;
        self.inflight.clear();
        self.probe_sent = false;
        self.snapshot = Some(SnapshotSend {
            meta,
            acked: 0,
            sent: false,
        });
    }

    /// The follower holds the leader's log through `index` (it installed the snapshot
    /// at `index`, or already had it): probe from there.
    pub(crate) fn on_snapshot_done(&mut self, index: LogIndex) {
        self.match_index = self.match_index.max(index);
        self.next_index = self.match_index.next();
        self.mode = Mode::Probe;
        self.probe_sent = false;
        self.inflight.clear();
        self.snapshot = None;
    }

    /// Whether the follower could be told a higher commit index than it was.
    pub(crate) fn lags_commit(&self, commit: LogIndex) -> bool {
        self.commit_sent < commit.min(self.match_index)
    }

    /// Whether the leader must wait before sending more entries.
    pub(crate) fn is_paused(&self, max_inflight: usize) -> bool {
        match self.mode {
            Mode::Probe => self.probe_sent,
            Mode::Replicate => self.inflight.len() >= max_inflight,
            Mode::Snapshot => true,
        }
    }

    /// Records a successful append through `index`. Returns whether it was news.
    pub(crate) fn on_success(&mut self, index: LogIndex) -> bool {
        if self.mode == Mode::Snapshot {
            // A heartbeat's answer during a transfer proves a match only at `index`; the
            // transfer goes on until the follower reports it installed the snapshot.
            let news = index > self.match_index;
            self.match_index = self.match_index.max(index);
            return news;
        }
        let news = index > self.match_index;
        if news {
            self.match_index = index;
        }
        self.next_index = self.next_index.max(index.next());
        while self.inflight.front().is_some_and(|&(i, _)| i <= index) {
            self.inflight.pop_front();
        }
        // In Probe mode only the probe's own success proves where the logs match; a
        // heartbeat's success (at the old match point) does not.
        if self.mode == Mode::Probe && index >= self.next_index.prev() {
            self.mode = Mode::Replicate;
            self.probe_sent = false;
            self.inflight.clear();
            self.next_index = self.match_index.next();
        }
        news
    }

    /// Records a rejection of the append after `rejected`; `next` is where the hint
    /// says to resume. Returns false for a stale rejection, which is ignored.
    pub(crate) fn on_reject(&mut self, rejected: LogIndex, next: LogIndex) -> bool {
        match self.mode {
            Mode::Replicate if rejected <= self.match_index => return false,
            Mode::Probe if rejected != self.next_index.prev() => return false,
            Mode::Snapshot => return false, // the transfer decides where to resume
            _ => {}
        }
        self.mode = Mode::Probe;
        self.inflight.clear();
        self.probe_sent = false;
        self.next_index = next
            .max(self.match_index.next())
            .min(rejected.max(self.match_index.next()));
        true
    }

    /// Records an append of entries through `last` just sent in heartbeat `round`.
    pub(crate) fn on_sent(&mut self, last: LogIndex, round: u64) {
        match self.mode {
            Mode::Probe => self.probe_sent = true,
            Mode::Replicate => {
                self.next_index = last.next();
                self.inflight.push_back((last, round));
            }
            Mode::Snapshot => {}
        }
    }

    /// Called with the round an answer echoed: if an older append is still unanswered,
    /// assume it was lost and resend everything after the match point.
    pub(crate) fn resend_if_lost(&mut self, answered_round: u64) {
        if self.mode == Mode::Replicate
            && self
                .inflight
                .front()
                .is_some_and(|&(_, r)| r < answered_round)
        {
            self.inflight.clear();
            self.next_index = self.match_index.next();
        }
    }
}
