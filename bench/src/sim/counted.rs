//! A [`Node`] wrapper that counts what its member sends: [`Counted`]. The simulator's
//! own counters (`NetStats`, `MemberNode::stats`) count messages since boot; a benchmark
//! needs messages, bytes and peers within its measurement window, for any kind of node.

use std::collections::BTreeSet;

use parliament_engine::engine::{Message, MessageBody};
use parliament_engine::westminster::{Envelope, SessionMessage};
use parliament_engine::{NodeId, Time};
use parliament_tests::sim::{Node, Outbox};

/// Bytes of one message under the benchmark's size model (docs/benchmarks.md, "Bytes"):
/// 8 bytes for every integer or flag, an entry's own [`size`](parliament_engine::engine::Entry::size)
/// (16 bytes plus its payload), payloads as they are. Not the protobuf size: the same
/// model for both topologies, so that their ratio means something.
pub trait WireSize {
    /// The modelled size in bytes.
    fn wire_size(&self) -> u64;
}

/// Group, from, to, term.
const HEADER: u64 = 4 * 8;

impl WireSize for Message {
    fn wire_size(&self) -> u64 {
        HEADER
            + match &self.body {
                MessageBody::PreVote { .. } | MessageBody::RequestVoteResponse { .. } => 16,
                MessageBody::PreVoteResponse { .. } => 8,
                MessageBody::RequestVote { .. } => 24,
                MessageBody::Append { entries, .. } => {
                    32 + entries.iter().map(|e| e.size() as u64).sum::<u64>()
                }
                MessageBody::AppendResponse { .. } => 40,
                MessageBody::TimeoutNow => 0,
                MessageBody::InstallSnapshot { data, .. } => 64 + data.len() as u64,
                MessageBody::InstallSnapshotResponse { .. } => 56,
            }
    }
}

impl WireSize for Envelope {
    fn wire_size(&self) -> u64 {
        const TICKET: u64 = 3 * 8;
        match self {
            Envelope::District(m) => m.wire_size(),
            // The host's incarnation and the forwarded flag.
            Envelope::Commons { message, .. } => 16 + message.wire_size(),
            Envelope::Session(SessionMessage::Submit { command, .. }) => {
                TICKET + command.len() as u64
            }
            Envelope::Session(SessionMessage::Batch { entries, .. }) => {
                8 + entries
                    .iter()
                    .map(|e| TICKET + e.command.len() as u64)
                    .sum::<u64>()
            }
            Envelope::Session(SessionMessage::Refused { .. }) => TICKET + 16,
        }
    }
}

/// What a member sent since the counters were last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Messages.
    pub messages: u64,
    /// Bytes under the [`WireSize`] model.
    pub bytes: u64,
    /// Distinct members sent to.
    pub peers: BTreeSet<NodeId>,
}

/// A node whose sends are counted; everything else is the inner node's.
#[derive(Debug)]
pub struct Counted<N> {
    /// The member.
    pub inner: N,
    /// Its sends since the last [`Counted::reset`].
    pub sent: Sent,
}

impl<N: Node> Counted<N>
where
    N::Message: WireSize,
{
    /// Wraps `inner` with zeroed counters.
    pub fn new(inner: N) -> Counted<N> {
        Counted {
            inner,
            sent: Sent::default(),
        }
    }

    /// Zeroes the counters (at the start of a measurement window).
    pub fn reset(&mut self) {
        self.sent = Sent::default();
    }

    /// Counts what `f` puts in a scratch outbox, then passes it on to `out` in order.
    pub fn counting<R>(
        &mut self,
        out: &mut Outbox<N::Message>,
        f: impl FnOnce(&mut N, &mut Outbox<N::Message>) -> R,
    ) -> R {
        let mut mine = Outbox::new();
        let r = f(&mut self.inner, &mut mine);
        for (to, msg) in mine.drain() {
            self.sent.messages += 1;
            self.sent.bytes += msg.wire_size();
            self.sent.peers.insert(to);
            out.send(to, msg);
        }
        r
    }
}

impl<N: Node> Node for Counted<N>
where
    N::Message: WireSize,
{
    type Message = N::Message;

    fn tick(&mut self, now: Time, out: &mut Outbox<N::Message>) {
        self.counting(out, |n, o| n.tick(now, o));
    }

    fn receive(&mut self, now: Time, from: NodeId, msg: N::Message, out: &mut Outbox<N::Message>) {
        self.counting(out, |n, o| n.receive(now, from, msg, o));
    }

    fn crash(&mut self) {
        self.inner.crash();
    }

    fn restart(&mut self, now: Time, seed: u64, out: &mut Outbox<N::Message>) {
        self.counting(out, |n, o| n.restart(now, seed, o));
    }

    fn leads(&self) -> bool {
        self.inner.leads()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parliament_engine::engine::{Entry, Payload};
    use parliament_engine::{GroupId, LogIndex, Term};

    #[test]
    fn an_append_costs_its_entries() {
        let append = |entries: Vec<Entry>| Message {
            group: GroupId(1),
            from: NodeId(1),
            to: NodeId(2),
            term: Term(1),
            body: MessageBody::Append {
                prev_index: LogIndex(0),
                prev_term: Term(0),
                entries,
                commit: LogIndex(0),
                round: 0,
            },
        };
        let heartbeat = append(Vec::new()).wire_size();
        let entry = Entry {
            term: Term(1),
            index: LogIndex(1),
            payload: Payload::Command(bytes::Bytes::from(vec![0u8; 100])),
        };
        assert_eq!(append(vec![entry.clone()]).wire_size(), heartbeat + 116);
        let wrapped = Envelope::Commons {
            incarnation: Term(1),
            forwarded: false,
            message: append(vec![entry]),
        };
        assert_eq!(wrapped.wire_size(), heartbeat + 116 + 16);
    }
}
