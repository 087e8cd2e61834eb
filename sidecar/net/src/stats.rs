//! Per-peer counters: queue depth, drops, traffic and connections.

use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Envelopes received and delivered to the engine channel.
    pub received_messages: u64,
    /// Inbound envelopes dropped for failing conversion or exceeding `max_message_bytes`.
    pub malformed: u64,
    /// Streams established (handshake completed) with this peer.
    pub connects: u64,
    /// Failed dial or handshake attempts.
    pub connect_failures: u64,
    /// Whether a stream is up now.
    pub connected: bool,
}

/// The live counters behind [`PeerStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) dropped_oversize: AtomicU64,
    pub(crate) sent_messages: AtomicU64,
    pub(crate) sent_frames: AtomicU64,
    pub(crate) received_messages: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
