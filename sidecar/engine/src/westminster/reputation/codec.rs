//! The binary encoding of a [`ReputationTable`], as published in a district decree.
//!
//! ```text
//! version      u8    TABLE_VERSION
//! publisher    u64   NodeId
//! index        u64   LogIndex
//! computed_at  u64   Time, ms
//! count        u64   number of rows
//! count × row:
//!   member     u64   NodeId, strictly ascending
//!   score      u16   at most 10 000
//!   seniority  u64   ms
//! ```
//!
//! Little-endian throughout. The encoding is exact: one table, one byte string (rows in
//! ascending member order, no trailing bytes), so equal tables give equal decrees.
//! Decoding checks every length before it reads or allocates and never panics.

use std::time::Duration;

use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::{ReputationTable, Score};

/// The encoding version this build writes and reads.
pub const TABLE_VERSION: u8 = 1;

const HEADER_BYTES: usize = 1 + 8 + 8 + 8 + 8;
const ROW_BYTES: usize = 8 + 2 + 8;

impl ReputationTable {
    /// The table's bytes, for a district decree.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + ROW_BYTES * self.len());
        out.push(TABLE_VERSION);
        out.extend_from_slice(&self.publisher().get().to_le_bytes());
        out.extend_from_slice(&self.index().get().to_le_bytes());
        out.extend_from_slice(&self.computed_at().as_millis().to_le_bytes());
        out.extend_from_slice(&u64::try_from(self.len()).unwrap_or(u64::MAX).to_le_bytes());
        for (member, row) in self.rows() {
            out.extend_from_slice(&member.get().to_le_bytes());
            out.extend_from_slice(&row.score.get().to_le_bytes());
            let millis = u64::try_from(row.seniority.as_millis()).unwrap_or(u64::MAX);
            out.extend_from_slice(&millis.to_le_bytes());
        }
        out
    }

    /// Reads a table written by [`ReputationTable::encode`].
    ///
    /// # Errors
    /// A [`DecodeError`] saying what is wrong and where; never panics, and allocates no
    /// more than the input's size.
    pub fn decode(bytes: &[u8]) -> Result<ReputationTable, DecodeError> {
        let mut r = Reader { buf: bytes, pos: 0 };
        let [version] = r.array::<1>("version")?;
        if version != TABLE_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                found: version,
                supported: TABLE_VERSION,
            });
        }
        let publisher = NodeId(r.u64("publisher")?);
        let index = LogIndex(r.u64("index")?);
        let computed_at = Time(r.u64("computed_at")?);
        let count = r.u64("row count")?;
        let available = r.remaining();
        // Checked before anything is allocated: the rows must fill the rest exactly.
        if !available.is_multiple_of(ROW_BYTES)
            || u64::try_from(available / ROW_BYTES).ok() != Some(count)
        {
            return Err(DecodeError::RowCount {
                count,
                available,
                row_bytes: ROW_BYTES,
            });
        }
        let mut table = ReputationTable::new(publisher, index, computed_at);
        let mut previous: Option<NodeId> = None;
        while r.remaining() > 0 {
            let member = NodeId(r.u64("row member")?);
            let raw = r.u16("row score")?;
            let seniority = Duration::from_millis(r.u64("row seniority")?);
            if let Some(previous) = previous.filter(|p| *p >= member) {
                return Err(DecodeError::Unordered { previous, member });
            }
            let score =
                Score::new(raw).ok_or(DecodeError::ScoreOutOfRange { member, score: raw })?;
            table.insert(member, score, seniority);
            previous = Some(member);
        }
        Ok(table)
    }
}

/// Bytes that are not a reputation table this build can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes ended inside the header.
    #[error(
        "reputation table is truncated: {what} needs {needed} bytes at offset {offset}, \
         {available} left"
    )]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A version this build does not read.
    #[error(
        "reputation table has encoding version {found}; this build reads version {supported}: \
         upgrade every member before publishing newer tables"
    )]
    UnsupportedVersion {
        /// The version found.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// The row count disagrees with the bytes that follow the header.
    #[error(
        "reputation table announces {count} rows but {available} bytes follow; \
         each row is {row_bytes} bytes"
    )]
    RowCount {
        /// The announced count.
        count: u64,
        /// Bytes after the header.
        available: usize,
        /// Bytes per row.
        row_bytes: usize,
    },
    /// A score above 10 000.
    #[error("reputation table row for {member} has score {score}; scores are at most 10000")]
    ScoreOutOfRange {
        /// The member of the row.
        member: NodeId,
        /// The score found.
        score: u16,
    },
    /// Rows not in strictly ascending member order (a duplicate, or out of order).
    #[error(
        "reputation table rows are not in strictly ascending member order: {member} follows {previous}"
    )]
    Unordered {
        /// The member of the row before.
        previous: NodeId,
        /// The member of the offending row.
        member: NodeId,
    },
}

/// A cursor over untrusted bytes that never reads past the end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let chunk = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
            .ok_or(DecodeError::Truncated {
                what,
                offset: self.pos,
                needed: N,
                available: self.remaining(),
            })?;
        self.pos += N;
        Ok(*chunk)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        self.array(what).map(u64::from_le_bytes)
    }
}
