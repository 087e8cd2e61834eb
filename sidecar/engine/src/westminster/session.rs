//! Parliament sessions: the representative's bounded queue of global writes, and the
//! Prime Minister's per-district session queues taken round-robin, a bounded batch from
//! each district per session (docs/protocol.md#96-sessions). Pure bookkeeping: the
//! member decides when it is a representative or the Prime Minister and does the I/O.

use std::collections::{BTreeMap, VecDeque};

use crate::types::{LogIndex, Time};
use crate::westminster::{DistrictId, SessionConfig, SessionEntry};

/// What a member shows of its sessions (the CRD status's `session`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStatus {
    /// The last session this member held as Prime Minister: the Commons index of the
    /// session batch's first entry, so numbers grow across Prime Ministers.
    pub session: Option<LogIndex>,
    /// Sessions held by this member since it started.
    pub held: u64,
    /// Entries in the last session held, per district, in the order proposed.
    pub last_sizes: Vec<(DistrictId, usize)>,
    /// Global writes waiting in this member's representative queue.
    pub queued: usize,
    /// Global writes waiting in this member's Prime Minister session queues.
    pub waiting: usize,
}

/// A member's session state.
#[derive(Debug)]
pub(crate) struct Sessions {
    config: SessionConfig,
    /// The representative's queue of its district's global writes.
    queue: VecDeque<SessionEntry>,
    /// The Prime Minister's session queues, per district.
    waiting: BTreeMap<DistrictId, VecDeque<SessionEntry>>,
    /// The district the next session starts with.
    cursor: u64,
    next_at: Option<Time>,
    status: SessionStatus,
}

impl Sessions {
    pub(crate) fn new(config: SessionConfig) -> Sessions {
        Sessions {
            config,
            queue: VecDeque::new(),
            waiting: BTreeMap::new(),
            cursor: 0,
            next_at: None,
            status: SessionStatus::default(),
        }
    }

    pub(crate) fn status(&self) -> SessionStatus {
        SessionStatus {
            queued: self.queue.len(),
            waiting: self.waiting.values().map(VecDeque::len).sum(),
            ..self.status.clone()
        }
    }

    /// Whether a session is due at `now`; if so the next one is one interval later.
    pub(crate) fn due(&mut self, now: Time) -> bool {
        let interval = u64::try_from(self.config.interval.as_millis()).unwrap_or(u64::MAX);
        let interval = interval.max(1);
        match self.next_at {
            Some(at) if now < at => false,
            // Keep the cadence (a tick a little late must not skip a session), but never
            // catch up with a burst after a long gap.
            Some(at) if now.0 < at.0.saturating_add(interval) => {
                self.next_at = Some(Time(at.0 + interval));
                true
            }
            _ => {
                self.next_at = Some(Time(now.0.saturating_add(interval)));
                true
            }
        }
    }

    /// Queues a write at the representative.
    ///
    /// # Errors
    /// The entry back, with the queue length, when the queue is full.
    pub(crate) fn enqueue(&mut self, entry: SessionEntry) -> Result<(), (SessionEntry, usize)> {
        if self.queue.len() >= self.config.max_queue {
            return Err((entry, self.queue.len()));
        }
        self.queue.push_back(entry);
        Ok(())
    }

    /// The representative's next batch for the Prime Minister: its queue's head, at most
    /// one session's worth.
    pub(crate) fn take_batch(&mut self) -> Vec<SessionEntry> {
        let n = self.queue.len().min(self.config.max_batch_per_district);
        self.queue.drain(..n).collect()
    }

    /// Everything in the representative's queue (its district was lost).
    pub(crate) fn take_queue(&mut self) -> Vec<SessionEntry> {
        self.queue.drain(..).collect()
    }

    /// The Prime Minister takes a district's batch into its session queue; returns what
    /// did not fit.
    pub(crate) fn accept_batch(
        &mut self,
        district: DistrictId,
        batch: Vec<SessionEntry>,
    ) -> Vec<SessionEntry> {
        let q = self.waiting.entry(district).or_default();
        let room = self.config.max_queue.saturating_sub(q.len());
        let mut batch = batch;
        let over = batch.split_off(room.min(batch.len()));
        q.extend(batch);
        over
    }

