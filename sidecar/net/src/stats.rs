//! Per-peer counters: queue depth, drops, traffic and connections ([`PeerStats`]), and
//! a handle that reads them from outside the engine task ([`TransportStats`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use parliament_engine::NodeId;

use crate::link::PeerLink;

/// A snapshot of one peer link's counters (all since the transport started).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerStats {
    /// Envelopes waiting in the outbound queue now.
    pub queued: usize,
    /// The most envelopes the outbound queue ever held (never above its capacity).
    pub queue_high_water: usize,
    /// Envelopes dropped because the queue was full (the oldest is dropped).
    pub dropped_overflow: u64,
    /// Envelopes refused by `send` for exceeding `max_message_bytes`.
    pub dropped_oversize: u64,
    /// Envelopes written to a stream.
    pub sent_messages: u64,
    /// Frames written to a stream.
    pub sent_frames: u64,
    /// Protobuf bytes of the frames written (`peer.Frame`, the batches of envelopes):
    /// what gRPC carries, without its 5-byte message prefix and the HTTP/2 framing.
    pub sent_bytes: u64,
    /// Envelopes received and delivered to the engine channel.
    pub received_messages: u64,
    /// Inbound envelopes dropped for failing conversion or exceeding `max_message_bytes`.
    pub malformed: u64,
    /// Streams established (handshake completed) with this peer.
    pub connects: u64,
    /// Failed dial or handshake attempts.
    pub connect_failures: u64,
    /// Streams closed because they carried nothing for the idle timeout
    /// ([`Connect::OnDemand`](crate::Connect)), by either side.
    pub idle_closes: u64,
    /// Whether a stream is up now.
    pub connected: bool,
    /// Streams up now: one, or briefly two (a peer redialled, or both dialled at once).
    pub streams: usize,
}

/// The live counters behind [`PeerStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) dropped_oversize: AtomicU64,
    pub(crate) sent_messages: AtomicU64,
    pub(crate) sent_frames: AtomicU64,
    pub(crate) sent_bytes: AtomicU64,
    pub(crate) received_messages: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
    pub(crate) idle_closes: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Reads every peer link's counters while the transport runs (the engine task owns the
/// [`Transport`](crate::Transport)); cheap to clone. Outliving the transport is harmless:
/// the counters then stand still.
#[derive(Clone, Debug)]
pub struct TransportStats {
    /// The transport's own map, so peers a new roster adds are seen too.
    links: Arc<RwLock<BTreeMap<NodeId, Arc<PeerLink>>>>,
}

impl TransportStats {
    pub(crate) fn new(links: &Arc<RwLock<BTreeMap<NodeId, Arc<PeerLink>>>>) -> TransportStats {
        TransportStats {
            links: Arc::clone(links),
        }
    }

    /// The counters of the link to `peer`, or `None` when it is not a peer.
    #[must_use]
    pub fn peer(&self, peer: NodeId) -> Option<PeerStats> {
        crate::shared::read(&self.links)
            .get(&peer)
            .map(|l| l.stats())
    }

    /// Every peer's counters, in id order.
    pub fn peers(&self) -> impl Iterator<Item = (NodeId, PeerStats)> + '_ {
        let peers: Vec<_> = crate::shared::read(&self.links)
            .iter()
            .map(|(id, l)| (*id, l.stats()))
            .collect();
        peers.into_iter()
    }
}
