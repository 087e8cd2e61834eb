//! The ledger: one group member's durable hard state, log and snapshot, in one
//! directory.
//!
//! Layout of the directory:
//! ```text
//! LOCK                                  held (flock) while a process has the ledger open
//! segment-00000000000000000001.log      frames: one per persist call (see segment.rs)
//! segment-00000000000000000002.log      ...
//! snapshot-<index>-<term>.snap          the newest snapshot (see snapshot.rs)
//! ```
//! See `docs/storage.md` for the format, the fsync discipline and recovery.

use std::collections::VecDeque;
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};

use parliament_engine::engine::{Entry, HardState, SnapshotMeta};
use parliament_engine::{LogIndex, Term};

#[cfg(any(test, feature = "failpoints"))]
use crate::Failpoint;
use crate::error::{Error, Result};
use crate::frame::{self, Frame};
use crate::options::LedgerOptions;
use crate::record::Record;
use crate::recovered::Recovered;
use crate::replay::Replay;
use crate::segment::{Segment, sync_dir};
use crate::snapshot::SnapshotFile;
use crate::terms::TermRuns;
use crate::wire::to_u64;

/// A segment that takes no more appends.
#[derive(Debug)]
struct Sealed {
    path: PathBuf,
    /// The highest entry index written into it; it may go once a snapshot covers that.
    max_index: LogIndex,
}

/// One member's durable ledger (the Paxon "ledger in indelible ink"): its hard state,
/// log and newest snapshot.
///
/// Every mutating call is durable when it returns `Ok`: the data is written and
/// `fdatasync`ed (and, for new or renamed files, the directory fsynced). That is what
/// lets the shell send messages after [`Ledger::persist`], as the engine's `Ready`
/// contract requires.
///
/// After any failed write the ledger is poisoned and refuses further writes with
/// [`Error::Poisoned`]: once an fsync has failed, what the disk holds is unknown until
/// the directory is read again, so the shell must reopen it.
///
/// The ledger keeps no entries in memory; the engine does.
#[derive(Debug)]
pub struct Ledger {
    dir: PathBuf,
    options: LedgerOptions,
    /// Held for the ledger's lifetime: the OS lock on `LOCK`.
    _lock: File,
    active: Segment,
    /// Highest entry index written into the active segment.
    active_max: LogIndex,
    /// Older segments, oldest first.
    sealed: VecDeque<Sealed>,
    /// The number of the next frame.
    next_seq: u64,
    hard_state: HardState,
    snapshot: Option<(SnapshotMeta, PathBuf)>,
    /// The index of the last entry (the snapshot's when the log is empty).
    last_index: LogIndex,
    terms: TermRuns,
    poisoned: bool,
    #[cfg(any(test, feature = "failpoints"))]
    failpoint: Option<Failpoint>,
}

impl Ledger {
    /// Opens (creating if needed) the ledger in `dir` and recovers what it holds.
    ///
    /// A torn write at the end of the log (a crash during the last `persist`, which
    /// therefore never returned) is cut off; it is also reported in
    /// [`Recovered::torn_tail`]. Leftovers of interrupted writes are deleted.
    ///
    /// # Errors
    /// - [`Error::Corrupt`] when durable data is damaged: the message names the file and
    ///   the byte offset. Nothing is changed on disk in that case.
    /// - [`Error::Locked`] if another process has the ledger open.
    /// - [`Error::Io`] when the directory cannot be read or written.
    pub fn open(dir: impl AsRef<Path>, options: LedgerOptions) -> Result<(Ledger, Recovered)> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let lock = lock(&dir)?;
        let replay = Replay::read(&dir)?;
        for path in &replay.stale {
            fs::remove_file(path).map_err(|e| Error::io("delete leftover", path, e))?;
        }
        if !replay.stale.is_empty() {
            sync_dir(&dir)?;
        }
        if let Some(torn) = &replay.recovered.torn_tail {
            tracing::warn!(
                path = %torn.path.display(),
                offset = torn.offset,
                len = torn.len,
                "cutting a torn write off the end of the ledger"
            );
        }