    /// Everything in the session queues (this member is no longer Prime Minister).
    pub(crate) fn take_waiting(&mut self) -> Vec<SessionEntry> {
        std::mem::take(&mut self.waiting)
            .into_values()
            .flatten()
            .collect()
    }

    /// The next session's batch: up to `max_batch_per_district` entries from each of
    /// `districts` (sorted), starting with the district after the previous session's
    /// first and wrapping round, so each district leads one session in `districts.len()`.
    pub(crate) fn take_session(&mut self, districts: &[DistrictId]) -> Vec<SessionEntry> {
        if districts.is_empty() {
            return Vec::new();
        }
        let start = districts
            .iter()
            .position(|d| d.0 >= self.cursor)
            .unwrap_or(0);
        let mut batch = Vec::new();
        let mut sizes = Vec::new();
        for k in 0..districts.len() {
            let d = districts[(start + k) % districts.len()];
            let Some(q) = self.waiting.get_mut(&d) else {
                continue;
            };
            let n = q.len().min(self.config.max_batch_per_district);
            if n > 0 {
                batch.extend(q.drain(..n));
                sizes.push((d, n));
            }
        }
        self.waiting.retain(|_, q| !q.is_empty());
        if !batch.is_empty() {
            // Only a session held moves the start on: an idle interval is no session.
            self.cursor = districts[(start + 1) % districts.len()].0;
            self.status.last_sizes = sizes;
        }
        batch
    }

    /// Records that the session batch was proposed from `first` on.
    pub(crate) fn held(&mut self, first: LogIndex) {
        self.status.session = Some(first);
        self.status.held += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::types::NodeId;
    use crate::westminster::Ticket;

    fn entry(origin: u64, seq: u64) -> SessionEntry {
        SessionEntry {
            ticket: Ticket {
                origin: NodeId(origin),
                epoch: 0,
                seq,
            },
            command: Bytes::new(),
        }
    }

    fn origins(batch: &[SessionEntry]) -> Vec<u64> {
        batch.iter().map(|e| e.ticket.origin.0).collect()
    }

    #[test]
    fn sessions_take_a_bounded_batch_per_district_starting_one_further_each_time() {
        let mut s = Sessions::new(SessionConfig {
            interval: Duration::from_millis(10),
            max_batch_per_district: 2,
            max_queue: 8,
        });
        let ds = [DistrictId(0), DistrictId(1), DistrictId(2)];
        assert!(
            s.accept_batch(ds[0], (0..5).map(|i| entry(0, i)).collect())
                .is_empty()
        );
        assert!(s.accept_batch(ds[1], vec![entry(1, 0)]).is_empty());
        assert!(
            s.accept_batch(ds[2], (0..3).map(|i| entry(2, i)).collect())
                .is_empty()
        );
        assert_eq!(origins(&s.take_session(&ds)), vec![0, 0, 1, 2, 2]);
        assert_eq!(origins(&s.take_session(&ds)), vec![2, 0, 0]);
        assert_eq!(s.status().last_sizes, vec![(ds[2], 1), (ds[0], 2)]);
        assert_eq!(origins(&s.take_session(&ds)), vec![0]);
        assert!(s.take_session(&ds).is_empty());
    }

    #[test]
    fn queues_are_bounded() {
        let mut s = Sessions::new(SessionConfig {
            interval: Duration::from_millis(10),
            max_batch_per_district: 2,
            max_queue: 3,
        });
        for i in 0..3 {
            assert!(s.enqueue(entry(0, i)).is_ok());
        }
        assert_eq!(s.enqueue(entry(0, 3)).map_err(|(_, n)| n), Err(3));
        assert_eq!(s.take_batch().len(), 2);
        let over = s.accept_batch(DistrictId(0), (0..5).map(|i| entry(0, i)).collect());
        assert_eq!(over.len(), 2);
    }
}
