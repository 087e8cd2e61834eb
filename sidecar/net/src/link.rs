//! One peer as this member sees it: its outbound queue, counters and stream state.
//!
//! The queue outlives streams: messages queued while no stream is up wait (bounded)
//! and flush once one is. At most one stream drains the queue at a time; a newer stream
//! with the same peer (after the peer restarted and redialled) takes the queue over and
//! the older stream's writer stops.

use std::sync::Arc;

use tokio::sync::watch;

use crate::queue::OutboundQueue;
use crate::roster::Member;
use crate::stats::{Counters, PeerStats};

/// The per-peer state shared by `send`, the dialer and the streams.
#[derive(Debug)]
pub(crate) struct PeerLink {
    pub(crate) member: Member,
    pub(crate) queue: OutboundQueue,
    pub(crate) counters: Counters,
    /// Bumped each time a stream takes the queue over.
    generation: watch::Sender<u64>,
    /// Streams with this peer that completed the handshake and are still up.
    streams: watch::Sender<usize>,
}

impl PeerLink {
    pub(crate) fn new(member: Member, capacity: usize) -> PeerLink {
        PeerLink {
            member,
            queue: OutboundQueue::new(capacity),
            counters: Counters::default(),
            generation: watch::Sender::new(0),
            streams: watch::Sender::new(0),
        }
    }

    /// Makes the caller the queue's only writer. Returns its generation and a receiver
    /// that changes when a newer stream takes over.
    pub(crate) fn take_over(&self) -> (u64, watch::Receiver<u64>) {
        let mut mine = 0;
        self.generation.send_modify(|g| {
            *g += 1;
            mine = *g;
        });
        (mine, self.generation.subscribe())
    }

    /// Marks a stream up until the guard drops.
    pub(crate) fn stream_up(self: &Arc<Self>) -> StreamGuard {
        self.streams.send_modify(|n| *n += 1);
        Counters::add(&self.counters.connects, 1);
        StreamGuard(Arc::clone(self))
    }

    /// Waits until a stream with this peer is up.
    pub(crate) async fn wait_connected(&self) {
        let mut rx = self.streams.subscribe();
        // The sender lives in `self`, so this cannot fail while we are borrowed.
        let _ = rx.wait_for(|n| *n > 0).await;
    }

    pub(crate) fn stats(&self) -> PeerStats {
        let c = &self.counters;
        PeerStats {
            queued: self.queue.len(),
            queue_high_water: self.queue.high_water(),
            dropped_overflow: self.queue.dropped(),
            dropped_oversize: Counters::get(&c.dropped_oversize),
            sent_messages: Counters::get(&c.sent_messages),
            sent_frames: Counters::get(&c.sent_frames),
            sent_bytes: Counters::get(&c.sent_bytes),
            received_messages: Counters::get(&c.received_messages),
            malformed: Counters::get(&c.malformed),
            connects: Counters::get(&c.connects),
            connect_failures: Counters::get(&c.connect_failures),
            connected: *self.streams.borrow() > 0,
        }
    }
}

/// Keeps a stream counted as up; dropping it counts the stream down.
#[derive(Debug)]
pub(crate) struct StreamGuard(Arc<PeerLink>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams.send_modify(|n| *n = n.saturating_sub(1));
    }
}
