//! Reading one segment file back: verify every frame, and decide whether damage at
//! the end is a torn write (cut it) or corruption (refuse to start).
//!
//! The ledger writes one frame per `persist` call and returns only after `fdatasync`,
//! so at a crash at most the **last** frame of the **last** segment can be incomplete.
//! Hence the rule, applied at the first offset where no valid frame starts:
//! - only zeros follow: the clean end of the log;
//! - in any segment but the last: corruption (sealed segments hold frames, then zeros);
//! - in the last segment, if a valid frame with a later number lies anywhere after that
//!   offset: corruption, because that frame was written after the damaged one was
//!   durable;
//! - otherwise: a torn tail, cut at that offset.

use std::path::Path;

use crate::error::{Error, Result};
use crate::frame::{self, Frame};
use crate::record::Record;
use crate::segment;
use crate::wire::to_u64;

/// A frame read back from a segment.
#[derive(Debug)]
pub(crate) struct ScannedFrame {
    /// Its byte offset in the file.
    pub(crate) offset: u64,
    /// Its number.
    pub(crate) seq: u64,
    /// What it holds.
    pub(crate) record: Record,
}

/// What was found in one segment file.
#[derive(Debug)]
pub(crate) struct SegmentScan {
    /// The salt of the segment's frames.
    pub(crate) salt: u32,
    /// Its valid frames, in order.
    pub(crate) frames: Vec<ScannedFrame>,
    /// Offset just past the last valid frame.
    pub(crate) end: u64,
    /// Bytes of a torn write found after `end` (only ever in the last segment).
    pub(crate) torn: Option<u64>,
}

impl SegmentScan {
    /// Scans segment `number`, whose whole content is `buf`. `next_seq` is the number
    /// the first frame must have (unknown for the oldest segment); `is_last` says
    /// whether a torn tail is possible here.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` and the offset of the damage.
    pub(crate) fn scan(
        path: &Path,
        buf: &[u8],
        number: u64,
        mut next_seq: Option<u64>,
        is_last: bool,
    ) -> Result<SegmentScan> {
        let salt = segment::decode_header(buf, number).map_err(|r| Error::corrupt(path, 0, r))?;
        let mut frames = Vec::new();
        let mut pos = segment::HEADER_LEN;
        let reason = loop {
            if pos >= buf.len() {
                break None;
            }
            let frame = match Frame::parse(buf, pos, salt) {
                Ok(frame) => frame,
                Err(reason) => break Some(reason),
            };
            let offset = to_u64(pos);
            if let Some(want) = next_seq.filter(|want| *want != frame.seq) {
                return Err(Error::corrupt(
                    path,
                    offset,
                    format!("frame number {} where {want} was expected", frame.seq),
                ));
            }
            let record = Record::decode(&buf[frame.payload.clone()]).map_err(|r| {
                Error::corrupt(path, offset, format!("frame holds an invalid record: {r}"))
            })?;
            frames.push(ScannedFrame {
                offset,
                seq: frame.seq,
                record,
            });
            next_seq = Some(frame.seq.wrapping_add(1));
            pos = frame.end();
        };
        let end = to_u64(pos);
        let rest = buf.get(pos..).unwrap_or_default();
        let torn = match reason {
            None => None,
            Some(_) if rest.iter().all(|b| *b == 0) => None,
            Some(reason) if !is_last => {
                return Err(Error::corrupt(
                    path,
                    end,
                    format!("{reason} inside a sealed segment (a later segment exists)"),
                ));
            }
            Some(reason) => {
                if let Some((at, seq)) = later_frame(buf, pos, salt, next_seq) {
                    return Err(Error::corrupt(
                        path,
                        end,
                        format!(
                            "{reason}, yet a valid later frame (number {seq}) follows at byte offset {at}"
                        ),
                    ));
                }
                Some(to_u64(rest.len()))
            }
        };
        Ok(SegmentScan {
            salt,
            frames,
            end,
            torn,
        })
    }
}

/// The first valid frame after `from` numbered `next_seq` or later, as (offset, number).
fn later_frame(buf: &[u8], from: usize, salt: u32, next_seq: Option<u64>) -> Option<(u64, u64)> {
    let last_start = buf.len().checked_sub(frame::HEADER_LEN)?;
    (from + 1..=last_start)
        .filter(|at| Frame::has_magic(buf, *at))
        .find_map(|at| {
            let f = Frame::parse(buf, at, salt).ok()?;
            (next_seq.is_none_or(|n| f.seq >= n)).then_some((to_u64(at), f.seq))
        })
}
