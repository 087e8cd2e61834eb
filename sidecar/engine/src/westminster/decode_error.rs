//! Bytes in a district or Commons log that are not a Westminster command this build reads.

use crate::state;
use crate::westminster::reputation;

/// Why a [`DistrictCommand`](crate::westminster::DistrictCommand) or a
/// [`CommonsDecree`](crate::westminster::CommonsDecree) could not be decoded. Decoding
/// never panics: every way bytes can be wrong is one of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The framing: truncated, an unknown version or tag, trailing bytes.
    #[error(transparent)]
    Wire(#[from] state::Error),
    /// A published reputation table inside a district command.
    #[error(transparent)]
    Table(#[from] reputation::DecodeError),
    /// A field whose value is out of its range.
    #[error("{what} is {value} at offset {offset}; {rule}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value read.
        value: u64,
        /// Where it starts.
        offset: usize,
        /// What it must be.
        rule: &'static str,
    },
}
