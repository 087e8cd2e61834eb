//! What every member's transport wrote to each peer, read at the two ends of a window:
//! [`Traffic`] (one reading) and [`Sent`] (one member's share of the window). The
//! counters are the transport's own (`parliament_net::PeerStats`): envelopes, frames
//! and the frames' protobuf bytes, counted once HTTP/2 took them.

use std::collections::BTreeMap;

use parliament::node::NodeHandle;
use parliament_engine::NodeId;
use serde::{Deserialize, Serialize};

/// One link's counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    messages: u64,
    frames: u64,
    bytes: u64,
    dropped: u64,
    /// Streams up with that peer at the reading.
    streams: usize,
}

/// Every member's links, read once.
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    by_member: BTreeMap<NodeId, BTreeMap<NodeId, Link>>,
}

/// A reading as plain rows (member, then peer and link), as a host process sends it.
pub type Rows = Vec<(u64, Vec<(u64, Link)>)>;

/// What one member sent within a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Envelopes (engine messages) written to streams.
    pub messages: u64,
    /// Frames (batches of envelopes) written.
    pub frames: u64,
    /// Protobuf bytes of those frames.
    pub bytes: u64,
    /// Distinct peers it sent at least one envelope to.
    pub peers: usize,
    /// Envelopes its full queues dropped.
    pub dropped: u64,
}

impl Traffic {
    /// Reads every member's links now.
    #[must_use]
    pub fn read(handles: &[NodeHandle]) -> Traffic {
        let by_member = handles
            .iter()
            .map(|h| {
                let links = h
                    .peer_stats()
                    .peers()
                    .map(|(peer, s)| {
                        let link = Link {
                            messages: s.sent_messages,
                            frames: s.sent_frames,
                            bytes: s.sent_bytes,
                            dropped: s.dropped_overflow,
                            streams: s.streams,
                        };
                        (peer, link)
                    })
                    .collect();
                (member_of(h), links)
            })
            .collect();
        Traffic { by_member }
    }

    /// This reading as [`Rows`].
    #[must_use]
    pub fn rows(&self) -> Rows {
        self.by_member
            .iter()
            .map(|(m, links)| (m.0, links.iter().map(|(p, l)| (p.0, *l)).collect()))
            .collect()
    }

    /// One reading of the members of several processes, from each one's [`Rows`].
    #[must_use]
    pub fn from_rows(parts: impl IntoIterator<Item = Rows>) -> Traffic {
        let mut t = Traffic::default();
        for (member, links) in parts.into_iter().flatten() {
            t.by_member
                .entry(NodeId(member))
                .or_default()
                .extend(links.into_iter().map(|(p, l)| (NodeId(p), l)));
        }
        t
    }

    /// Streams up at this reading: in all (each has both its ends at members read here,
    /// so half the ends counted), and the most one member held.
    #[must_use]
    pub fn streams(&self) -> (usize, usize) {
        let ends: usize = self.per_member_streams().map(|(_, n)| n).sum();
        (ends / 2, self.busiest().map_or(0, |(_, n)| n))
    }

    /// The member that held the most streams at this reading, and how many.
    #[must_use]
    pub fn busiest(&self) -> Option<(NodeId, usize)> {
        self.per_member_streams()
            .max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)))
    }

    fn per_member_streams(&self) -> impl Iterator<Item = (NodeId, usize)> + '_ {
        self.by_member
            .iter()
            .map(|(id, links)| (*id, links.values().map(|l| l.streams).sum()))
    }

    /// Each member's sends between `earlier` and this reading.
    #[must_use]
    pub fn since(&self, earlier: &Traffic) -> BTreeMap<NodeId, Sent> {
        self.by_member
            .iter()
            .map(|(member, links)| {
                let mut sent = Sent::default();
                for (peer, now) in links {
                    let then = earlier
                        .by_member
                        .get(member)
                        .and_then(|l| l.get(peer))
                        .copied()
                        .unwrap_or_default();
                    let messages = now.messages.saturating_sub(then.messages);
                    sent.messages += messages;
                    sent.frames += now.frames.saturating_sub(then.frames);
                    sent.bytes += now.bytes.saturating_sub(then.bytes);
                    sent.dropped += now.dropped.saturating_sub(then.dropped);
                    sent.peers += usize::from(messages > 0);
                }
                (*member, sent)
            })
            .collect()
    }
}

/// The member a handle drives.
#[must_use]
pub fn member_of(handle: &NodeHandle) -> NodeId {
    handle.roles().borrow().member
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(links: &[(u64, u64, Link)]) -> Traffic {
        let mut t = Traffic::default();
        for &(from, to, link) in links {
            t.by_member
                .entry(NodeId(from))
                .or_default()
                .insert(NodeId(to), link);
        }
        t
    }

    fn link(messages: u64, bytes: u64) -> Link {
        Link {
            messages,
            frames: messages.div_ceil(2),
            bytes,
            dropped: 0,
            streams: 1,
        }
    }

    #[test]
    fn a_window_counts_only_what_was_sent_in_it_and_peers_actually_sent_to() {
        let before = reading(&[(1, 2, link(10, 1000)), (1, 3, link(5, 500))]);
        let after = reading(&[
            (1, 2, link(14, 1400)),
            (1, 3, link(5, 500)),
            (2, 1, link(3, 90)),
        ]);
        let w = after.since(&before);
        let one = &w[&NodeId(1)];
        assert_eq!((one.messages, one.bytes, one.peers), (4, 400, 1));
        // A member first seen after the window opened counts from zero.
        assert_eq!(w[&NodeId(2)].messages, 3);
        assert_eq!(w[&NodeId(2)].peers, 1);
        // Member 1 holds two stream ends, member 2 one: three ends of (in one process)
        // one whole stream and half of another, which rounds down.
        assert_eq!(after.streams(), (1, 2));
    }

    #[test]
    fn readings_of_several_processes_merge_into_one() {
        let one = reading(&[(1, 2, link(10, 1000))]);
        let two = reading(&[(2, 1, link(7, 700)), (3, 1, link(1, 10))]);
        let both = Traffic::from_rows([one.rows(), two.rows()]);
        assert_eq!(both.rows().len(), 3);
        assert_eq!(both.streams(), (1, 1));
        let w = both.since(&Traffic::default());
        assert_eq!(w[&NodeId(2)].bytes, 700);
        assert_eq!(w[&NodeId(1)].messages, 10);
    }
}
