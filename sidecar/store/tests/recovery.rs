//! Recovery: torn writes at the end are cut, damage in the middle is refused with the
//! file and byte offset.

mod common;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{copy_dir, entries, file_len, hard_state, segments, tiny};
use parliament_engine::engine::{Entry, SnapshotMeta};
use parliament_store::{Error, Failpoint, Ledger, LedgerOptions, TornTail};

/// Byte offset of the first frame in a segment (just after its header).
const FIRST_FRAME: u64 = 32;
/// Bytes of a frame header.
const FRAME_HEADER: u64 = 24;

fn write_at(path: &Path, at: u64, bytes: &[u8]) {
    let f = OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, at).unwrap();
}

fn flip(path: &Path, at: u64) {
    let mut b = [0];
    fs::File::open(path)
        .unwrap()
        .read_exact_at(&mut b, at)
        .unwrap();
    write_at(path, at, &[b[0] ^ 0x40]);
}

fn expect_corrupt(dir: &Path, file: &Path, offset: u64) -> String {
    let err = Ledger::load(dir).unwrap_err();
    let Error::Corrupt {
        path, offset: at, ..
    } = &err
    else {
        panic!("expected corruption, got {err}");
    };
    assert_eq!((path.as_path(), *at), (file, offset), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert!(msg.contains(&format!("byte offset {offset}")), "{msg}");
    assert!(
        msg.contains("restore") && msg.contains("backup"),
        "says what to do: {msg}"
    );
    let open_err = Ledger::open(dir, tiny()).unwrap_err().to_string();
    assert_eq!(open_err, msg, "open refuses the same way");
    msg
}

/// A ledger over several segments whose last persist wrote one small frame at the end
/// of the last segment. Returns (entries before it, all entries, start and end of it).
fn ledger_with_known_last_frame(dir: &Path) -> (Vec<Entry>, Vec<Entry>, u64, u64) {
    let (mut ledger, _) = Ledger::open(dir, tiny()).unwrap();
    ledger
        .persist(Some(hard_state(1, Some(1), 0)), &[])
        .unwrap();
    for i in (1..=120).step_by(4) {
        ledger.persist(None, &entries(i, i + 3, 1)).unwrap();
    }
    let last = segments(dir).pop().unwrap();
    let start = file_len(&last);
    assert!(
        start > FIRST_FRAME,
        "the last frame should not be the segment's first"
    );
    ledger
        .persist(Some(hard_state(2, None, 100)), &entries(121, 123, 2))
        .unwrap();
    assert_eq!(segments(dir).pop().unwrap(), last);
    let end = file_len(&last);
    let mut all = entries(1, 120, 1);
    all.extend(entries(121, 123, 2));
    (entries(1, 120, 1), all, start, end)
}

#[test]
fn a_torn_last_frame_is_cut_at_every_offset() {
    let base = tempfile::tempdir().unwrap();
    let (before, all, start, end) = ledger_with_known_last_frame(base.path());
    for cut in start..=end {
        for fill in ["chopped", "zeros", "garbage"] {
            let dir = copy_dir(base.path());
            let seg = segments(dir.path()).pop().unwrap();
            match fill {
                "chopped" => OpenOptions::new()
                    .write(true)
                    .open(&seg)
                    .unwrap()
                    .set_len(cut)
                    .unwrap(),
                "zeros" => write_at(&seg, cut, &vec![0; (end - cut) as usize]),
                _ => write_at(&seg, cut, &vec![0xA5; (end - cut) as usize]),
            }
            let complete = cut == end;
            let clean = complete || (cut == start && fill != "garbage");
            let what = format!("cut at {cut} ({start}..{end}), {fill}");

            let loaded = Ledger::load(dir.path()).unwrap();
            let want_tail = (!clean).then(|| TornTail {
                path: seg.clone(),
                offset: start,
                len: file_len(&seg) - start,
            });
            assert_eq!(loaded.torn_tail, want_tail, "{what}");
            let (want_entries, want_hs) = if complete {
                (&all, hard_state(2, None, 100))
            } else {
                (&before, hard_state(1, Some(1), 0))
            };
            assert_eq!(&loaded.entries, want_entries, "{what}");
            assert_eq!(loaded.hard_state, want_hs, "{what}");

            // Reopening cuts the tail for good, and the log goes on from there.
            let (mut ledger, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
            assert_eq!(recovered, loaded, "{what}");
            let next = want_entries.len() as u64 + 1;
            ledger.persist(None, &entries(next, next, 3)).unwrap();
            drop(ledger);
            let again = Ledger::load(dir.path()).unwrap();
            assert_eq!(again.torn_tail, None, "{what}");
            assert_eq!(again.entries.len() as u64, next, "{what}");
        }
    }
}

#[test]
fn a_write_torn_by_the_failpoint_loses_only_itself() {
    // Find the frame's length first, then tear it at every length.
    let probe = tempfile::tempdir().unwrap();
    let (_, _, start, end) = ledger_with_known_last_frame(probe.path());
    let frame_len = (end - start) as usize;
    let options = LedgerOptions {
        segment_bytes: 1 << 20,
        prealloc_bytes: 64 << 10,
    };
    for keep in 0..=frame_len {
        let dir = tempfile::tempdir().unwrap();
        let (mut ledger, _) = Ledger::open(dir.path(), options).unwrap();
        ledger
            .persist(Some(hard_state(1, Some(1), 0)), &[])
            .unwrap();
        for i in (1..=120).step_by(4) {
            ledger.persist(None, &entries(i, i + 3, 1)).unwrap();
        }
        ledger.set_failpoint(Failpoint::TornWrite { keep });
        let err = ledger
            .persist(Some(hard_state(2, None, 100)), &entries(121, 123, 2))
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        drop(ledger);
        let (_, recovered) = Ledger::open(dir.path(), options).unwrap();
        if keep == frame_len {
            // Every byte landed: the write is complete even though the call failed.
            assert_eq!(recovered.entries.len(), 123, "keep {keep}");
        } else {
            assert_eq!(recovered.entries, entries(1, 120, 1), "keep {keep}");
            assert_eq!(
                recovered.hard_state,
                hard_state(1, Some(1), 0),
                "keep {keep}"
            );
            assert_eq!(recovered.torn_tail.is_some(), keep > 0, "keep {keep}");
        }
    }
}

#[test]
fn damage_before_a_later_frame_is_refused() {
    let base = tempfile::tempdir().unwrap();
    ledger_with_known_last_frame(base.path());

    tracing::info!("--- a flipped payload byte in the last segment's first frame");
    let dir = copy_dir(base.path());
    let seg = segments(dir.path()).pop().unwrap();
    flip(&seg, FIRST_FRAME + FRAME_HEADER + 5);
    let msg = expect_corrupt(dir.path(), &seg, FIRST_FRAME);
    assert!(
        msg.contains("payload checksum") && msg.contains("valid later frame"),
        "{msg}"
    );

    tracing::info!("--- a flipped length byte: the header checksum catches it");
    let dir = copy_dir(base.path());
    let seg = segments(dir.path()).pop().unwrap();
    flip(&seg, FIRST_FRAME + 4);
    let msg = expect_corrupt(dir.path(), &seg, FIRST_FRAME);
    assert!(msg.contains("header checksum"), "{msg}");

    tracing::info!("--- any damage in a sealed segment");
    let dir = copy_dir(base.path());
    let first = segments(dir.path()).remove(0);
    let len = file_len(&first);
    flip(&first, len - 3);
    let err = Ledger::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { path, .. } if *path == first),
        "{err}"
    );
    assert!(err.to_string().contains("sealed segment"), "{err}");

    tracing::info!("--- a damaged segment header");
    let dir = copy_dir(base.path());
    let seg = segments(dir.path()).pop().unwrap();
    flip(&seg, 9);
    expect_corrupt(dir.path(), &seg, 0);

    tracing::info!("--- a missing segment in the middle");
    let dir = copy_dir(base.path());
    let segs = segments(dir.path());
    fs::remove_file(&segs[1]).unwrap();
    let err = expect_corrupt(dir.path(), &segs[2], 0);
    assert!(err.contains("is missing"), "{err}");
}

#[test]
fn a_damaged_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger.persist(None, &entries(1, 10, 1)).unwrap();
    let meta = SnapshotMeta {
        index: parliament_engine::LogIndex(8),
        term: parliament_engine::Term(1),
    };
    ledger.install_snapshot(meta, b"the state machine").unwrap();
    drop(ledger);
    let snap = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "snap"))
        .unwrap();
    flip(&snap, 50);
    let msg = expect_corrupt(dir.path(), &snap, 44);
    assert!(msg.contains("snapshot data checksum"), "{msg}");
}

#[test]
fn leftovers_of_interrupted_file_creation_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger.persist(None, &entries(1, 3, 1)).unwrap();
    drop(ledger);
    let tmp = dir.path().join("segment-00000000000000000002.log.tmp");
    fs::write(&tmp, b"half a segment").unwrap();
    let (_, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.entries, entries(1, 3, 1));
    assert!(!tmp.exists());
}
