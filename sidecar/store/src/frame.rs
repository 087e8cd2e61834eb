//! Frames: the checksummed envelope around each record in a segment file.
//!
//! ```text
//! magic       u32  b"PLFR"
//! len         u32  payload length
//! seq         u64  frame number: +1 for every frame the ledger ever writes
//! header_crc  u32  CRC32C of magic, len and seq
//! payload_crc u32  CRC32C of the payload
//! payload     len bytes (a record)
//! ```
//! Both checksums are seeded with the segment's random salt, so bytes inside a
//! command (which a client chooses) cannot pass for a frame of this segment, and a
//! frame copied from another segment does not verify. The header has its own checksum
//! so that a damaged length is never trusted, and so that recovery can search past a
//! damaged frame for later frames (see `scan.rs`).

use std::ops::Range;

use crate::wire::{Reader, put_u32, put_u64};

/// The frame magic, `b"PLFR"` read little-endian.
const MAGIC: u32 = u32::from_le_bytes(*b"PLFR");
/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 24;
/// The largest payload a frame may carry.
pub(crate) const MAX_PAYLOAD: usize = 1 << 30;

/// A frame that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Its sequence number.
    pub(crate) seq: u64,
    /// Where its payload lies in the buffer it was parsed from.
    pub(crate) payload: Range<usize>,
}

impl Frame {
    /// Offset just past the frame.
    pub(crate) fn end(&self) -> usize {
        self.payload.end
    }

    /// Appends a frame around `payload` to `out`. The caller checked
    /// `payload.len() <= MAX_PAYLOAD`.
    pub(crate) fn encode(salt: u32, seq: u64, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        put_u32(out, MAGIC);
        put_u32(out, u32::try_from(payload.len()).unwrap_or(u32::MAX));
        put_u64(out, seq);
        let header_crc = crc32c::crc32c_append(salt, &out[start..]);
        put_u32(out, header_crc);
        put_u32(out, crc32c::crc32c_append(salt, payload));
        out.extend_from_slice(payload);
    }

    /// Parses and verifies the frame starting at `at` in `buf`.
    ///
    /// # Errors
    /// Why there is no valid frame at `at`.
    pub(crate) fn parse(buf: &[u8], at: usize, salt: u32) -> Result<Frame, &'static str> {
        let header = buf
            .get(at..)
            .and_then(|b| b.get(..HEADER_LEN))
            .ok_or("frame header cut short")?;
        let mut r = Reader::new(header);
        let short = |_| "frame header cut short";
        let magic = r.u32().map_err(short)?;
        let len = r.u32().map_err(short)? as usize;
        let seq = r.u64().map_err(short)?;
        let header_crc = r.u32().map_err(short)?;
        let payload_crc = r.u32().map_err(short)?;
        if magic != MAGIC {
            return Err("bad frame magic");
        }
        if crc32c::crc32c_append(salt, &header[..16]) != header_crc {
            return Err("frame header checksum mismatch");
        }
        if len > MAX_PAYLOAD {
            return Err("frame length out of range");
        }
        let start = at + HEADER_LEN;
        let payload = start..start + len;
        let bytes = buf.get(payload.clone()).ok_or("frame payload cut short")?;
        if crc32c::crc32c_append(salt, bytes) != payload_crc {
            return Err("frame payload checksum mismatch");
        }
        Ok(Frame { seq, payload })
    }

    /// Whether `at` could start a frame: a cheap filter before [`Frame::parse`] when
    /// searching byte by byte.
    pub(crate) fn has_magic(buf: &[u8], at: usize) -> bool {
        buf.get(at..at + 4) == Some(&MAGIC.to_le_bytes()[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_every_single_byte_change() {
        let mut buf = vec![0xEE; 3];
        Frame::encode(42, 9, b"payload", &mut buf);
        let frame = Frame::parse(&buf, 3, 42).unwrap();
        assert_eq!(frame.seq, 9);
        assert_eq!(&buf[frame.payload.clone()], b"payload");
        assert_eq!(frame.end(), buf.len());
        assert!(Frame::has_magic(&buf, 3));
        assert!(
            Frame::parse(&buf, 3, 43).is_err(),
            "another salt must not verify"
        );
        for i in 3..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(
                Frame::parse(&bad, 3, 42).is_err(),
                "flip at {i} went unnoticed"
            );
        }
        for cut in 3..buf.len() {
            assert!(
                Frame::parse(&buf[..cut], 3, 42).is_err(),
                "cut at {cut} went unnoticed"
            );
        }
    }
}
