//! openraft's storage for the comparison, in memory: [`LogStore`] (a `BTreeMap` log and
//! the vote, no disk) and [`Counter`] (a state machine that counts what it applies).
//! Written for this benchmark against openraft's `RaftLogStorage` / `RaftStateMachine`
//! contracts (openraft 0.10); snapshots are never triggered (`SnapshotPolicy::Never`),
//! but the snapshot methods are real so the contract holds.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::{Stream, TryStreamExt};
use openraft::alias::{LogIdOf, SnapshotMetaOf, SnapshotOf, StoredMembershipOf, VoteOf};
use openraft::entry::RaftEntry;
use openraft::storage::{
    EntryResponder, IOFlushed, LogState, RaftLogReader, RaftLogStorage, RaftSnapshotBuilder,
    RaftStateMachine,
};
use openraft::{EntryPayload, OptionalSend, StoredMembership};

use crate::raft::openraft_group::{Cmd, Config};

type Entry = openraft::Entry<
    <<Config as openraft::RaftTypeConfig>::LeaderId as openraft::vote::RaftLeaderId>::Committed,
    <Config as openraft::RaftTypeConfig>::Payload,
>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a log map half-written: every update is one call.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Log {
    vote: Option<VoteOf<Config>>,
    entries: BTreeMap<u64, Entry>,
    last_purged: Option<LogIdOf<Config>>,
}

/// The in-memory log; clones share it (the reader is a clone).
#[derive(Clone, Debug, Default)]
pub struct LogStore {
    inner: Arc<Mutex<Log>>,
}

impl RaftLogReader<Config> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let log = lock(&self.inner);
        let start = range.start_bound().cloned();
        let end = range.end_bound().cloned();
        Ok(log
            .entries
            .range((start, end))
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn read_vote(&mut self) -> Result<Option<VoteOf<Config>>, io::Error> {
        Ok(lock(&self.inner).vote)
    }
}

impl RaftLogStorage<Config> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<Config>, io::Error> {
        let log = lock(&self.inner);
        let last = log
            .entries
            .values()
            .next_back()
            .map(RaftEntry::log_id)
            .or(log.last_purged);
        Ok(LogState {
            last_purged_log_id: log.last_purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &VoteOf<Config>) -> Result<(), io::Error> {
        lock(&self.inner).vote = Some(*vote);
        Ok(())
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<Config>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        {
            let mut log = lock(&self.inner);
            for e in entries {
                log.entries.insert(e.index(), e);
            }
        }
        // In memory, "flushed" is now.
        callback.io_completed(Ok(()));
        Ok(())
    }

    async fn truncate_after(&mut self, last: Option<LogIdOf<Config>>) -> Result<(), io::Error> {
        let mut log = lock(&self.inner);
        let keep_through = last.map(|l| l.index());
        let from = match keep_through {
            Some(i) => Bound::Excluded(i),
            None => Bound::Unbounded,
        };
        let doomed: Vec<u64> = log
            .entries
            .range((from, Bound::Unbounded))
            .map(|(i, _)| *i)
            .collect();
        for i in doomed {
            log.entries.remove(&i);
        }
        Ok(())
    }

    async fn purge(&mut self, log_id: LogIdOf<Config>) -> Result<(), io::Error> {
        let mut log = lock(&self.inner);
        log.entries = log.entries.split_off(&(log_id.index() + 1));
        log.last_purged = Some(log_id);
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Applied {
    last: Option<LogIdOf<Config>>,
    membership: StoredMembershipOf<Config>,
    /// Commands applied; the whole state, and so the whole snapshot.
    commands: u64,
    snapshot: Option<(SnapshotMetaOf<Config>, u64)>,
}

/// A state machine that counts the commands it applies; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    inner: Arc<Mutex<Applied>>,
}

impl Counter {
    /// Commands applied so far.
    #[must_use]
    pub fn commands(&self) -> u64 {
        lock(&self.inner).commands
    }
}

impl RaftSnapshotBuilder<Config> for Counter {
    type SnapshotData = u64;

    async fn build_snapshot(&mut self) -> Result<SnapshotOf<Config, u64>, io::Error> {
        let mut sm = lock(&self.inner);
        let meta = SnapshotMetaOf::<Config> {
            last_log_id: sm.last,
            last_membership: sm.membership.clone(),
        };
        sm.snapshot = Some((meta.clone(), sm.commands));
        Ok(SnapshotOf::<Config, u64> {
            meta,
            snapshot: sm.commands,
        })
    }
}

impl RaftStateMachine<Config> for Counter {
    type SnapshotData = u64;
    type SnapshotBuilder = Counter;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogIdOf<Config>>, StoredMembershipOf<Config>), io::Error> {
        let sm = lock(&self.inner);
        Ok((sm.last, sm.membership.clone()))
    }

    async fn apply<S>(&mut self, mut entries: S) -> Result<(), io::Error>
    where
        S: Stream<Item = Result<EntryResponder<Config>, io::Error>> + Unpin + OptionalSend,
    {
        while let Some((entry, responder)) = entries.try_next().await? {
            {
                let mut sm = lock(&self.inner);
                sm.last = Some(entry.log_id);
                match &entry.payload {
                    EntryPayload::Blank => {}
                    EntryPayload::Normal(Cmd(_)) => sm.commands += 1,
                    EntryPayload::Membership(m) => {
                        sm.membership = StoredMembership::new(Some(entry.log_id), m.clone());
                    }
                }
            }
            if let Some(r) = responder {
                r.send(());
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Counter {
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMetaOf<Config>,
        snapshot: u64,
    ) -> Result<(), io::Error> {
        let mut sm = lock(&self.inner);
        sm.last = meta.last_log_id;
        sm.membership = meta.last_membership.clone();
        sm.commands = snapshot;
        sm.snapshot = Some((meta.clone(), snapshot));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<SnapshotOf<Config, u64>>, io::Error> {
        Ok(lock(&self.inner)
            .snapshot
            .clone()
            .map(|(meta, n)| SnapshotOf::<Config, u64> { meta, snapshot: n }))
    }
}
