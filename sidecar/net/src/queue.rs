//! The bounded outbound queue of one peer: drop-oldest when full, drained into frames.
//!
//! Why drop the oldest: consensus tolerates loss, and the newest message of a kind
//! supersedes older ones (a newer heartbeat carries a newer commit index and round; a
//! newer vote request a newer term), so under overload the queue keeps what is most
//! useful. The engine re-sends whatever still matters on its next tick. A dropped
//! session message loses only the writes it carries, which were never acknowledged:
//! their origins time out and their clients retry (docs/protocol.md §9.6 rule 5).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use parliament_proto::peer;
use tokio::sync::Notify;

/// An envelope waiting to be sent, with its encoded size.
#[derive(Debug)]
struct Queued {
    envelope: peer::Envelope,
    cost: usize,
}

/// A bounded multi-producer, single-consumer queue of encode-ready envelopes.
#[derive(Debug)]
pub(crate) struct OutboundQueue {
    items: Mutex<VecDeque<Queued>>,
    capacity: usize,
    ready: Notify,
    high_water: AtomicUsize,
    dropped: AtomicU64,
}

impl OutboundQueue {
    pub(crate) fn new(capacity: usize) -> OutboundQueue {
        OutboundQueue {
            items: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity,
            ready: Notify::new(),
            high_water: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        // A panic while holding this lock cannot leave the deque half-updated.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `envelope` (of encoded size `cost`); when full, drops the oldest first.
    /// Returns whether an envelope was dropped.
    pub(crate) fn push(&self, envelope: peer::Envelope, cost: usize) -> bool {
        let dropped = {
            let mut items = self.lock();
            let dropped = if items.len() >= self.capacity {
                items.pop_front();
                true
            } else {
                false
            };
            items.push_back(Queued { envelope, cost });
            self.high_water.fetch_max(items.len(), Ordering::Relaxed);
            dropped
        };
        if dropped {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.ready.notify_one();
        dropped
    }

    /// Waits for at least one envelope, then takes envelopes in order while their
    /// framed sizes fit in `budget` bytes (always at least one). Cancel-safe: envelopes
    /// are taken only in the same poll that returns them.
    pub(crate) async fn next_batch(&self, budget: usize) -> Vec<peer::Envelope> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut items = self.lock();
                if !items.is_empty() {
                    return Self::take(&mut items, budget);
                }
            }
            notified.await;
        }
    }

    fn take(items: &mut VecDeque<Queued>, budget: usize) -> Vec<peer::Envelope> {
        let mut out = Vec::new();
        let mut used = 0usize;
        while let Some(front) = items.front() {
            // Each envelope in a batch costs its length-delimited size.
            let framed = front.cost + 1 + prost::encoding::encoded_len_varint(front.cost as u64);
            if !out.is_empty() && used + framed > budget {
                break;
            }
            used += framed;
            if let Some(q) = items.pop_front() {
                out.push(q.envelope);
            }
        }
        out
    }

    /// Envelopes waiting now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The most envelopes ever waiting at once.
    pub(crate) fn high_water(&self) -> usize {
        self.high_water.load(Ordering::Relaxed)
    }

    /// Envelopes dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(term: u64) -> peer::Envelope {
        peer::Envelope {
            kind: Some(peer::envelope::Kind::District(peer::Message {
                term,
                ..peer::Message::default()
            })),
        }
    }

    fn term(e: &peer::Envelope) -> u64 {
        match &e.kind {
            Some(peer::envelope::Kind::District(m)) => m.term,
            other => panic!("not a district envelope: {other:?}"),
        }
    }

    #[tokio::test]
    async fn full_queue_drops_the_oldest_and_never_exceeds_its_capacity() {
        let q = OutboundQueue::new(3);
        let dropped: Vec<bool> = (1..=5).map(|t| q.push(m(t), 10)).collect();
        assert_eq!(dropped, [false, false, false, true, true]);
        assert_eq!((q.len(), q.high_water(), q.dropped()), (3, 3, 2));
        let terms: Vec<u64> = q.next_batch(1000).await.iter().map(term).collect();
        assert_eq!(terms, [3, 4, 5]);
    }

    #[tokio::test]
    async fn a_batch_stops_at_the_budget_but_takes_at_least_one() {
        let q = OutboundQueue::new(10);
        for t in 0..4 {
            q.push(m(t), 100);
        }
        // 100 bytes + 1 tag + 1 length = 102 per envelope.
        assert_eq!(q.next_batch(250).await.len(), 2);
        assert_eq!(q.next_batch(10).await.len(), 1);
        assert_eq!(q.next_batch(10_000).await.len(), 1);
        assert_eq!(q.len(), 0);
    }
}
