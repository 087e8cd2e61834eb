//! One peer as this member sees it: its outbound queue, counters and streams.
//!
//! The queue outlives streams: messages queued while no stream is up wait (bounded) and
//! flush once one is. Several streams with one peer can be up at once — a restarted peer
//! redialled before the old stream was noticed dead, or both members of a pair dialled
//! each other at the same moment ([`Connect::OnDemand`](crate::Connect)) — but exactly
//! one of them, the *owner*, drains the queue: the newest stream dialled by the lower id
//! of the pair, else the newest stream. Both members apply the same rule, so after a
//! simultaneous dial both write on the same stream and the other one falls idle (and
//! closes). When the owner ends, the next stream by the rule takes the queue over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::{Notify, watch};

use crate::queue::OutboundQueue;
use crate::roster::Member;
use crate::stats::{Counters, PeerStats};

/// The streams with one peer that completed the handshake and are still up.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    /// `(stream id, dialled by the lower id of the pair)`, in the order they came up.
    live: Vec<(u64, bool)>,
    /// The stream that drains the queue.
    owner: Option<u64>,
}

impl Streams {
    fn elect(&mut self) {
        let preferred = self.live.iter().rev().find(|(_, p)| *p);
        self.owner = preferred.or(self.live.last()).map(|(id, _)| *id);
    }
}

/// The per-peer state shared by `send`, the dialer and the streams.
#[derive(Debug)]
pub(crate) struct PeerLink {
    pub(crate) member: Member,
    pub(crate) queue: OutboundQueue,
    pub(crate) counters: Counters,
    streams: watch::Sender<Streams>,
    next_stream: AtomicU64,
    /// Signalled by `send` while no stream is up (on-demand dialling).
    demand: Notify,
    /// Whether the on-demand dialer of this link was started.
    dialer_started: AtomicBool,
    /// Set when a new roster drops this peer: its dialer stops.
    retired: watch::Sender<bool>,
}

impl PeerLink {
    pub(crate) fn new(member: Member, capacity: usize) -> PeerLink {
        PeerLink {
            member,
            queue: OutboundQueue::new(capacity),
            counters: Counters::default(),
            streams: watch::Sender::new(Streams::default()),
            next_stream: AtomicU64::new(1),
            demand: Notify::new(),
            dialer_started: AtomicBool::new(false),
            retired: watch::Sender::new(false),
        }
    }

    /// Registers a stream that completed its handshake, until the guard drops.
    /// `preferred`: it was dialled by the lower id of the pair.
    pub(crate) fn stream_up(self: &Arc<Self>, preferred: bool) -> StreamGuard {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        self.streams.send_modify(|s| {
            s.live.push((id, preferred));
            s.elect();
        });
        Counters::add(&self.counters.connects, 1);
        StreamGuard {
            link: Arc::clone(self),
            id,
        }
    }

    /// Waits until stream `id` owns the queue.
    pub(crate) async fn wait_owner(&self, id: u64) {
        let mut rx = self.streams.subscribe();
        // The sender lives in `self`, so this cannot fail while we are borrowed.
        let _ = rx.wait_for(|s| s.owner == Some(id)).await;
    }

    /// Waits until stream `id` no longer owns the queue.
    pub(crate) async fn wait_not_owner(&self, id: u64) {
        let mut rx = self.streams.subscribe();
        let _ = rx.wait_for(|s| s.owner != Some(id)).await;
    }

    /// Waits until a stream with this peer is up.
    pub(crate) async fn wait_connected(&self) {
        let mut rx = self.streams.subscribe();
        let _ = rx.wait_for(|s| !s.live.is_empty()).await;
    }

    fn connected(&self) -> bool {
        !self.streams.borrow().live.is_empty()
    }

    /// Notes that `send` queued an envelope: wakes the on-demand dialer when no stream
    /// is up. Returns whether the caller must start that dialer (the first time only).
    pub(crate) fn demanded(&self) -> bool {
        if self.connected() {
            return false;
        }
        self.demand.notify_one();
        !self.dialer_started.swap(true, Ordering::AcqRel)
    }

    /// Waits until there is something to send and no stream to send it on.
    pub(crate) async fn wait_demand(&self) {
        let mut streams = self.streams.subscribe();
        loop {
            let notified = self.demand.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if streams.borrow_and_update().live.is_empty() && self.queue.len() > 0 {
                return;
            }
            tokio::select! {
                () = notified => {}
                changed = streams.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Stops this link's dialer: a new roster dropped the peer.
    pub(crate) fn retire(&self) {
        self.retired.send_replace(true);
    }

    /// Resolves once [`PeerLink::retire`] was called.
    pub(crate) async fn retired(&self) {
        let mut rx = self.retired.subscribe();
        let _ = rx.wait_for(|r| *r).await;
    }

    pub(crate) fn stats(&self) -> PeerStats {
        let c = &self.counters;
        let streams = self.streams.borrow().live.len();
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
            idle_closes: Counters::get(&c.idle_closes),
            connected: streams > 0,
            streams,
        }
    }
}

/// Keeps a stream registered; dropping it unregisters the stream (and passes the queue
/// on when it was the owner).
#[derive(Debug)]
pub(crate) struct StreamGuard {
    link: Arc<PeerLink>,
    id: u64,
}

impl StreamGuard {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let id = self.id;
        self.link.streams.send_modify(|s| {
            s.live.retain(|(i, _)| *i != id);
            s.elect();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Arc<PeerLink> {
        Arc::new(PeerLink::new(
            Member {
                id: parliament_engine::NodeId(2),
                address: "127.0.0.1:1".to_owned(),
                identity: "b".to_owned(),
            },
            8,
        ))
    }

    fn owner(link: &PeerLink) -> Option<u64> {
        link.streams.borrow().owner
    }

    #[test]
    fn the_newest_preferred_stream_owns_the_queue_and_passes_it_on_when_it_ends() {
        let link = link();
        let a = link.stream_up(false);
        assert_eq!(owner(&link), Some(a.id()), "the only stream owns the queue");
        let b = link.stream_up(true);
        assert_eq!(owner(&link), Some(b.id()), "a preferred stream takes over");
        let c = link.stream_up(false);
        assert_eq!(
            owner(&link),
            Some(b.id()),
            "a newer unpreferred one does not"
        );
        let d = link.stream_up(true);
        assert_eq!(owner(&link), Some(d.id()), "a newer preferred one does");
        drop(d);
        assert_eq!(owner(&link), Some(b.id()));
        drop(b);
        assert_eq!(owner(&link), Some(c.id()), "then the newest of the others");
        drop(c);
        assert_eq!(owner(&link), Some(a.id()));
        assert_eq!(link.stats().streams, 1);
        drop(a);
        assert_eq!(owner(&link), None);
        assert!(!link.stats().connected);
    }

    #[test]
    fn demand_starts_the_dialer_once_and_only_while_disconnected() {
        let link = link();
        assert!(link.demanded(), "the first demand starts the dialer");
        assert!(!link.demanded(), "later ones only wake it");
        let up = link.stream_up(true);
        assert!(!link.demanded());
        drop(up);
    }
}