        let mut sealed: VecDeque<Sealed> = replay
            .segments
            .iter()
            .map(|s| Sealed {
                path: s.path.clone(),
                max_index: s.max_index,
            })
            .collect();
        let (active, active_max) = match replay.segments.last() {
            Some(last) => {
                sealed.pop_back();
                let segment = Segment::resume(
                    last.path.clone(),
                    last.number,
                    last.salt,
                    last.end,
                    last.frames,
                    last.torn.is_some(),
                )?;
                (segment, last.max_index)
            }
            None => (
                Segment::create(&dir, 1, options.prealloc_bytes)?,
                LogIndex(0),
            ),
        };
        let recovered = replay.recovered;
        let mut terms = TermRuns::default();
        terms.append(&recovered.entries);
        let snapshot = recovered
            .snapshot
            .as_ref()
            .map(|s| s.meta)
            .zip(replay.snapshot_path);
        let mut ledger = Ledger {
            dir,
            options,
            _lock: lock,
            active,
            active_max,
            sealed,
            next_seq: replay.next_seq,
            hard_state: recovered.hard_state,
            snapshot,
            last_index: recovered.last_index(),
            terms,
            poisoned: false,
            #[cfg(any(test, feature = "failpoints"))]
            failpoint: None,
        };
        if replay.needs_reset {
            // Finish the snapshot install that a crash interrupted.
            ledger.reset_log(recovered.first_index())?;
        } else if ledger.active.frames() == 0 {
            // Every segment starts with the hard state, so that compaction may delete
            // any older segment without losing it.
            ledger.write_frame(None, None, &[])?;
        }
        Ok((ledger, recovered))
    }

    /// Reads the ledger in `dir` without changing anything: no lock, no repair (a torn
    /// tail is only reported). For inspecting a stopped member's directory.
    ///
    /// # Errors
    /// As [`Ledger::open`], except [`Error::Locked`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Recovered> {
        Ok(Replay::read(dir.as_ref())?.recovered)
    }

    /// Persists a hard state and entries durably, in one write and one `fdatasync`:
    /// step 1 of the engine's `Ready` contract.
    ///
    /// `entries` must be consecutive. If the first one's index is at or below the last
    /// index, the log is truncated from that index first (a conflicting suffix is
    /// replaced). Either both the hard state and the entries survive a crash or, if the
    /// call did not return, possibly neither.
    ///
    /// # Errors
    /// - [`Error::NotConsecutive`], [`Error::Gap`], [`Error::BelowSnapshot`] for
    ///   entries that cannot extend this log (nothing is written).
    /// - [`Error::TooLarge`] for a write of 1 GiB or more.
    /// - [`Error::Io`] if writing fails; the ledger is then poisoned.
    /// - [`Error::Poisoned`] after an earlier failure.
    pub fn persist(&mut self, hard_state: Option<HardState>, entries: &[Entry]) -> Result<()> {
        self.check_poisoned()?;
        if entries.is_empty() && hard_state.is_none_or(|hs| hs == self.hard_state) {
            // Nothing new: what the caller wants durable already is.
            return Ok(());
        }
        if let Some(first) = entries.first() {
            for (e, expected) in entries.iter().zip(first.index.get()..) {
                if e.index.get() != expected {
                    return Err(Error::NotConsecutive {
                        expected: LogIndex(expected),
                        found: e.index,
                    });
                }
            }
            let snapshot = self.snapshot_meta().map_or(LogIndex(0), |s| s.index);
            if first.index <= snapshot {
                return Err(Error::BelowSnapshot {
                    first: first.index,
                    snapshot,
                });
            }
            if first.index > self.last_index.next() {
                return Err(Error::Gap {
                    first: first.index,
                    last: self.last_index,
                });
            }
        }
        self.write_frame(hard_state, None, entries)?;
        if let Some(last) = entries.last() {
            self.last_index = last.index;
            self.active_max = self.active_max.max(last.index);
            self.terms.append(entries);
        }
        Ok(())
    }

    /// Installs a snapshot covering the log up to `meta.index`, durably.
    ///
    /// If the log holds the entry at `meta.index` with `meta.term`, the entries after
    /// it stay (Raft §7); otherwise the whole log is discarded and the next append
    /// must be at `meta.index + 1`. Older snapshots are deleted. A snapshot no newer
    /// than the current one is ignored. Entries the snapshot covers stay on disk until
    /// [`Ledger::compact`].
    ///
    /// Crash safety: the snapshot file is complete and durable before the log is
    /// touched, and an install interrupted after that is finished by the next
    /// [`Ledger::open`].
    ///
    /// # Errors
    /// [`Error::Io`] (the ledger is then poisoned) or [`Error::Poisoned`].
    pub fn install_snapshot(&mut self, meta: SnapshotMeta, data: &[u8]) -> Result<()> {
        self.check_poisoned()?;
        if self
            .snapshot_meta()
            .is_some_and(|cur| cur.index >= meta.index)
        {
            tracing::debug!(
                index = meta.index.get(),
                "ignoring a snapshot no newer than the current one"
            );
            return Ok(());
        }
        let keep_log = self.terms.term(meta.index) == Some(meta.term);
        let result = self.install(meta, data, keep_log);
        self.poison_on_error(result)
    }

    fn install(&mut self, meta: SnapshotMeta, data: &[u8], keep_log: bool) -> Result<()> {
        let path = SnapshotFile::write(&self.dir, meta, data)?;
        let old = self.snapshot.replace((meta, path));
        if !keep_log {
            self.reset_log(meta.index.next())?;
        }
        if let Some((_, old_path)) = old {
            fs::remove_file(&old_path)
                .map_err(|e| Error::io("delete old snapshot", &old_path, e))?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Deletes log segments whose entries are all at or below `upto`, which the
    /// snapshot must cover. Space is freed a segment at a time, so some entries at or
    /// below `upto` may stay on disk; [`Ledger::open`] never returns them.
    ///
    /// # Errors
    /// [`Error::CompactBeyondSnapshot`] if `upto` is past the snapshot (nothing is
    /// deleted), [`Error::Io`] (the ledger is then poisoned) or [`Error::Poisoned`].
    pub fn compact(&mut self, upto: LogIndex) -> Result<()> {
        self.check_poisoned()?;
        let snapshot = self.snapshot_meta().map_or(LogIndex(0), |s| s.index);
        if upto > snapshot {
            return Err(Error::CompactBeyondSnapshot { upto, snapshot });
        }
        let result = self.delete_sealed_while(|s| s.max_index <= upto);
        self.terms.forget_upto(upto);
        self.poison_on_error(result)
    }

    /// The last persisted hard state.
    #[must_use]
    pub fn hard_state(&self) -> HardState {
        self.hard_state
    }

    /// The position of the installed snapshot, if any.
    #[must_use]
    pub fn snapshot_meta(&self) -> Option<SnapshotMeta> {
        self.snapshot.as_ref().map(|(meta, _)| *meta)
    }

    /// The index of the last entry, or of the snapshot if the log after it is empty.
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.last_index
    }

    /// The term of the entry at `index`, if the log holds it.
    #[must_use]
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        self.terms.term(index)
    }

    /// The ledger's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Arms a failpoint: the next frame write does what it says instead of succeeding.
    #[cfg(any(test, feature = "failpoints"))]
    pub fn set_failpoint(&mut self, failpoint: Failpoint) {
        self.failpoint = Some(failpoint);
    }

    /// Empties the log durably: the next entry will be at `next`. A new segment starts
    /// with a reset frame, then every older segment is deleted.
    fn reset_log(&mut self, next: LogIndex) -> Result<()> {
        self.roll()?;
        self.write_frame(None, Some(next), &[])?;
        self.last_index = next.prev();
        self.terms.clear();
        self.delete_sealed_while(|_| true)
    }

    /// Deletes sealed segments from the oldest while `doomed` says so. Oldest first,
    /// with a directory fsync after each, so a crash leaves a suffix of the segments
    /// (never a hole).
    fn delete_sealed_while(&mut self, doomed: impl Fn(&Sealed) -> bool) -> Result<()> {
        while let Some(oldest) = self.sealed.front() {
            if !doomed(oldest) {
                break;
            }
            fs::remove_file(&oldest.path)
                .map_err(|e| Error::io("delete segment", &oldest.path, e))?;
            sync_dir(&self.dir)?;
            self.sealed.pop_front();
        }
        Ok(())
    }

    /// Seals the active segment and starts the next one.
    fn roll(&mut self) -> Result<()> {
        let next = Segment::create(
            &self.dir,
            self.active.number() + 1,
            self.options.prealloc_bytes,
        )?;
        let old = std::mem::replace(&mut self.active, next);
        self.sealed.push_back(Sealed {
            path: old.path().to_path_buf(),
            max_index: self.active_max,
        });
        self.active_max = LogIndex(0);
        Ok(())
    }

    /// Writes one frame durably, rolling to a new segment first if the active one is
    /// full. The first frame of a segment always carries the hard state.
    fn write_frame(
        &mut self,
        hard_state: Option<HardState>,
        reset: Option<LogIndex>,
        entries: &[Entry],
    ) -> Result<()> {
        let hard_state = hard_state.unwrap_or(self.hard_state);
        let mut payload = Vec::new();
        let encode = |payload: &mut Vec<u8>, with_hard_state: bool| {
            payload.clear();
            Record::encode(
                with_hard_state.then_some(&hard_state),
                reset,
                entries,
                payload,
            )
        };
        let always = hard_state != self.hard_state;
        let too_large = || Error::TooLarge {
            len: entries.iter().map(Entry::size).sum(),
            limit: frame::MAX_PAYLOAD,
        };
        encode(&mut payload, always || self.active.frames() == 0).ok_or_else(too_large)?;
        if payload.len() > frame::MAX_PAYLOAD {
            return Err(Error::TooLarge {
                len: payload.len(),
                limit: frame::MAX_PAYLOAD,
            });
        }
        let frame_len = to_u64(frame::HEADER_LEN + payload.len());
        if self.active.frames() > 0 && self.active.end() + frame_len > self.options.segment_bytes {
            let result = self.roll();
            self.poison_on_error(result)?;
            encode(&mut payload, true).ok_or_else(too_large)?;
        }
        let mut buf = Vec::with_capacity(frame::HEADER_LEN + payload.len());
        Frame::encode(self.active.salt(), self.next_seq, &payload, &mut buf);
        let result = self.active.append(
            &buf,
            self.options.prealloc_bytes,
            #[cfg(any(test, feature = "failpoints"))]
            self.failpoint.take(),
        );
        self.poison_on_error(result)?;
        self.next_seq += 1;
        self.hard_state = hard_state;
        Ok(())
    }

    fn check_poisoned(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned {
                path: self.dir.clone(),
            });
        }
        Ok(())
    }

    fn poison_on_error<T>(&mut self, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }
}

/// Takes the directory's lock file, failing if another process holds it.
fn lock(dir: &Path) -> Result<File> {
    let path = dir.join("LOCK");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("create", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::Locked {
            path: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
    }
}
