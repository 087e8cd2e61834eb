//! Reading a ledger directory back into memory: segments in order, frames in order,
//! the newest snapshot, and the log that results.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use parliament_engine::LogIndex;
use parliament_engine::engine::{Entry, HardState, SnapshotMeta};

use crate::error::{Error, Result};
use crate::recovered::{Recovered, TornTail};
use crate::scan::SegmentScan;
use crate::segment;
use crate::snapshot::SnapshotFile;

/// A segment as found on disk.
#[derive(Debug, Clone)]
pub(crate) struct ReplayedSegment {
    /// Its number.
    pub(crate) number: u64,
    /// Its file.
    pub(crate) path: PathBuf,
    /// The salt of its frames.
    pub(crate) salt: u32,
    /// Offset just past its last valid frame.
    pub(crate) end: u64,
    /// Its valid frames.
    pub(crate) frames: u64,
    /// The highest entry index any of its frames wrote (0 if none).
    pub(crate) max_index: LogIndex,
    /// Torn bytes after `end`, in the last segment only.
    pub(crate) torn: Option<u64>,
}

/// Everything read from a ledger directory.
#[derive(Debug)]
pub(crate) struct Replay {
    /// What the member gets back.
    pub(crate) recovered: Recovered,
    /// The segments, oldest first.
    pub(crate) segments: Vec<ReplayedSegment>,
    /// The number the next frame must have.
    pub(crate) next_seq: u64,
    /// The newest snapshot's file.
    pub(crate) snapshot_path: Option<PathBuf>,
    /// Leftovers to delete: temporary files of interrupted writes, older snapshots.
    pub(crate) stale: Vec<PathBuf>,
    /// The log on disk does not continue the snapshot (a snapshot install was
    /// interrupted before it discarded the old log): it must be reset before appending.
    pub(crate) needs_reset: bool,
}

/// The log as frames are replayed onto it.
#[derive(Debug, Default)]
struct ReplayLog {
    entries: Vec<Entry>,
    /// The index after the last entry, once any frame has said where the log is.
    next: Option<LogIndex>,
}

impl ReplayLog {
    fn start(&self) -> Option<LogIndex> {
        let len = u64::try_from(self.entries.len()).unwrap_or(u64::MAX);
        self.next.map(|n| LogIndex(n.get().saturating_sub(len)))
    }

    /// Applies entries written at their first index, replacing what was there.
    /// Returns the log's end if the entries would leave a gap after it.
    fn apply(&mut self, new: Vec<Entry>) -> Result<(), LogIndex> {
        let (Some(first), Some(last)) = (new.first(), new.last()) else {
            return Ok(());
        };
        let (first, next) = (first.index, last.index.next());
        match (self.start(), self.next) {
            (Some(start), Some(end)) if first >= start => {
                if first > end {
                    return Err(end);
                }
                let keep = usize::try_from(first.get() - start.get()).unwrap_or(usize::MAX);
                self.entries.truncate(keep);
                self.entries.extend(new);
            }
            // The first frame seen, or one that rewrites below everything still held
            // (its older entries were compacted away): it alone defines the log.
            _ => self.entries = new,
        }
        self.next = Some(next);
        Ok(())
    }
}

