//! Segment files: the ledger's log is a numbered sequence of them, and the last one is
//! open for appends.
//!
//! ```text
//! segment header (32 bytes)
//!   magic    8 bytes  b"PARLSEG1"
//!   version  u8 = 1, then 3 zero bytes
//!   number   u64      equals the number in the file name
//!   salt     u32      random; seeds every frame checksum in this file
//!   reserved u32 = 0
//!   crc      u32      CRC32C of the 28 bytes before it
//! frames, back to back (see frame.rs)
//! zeros to the end of the file
//! ```
//! Files grow in zero-filled chunks written ahead of the frames, so that most appends
//! overwrite already-allocated blocks and `fdatasync` has no metadata to flush.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

#[cfg(any(test, feature = "failpoints"))]
use crate::Failpoint;
use crate::error::{Error, Result};
use crate::wire::{Reader, put_u32, put_u64, to_u64};

const MAGIC: &[u8; 8] = b"PARLSEG1";
const VERSION: u8 = 1;
/// Bytes before the first frame.
pub(crate) const HEADER_LEN: usize = 32;

/// The file name of segment `number`.
pub(crate) fn file_name(number: u64) -> String {
    format!("segment-{number:020}.log")
}

/// The segment number in a file name, if it is a segment's name.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("segment-")?.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Encodes a segment header.
fn encode_header(number: u64, salt: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION, 0, 0, 0]);
    put_u64(&mut out, number);
    put_u32(&mut out, salt);
    put_u32(&mut out, 0);
    let crc = crc32c::crc32c(&out);
    put_u32(&mut out, crc);
    out
}

/// Verifies the header of segment `number` at the start of `buf` and returns its salt.
///
/// # Errors
/// Why the header is not valid.
pub(crate) fn decode_header(buf: &[u8], number: u64) -> Result<u32, String> {
    let header = buf.get(..HEADER_LEN).ok_or("segment header cut short")?;
    let mut r = Reader::new(header);
    let short = |_| "segment header cut short".to_string();
    let magic = r.bytes(8).map_err(short)?;
    let version = r.u8().map_err(short)?;
    let _pad = r.bytes(3).map_err(short)?;
    let in_header = r.u64().map_err(short)?;
    let salt = r.u32().map_err(short)?;
    let _reserved = r.u32().map_err(short)?;
    let crc = r.u32().map_err(short)?;
    if magic != MAGIC {
        return Err("not a ledger segment (bad magic)".into());
    }
    if crc32c::crc32c(&header[..HEADER_LEN - 4]) != crc {
        return Err("segment header checksum mismatch".into());
    }
    if version != VERSION {
        return Err(format!("unknown segment version {version}"));
    }
    if in_header != number {
        return Err(format!(
            "segment header says number {in_header}, file name says {number}"
        ));
    }
    Ok(salt)
}

/// Makes a directory entry change (create, rename, unlink) in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync directory", dir, e))
}

/// A segment open for appends.
#[derive(Debug)]
pub(crate) struct Segment {
    path: PathBuf,
    file: File,
    number: u64,
    salt: u32,
    /// Offset just past the last frame: where the next frame goes.
    end: u64,
    /// The file's length; every byte in `end..len` is zero.
    len: u64,
    /// Frames in this segment.
    frames: u64,
}

