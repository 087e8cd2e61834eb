//! A [`Node`] wrapper that counts what its member sends: [`Counted`]. The simulator's
//! own counters (`NetStats`, `MemberNode::stats`) count messages since boot; a benchmark
//! needs messages, bytes and peers within its measurement window, for any kind of node.

use std::collections::BTreeSet;

use parliament_engine::engine::Message;
use parliament_engine::westminster::Envelope;
use parliament_engine::{NodeId, Time};
use parliament_proto::peer;
use parliament_tests::sim::{Node, Outbox};
use prost::Message as _;

/// Bytes of one message on the wire: its protobuf encoding in the peer protocol
/// (`proto/parliament/peer/v1/peer.proto`), as the sidecar's transport sends it, without
/// the gRPC and HTTP/2 framing around each message.
pub trait WireSize {
    /// The encoded size in bytes.
    fn wire_size(&self) -> u64;
}

impl WireSize for Message {
    fn wire_size(&self) -> u64 {
        peer::Message::from(self).encoded_len() as u64
    }
}

impl WireSize for Envelope {
    fn wire_size(&self) -> u64 {
        peer::Envelope::from(self).encoded_len() as u64
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
    use parliament_engine::engine::{Entry, MessageBody, Payload};
    use parliament_engine::{GroupId, LogIndex, Term};

    #[test]
    fn an_append_costs_its_entries_and_a_commons_wrapper_a_little_more() {
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
        let one = append(vec![entry.clone()]).wire_size();
        assert!(one > heartbeat + 100, "{one} vs {heartbeat}");
        assert!(one < heartbeat + 120, "{one} vs {heartbeat}");
        let district = Envelope::District(append(vec![entry.clone()])).wire_size();
        let commons = Envelope::Commons {
            incarnation: Term(1),
            forwarded: false,
            origin: None,
            message: append(vec![entry]),
        }
        .wire_size();
        assert!(
            district >= one && commons > district,
            "{one} {district} {commons}"
        );
    }
}