impl Replay {
    /// Reads the ledger in `dir` without changing anything.
    ///
    /// # Errors
    /// [`Error::Corrupt`] on damage that is not a torn tail, [`Error::Io`] if the
    /// directory or a file cannot be read.
    pub(crate) fn read(dir: &Path) -> Result<Replay> {
        let mut segments_on_disk = BTreeMap::new();
        let mut snapshots = BTreeMap::new();
        let mut stale = Vec::new();
        let listing = fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
        for item in listing {
            let item = item.map_err(|e| Error::io("list", dir, e))?;
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(n) = segment::parse_file_name(name) {
                segments_on_disk.insert(n, item.path());
            } else if let Some(meta) = SnapshotFile::parse_file_name(name) {
                snapshots.insert(meta, item.path());
            } else if name.ends_with(".tmp") {
                stale.push(item.path());
            }
        }

        let mut replay_log = ReplayLog::default();
        let mut hard_state = HardState::default();
        let mut segments = Vec::with_capacity(segments_on_disk.len());
        let mut next_seq = None;
        let mut torn_tail = None;
        let mut first_entries_at: Option<(PathBuf, u64)> = None;
        let last_number = segments_on_disk.keys().next_back().copied();
        let mut expected_number = None;
        for (&number, path) in &segments_on_disk {
            if let Some(want) = expected_number.filter(|want| *want != number) {
                return Err(Error::corrupt(
                    path,
                    0,
                    format!(
                        "segment {} is missing before this one",
                        dir.join(segment::file_name(want)).display()
                    ),
                ));
            }
            expected_number = Some(number + 1);
            let buf = fs::read(path).map_err(|e| Error::io("read", path, e))?;
            let is_last = Some(number) == last_number;
            let scan = SegmentScan::scan(path, &buf, number, next_seq, is_last)?;
            let mut max_index = LogIndex(0);
            let frames = u64::try_from(scan.frames.len()).unwrap_or(u64::MAX);
            if let Some(last) = scan.frames.last() {
                next_seq = Some(last.seq.wrapping_add(1));
            }
            for frame in scan.frames {
                let record = frame.record;
                if let Some(hs) = record.hard_state {
                    hard_state = hs;
                }
                if let Some(next) = record.reset {
                    replay_log = ReplayLog {
                        entries: Vec::new(),
                        next: Some(next),
                    };
                }
                if let Some(last) = record.entries.last() {
                    max_index = max_index.max(last.index);
                    first_entries_at.get_or_insert_with(|| (path.clone(), frame.offset));
                }
                replay_log.apply(record.entries).map_err(|end| {
                    Error::corrupt(
                        path,
                        frame.offset,
                        format!(
                            "entries leave a gap after the log's end at index {}",
                            end.get()
                        ),
                    )
                })?;
            }
            if let Some(len) = scan.torn {
                torn_tail = Some(TornTail {
                    path: path.clone(),
                    offset: scan.end,
                    len,
                });
            }
            segments.push(ReplayedSegment {
                number,
                path: path.clone(),
                salt: scan.salt,
                end: scan.end,
                frames,
                max_index,
                torn: scan.torn,
            });
        }

        let newest = snapshots.keys().next_back().copied();
        let mut snapshot = None;
        let mut snapshot_path = None;
        for (meta, path) in snapshots {
            if Some(meta) == newest {
                snapshot = Some(SnapshotFile::read(&path, meta)?);
                snapshot_path = Some(path);
            } else {
                stale.push(path);
            }
        }

        let (entries, needs_reset) = continue_snapshot(
            replay_log,
            snapshot.as_ref().map(|s| s.meta),
            first_entries_at,
            dir,
        )?;
        Ok(Replay {
            recovered: Recovered {
                hard_state,
                snapshot,
                entries,
                torn_tail,
            },
            segments,
            next_seq: next_seq.unwrap_or(1),
            snapshot_path,
            stale,
            needs_reset,
        })
    }
}

/// The part of the replayed log after the snapshot, and whether the log on disk
/// must be reset because it does not continue the snapshot.
fn continue_snapshot(
    log: ReplayLog,
    snapshot: Option<SnapshotMeta>,
    first_entries_at: Option<(PathBuf, u64)>,
    dir: &Path,
) -> Result<(Vec<Entry>, bool)> {
    let covered = snapshot.map_or(LogIndex(0), |s| s.index);
    let (Some(start), Some(next)) = (log.start(), log.next) else {
        return Ok((Vec::new(), false));
    };
    if start > covered.next() {
        let (path, offset) = first_entries_at.unwrap_or_else(|| (dir.to_path_buf(), 0));
        return Err(Error::corrupt(
            path,
            offset,
            format!(
                "the log starts at index {}, but no snapshot covers the entries before it \
                 (newest snapshot: index {}); a segment or snapshot file is missing",
                start.get(),
                covered.get()
            ),
        ));
    }
    if next <= covered {
        // The log ends inside the snapshot: an install replaced it but crashed before
        // discarding it.
        return Ok((Vec::new(), true));
    }
    // Entries at or below the snapshot's index are in the snapshot already.
    let skip =
        usize::try_from(covered.next().get().saturating_sub(start.get())).unwrap_or(usize::MAX);
    if let Some(meta) = snapshot.filter(|_| skip > 0)
        && log.entries.get(skip - 1).map(|e| e.term) != Some(meta.term)
    {
        // The log conflicts with the snapshot: same interrupted install.
        return Ok((Vec::new(), true));
    }
    let mut entries = log.entries;
    entries.drain(..skip.min(entries.len()));
    Ok((entries, false))
}