impl Segment {
    /// Creates segment `number` in `dir`, durably: header and first zero chunk written
    /// to a temporary file, fsync, rename, fsync of the directory.
    pub(crate) fn create(dir: &Path, number: u64, chunk: u64) -> Result<Segment> {
        let name = file_name(number);
        let path = dir.join(&name);
        let tmp = dir.join(format!("{name}.tmp"));
        let salt = u32::try_from(RandomState::new().hash_one(number) >> 32).unwrap_or(0);
        let header = encode_header(number, salt);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        let len = chunk.max(to_u64(HEADER_LEN));
        let mut first = header;
        first.resize(usize::try_from(len).unwrap_or(HEADER_LEN), 0);
        file.write_all_at(&first, 0)
            .map_err(|e| Error::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename into place", &tmp, e))?;
        sync_dir(dir)?;
        Ok(Segment {
            path,
            file,
            number,
            salt,
            end: to_u64(HEADER_LEN),
            len: to_u64(first.len()),
            frames: 0,
        })
    }

    /// Reopens the last segment for appends after recovery. Any torn bytes past `end`
    /// are cut off durably first, so that later frames are followed only by zeros.
    pub(crate) fn resume(
        path: PathBuf,
        number: u64,
        salt: u32,
        end: u64,
        frames: u64,
        torn: bool,
    ) -> Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        let mut len = file
            .metadata()
            .map_err(|e| Error::io("stat", &path, e))?
            .len();
        if torn {
            file.set_len(end)
                .map_err(|e| Error::io("cut the torn tail of", &path, e))?;
            file.sync_all().map_err(|e| Error::io("fsync", &path, e))?;
            len = end;
        }
        Ok(Segment {
            path,
            file,
            number,
            salt,
            end,
            len,
            frames,
        })
    }

    /// The segment's number.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// The salt that frames in this segment are checksummed with.
    pub(crate) fn salt(&self) -> u32 {
        self.salt
    }

    /// Frames written to this segment.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes used by the header and frames.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one encoded frame after the last and makes it durable (`fdatasync`)
    /// before returning. When the frame reaches past the zeroed area, the file grows
    /// by whole `chunk`s of zeros in the same write.
    pub(crate) fn append(
        &mut self,
        frame: &[u8],
        chunk: u64,
        #[cfg(any(test, feature = "failpoints"))] failpoint: Option<Failpoint>,
    ) -> Result<()> {
        let frame_end = self.end + to_u64(frame.len());
        let mut buf;
        let mut out = frame;
        let mut new_len = self.len;
        if frame_end > self.len {
            let chunk = chunk.max(1);
            new_len = frame_end.div_ceil(chunk).saturating_mul(chunk);
            buf = Vec::with_capacity(usize::try_from(new_len - self.end).unwrap_or(0));
            buf.extend_from_slice(frame);
            buf.resize(
                usize::try_from(new_len - self.end).unwrap_or(frame.len()),
                0,
            );
            out = &buf;
        }
        #[cfg(any(test, feature = "failpoints"))]
        if let Some(fp) = failpoint {
            match fp {
                Failpoint::FailWrite => {}
                Failpoint::TornWrite { keep } => {
                    let keep = keep.min(frame.len());
                    self.write_at(&frame[..keep], self.end)?;
                    self.sync()?;
                }
                Failpoint::FailSync => self.write_at(out, self.end)?,
            }
            return Err(Error::io("write", &self.path, fp.error()));
        }
        self.write_at(out, self.end)?;
        self.sync()?;
        self.end = frame_end;
        self.len = new_len;
        self.frames += 1;
        Ok(())
    }

    fn write_at(&self, buf: &[u8], at: u64) -> Result<()> {
        self.file
            .write_all_at(buf, at)
            .map_err(|e| Error::io("write", &self.path, e))
    }

    fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_file_name(&file_name(42)), Some(42));
        assert_eq!(parse_file_name("segment-42.log"), None);
        assert_eq!(parse_file_name("segment-0000000000000000004x.log"), None);
        assert_eq!(parse_file_name(&format!("{}.tmp", file_name(1))), None);
    }

    #[test]
    fn header_round_trips_and_checks_its_number() {
        let h = encode_header(7, 0xdead_beef);
        assert_eq!(decode_header(&h, 7), Ok(0xdead_beef));
        assert!(
            decode_header(&h, 8)
                .unwrap_err()
                .contains("file name says 8")
        );
        let mut bad = h.clone();
        bad[12] ^= 1;
        assert!(decode_header(&bad, 7).unwrap_err().contains("checksum"));
        assert!(
            decode_header(&h[..31], 7)
                .unwrap_err()
                .contains("cut short")
        );
    }
}
