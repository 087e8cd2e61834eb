//! Snapshot files: a state-machine image and the log position it covers, on disk.
//!
//! ```text
//! magic     8 bytes  b"PARLSNP1"
//! version   u8 = 1, then 3 zero bytes
//! index     u64      last log index the image includes
//! term      u64      term of that entry
//! len       u64      bytes of data
//! data_crc  u32      CRC32C of the data
//! crc       u32      CRC32C of the 40 bytes before it
//! data
//! ```
//! A snapshot is written to a temporary file, fsynced, renamed to
//! `snapshot-<index>-<term>.snap` and the directory fsynced: a file with the final
//! name is always complete, so any damage in one is corruption, never a torn write.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use parliament_engine::engine::{Snapshot, SnapshotMeta};
use parliament_engine::{LogIndex, Term};

use crate::error::{Error, Result};
use crate::segment::sync_dir;
use crate::wire::{Reader, put_u32, put_u64, to_u64};

const MAGIC: &[u8; 8] = b"PARLSNP1";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 44;

/// Reading and writing snapshot files. The snapshot type itself is the engine's.
#[derive(Debug)]
pub(crate) struct SnapshotFile;

impl SnapshotFile {
    /// The file name of a snapshot at `meta`.
    pub(crate) fn file_name(meta: SnapshotMeta) -> String {
        format!(
            "snapshot-{:020}-{:020}.snap",
            meta.index.get(),
            meta.term.get()
        )
    }

    /// The position in a file name, if it is a snapshot's name.
    pub(crate) fn parse_file_name(name: &str) -> Option<SnapshotMeta> {
        let rest = name.strip_prefix("snapshot-")?.strip_suffix(".snap")?;
        let (index, term) = rest.split_once('-')?;
        let num = |s: &str| {
            (s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        Some(SnapshotMeta {
            index: LogIndex(num(index)?),
            term: Term(num(term)?),
        })
    }

    /// Writes a snapshot into `dir` durably and returns its path.
    pub(crate) fn write(dir: &Path, meta: SnapshotMeta, data: &[u8]) -> Result<PathBuf> {
        let name = Self::file_name(meta);
        let path = dir.join(&name);
        let tmp = dir.join(format!("{name}.tmp"));
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&[VERSION, 0, 0, 0]);
        put_u64(&mut header, meta.index.get());
        put_u64(&mut header, meta.term.get());
        put_u64(&mut header, to_u64(data.len()));
        put_u32(&mut header, crc32c::crc32c(data));
        let crc = crc32c::crc32c(&header);
        put_u32(&mut header, crc);
        let mut file = File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        file.write_all(&header)
            .and_then(|()| file.write_all(data))
            .map_err(|e| Error::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename into place", &tmp, e))?;
        sync_dir(dir)?;
        Ok(path)
    }

    /// Reads and verifies the snapshot file at `path`, whose name says `meta`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the file does not verify.
    pub(crate) fn read(path: &Path, meta: SnapshotMeta) -> Result<Snapshot> {
        let buf = fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let corrupt = |offset: usize, reason: String| Error::corrupt(path, to_u64(offset), reason);
        let header = buf
            .get(..HEADER_LEN)
            .ok_or_else(|| corrupt(0, "snapshot header cut short".into()))?;
        let mut r = Reader::new(header);
        let short = |_| corrupt(0, "snapshot header cut short".into());
        let magic = r.bytes(8).map_err(short)?;
        let version = r.u8().map_err(short)?;
        let _pad = r.bytes(3).map_err(short)?;
        let index = LogIndex(r.u64().map_err(short)?);
        let term = Term(r.u64().map_err(short)?);
        let len = r.u64().map_err(short)?;
        let data_crc = r.u32().map_err(short)?;
        let crc = r.u32().map_err(short)?;
        if magic != MAGIC {
            return Err(corrupt(0, "not a ledger snapshot (bad magic)".into()));
        }
        if crc32c::crc32c(&header[..HEADER_LEN - 4]) != crc {
            return Err(corrupt(0, "snapshot header checksum mismatch".into()));
        }
        if version != VERSION {
            return Err(corrupt(0, format!("unknown snapshot version {version}")));
        }
        if index.get() == u64::MAX {
            return Err(corrupt(0, "snapshot index out of range".into()));
        }
        if (SnapshotMeta { index, term }) != meta {
            return Err(corrupt(
                0,
                format!(
                    "header says index {} term {}, file name disagrees",
                    index.get(),
                    term.get()
                ),
            ));
        }
        let data = &buf[HEADER_LEN..];
        if to_u64(data.len()) != len {
            return Err(corrupt(
                HEADER_LEN,
                format!(
                    "snapshot holds {} bytes of data, header says {len}",
                    data.len()
                ),
            ));
        }
        if crc32c::crc32c(data) != data_crc {
            return Err(corrupt(
                HEADER_LEN,
                "snapshot data checksum mismatch".into(),
            ));
        }
        Ok(Snapshot {
            meta,
            data: Bytes::copy_from_slice(data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let meta = SnapshotMeta {
            index: LogIndex(12),
            term: Term(3),
        };
        assert_eq!(
            SnapshotFile::parse_file_name(&SnapshotFile::file_name(meta)),
            Some(meta)
        );
        assert_eq!(SnapshotFile::parse_file_name("snapshot-12-3.snap"), None);
        assert_eq!(
            SnapshotFile::parse_file_name("segment-00000000000000000001.log"),
            None
        );
    }

    #[test]
    fn detects_damage_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let meta = SnapshotMeta {
            index: LogIndex(5),
            term: Term(2),
        };
        let path = SnapshotFile::write(dir.path(), meta, b"state machine image").unwrap();
        assert_eq!(
            &SnapshotFile::read(&path, meta).unwrap().data[..],
            b"state machine image"
        );
        let good = fs::read(&path).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            fs::write(&path, &bad).unwrap();
            let err = SnapshotFile::read(&path, meta).unwrap_err();
            assert!(matches!(err, Error::Corrupt { .. }), "flip at {i}: {err}");
        }
    }
}
