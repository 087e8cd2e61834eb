//! The crate's error: why a message from the wire could not become an engine value.

/// Why a protocol value could not be converted to an engine value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A field the engine needs was absent (a `oneof` or message field left unset).
    #[error("malformed {message}: field `{field}` is missing; the sender must set it")]
    Missing {
        /// The protocol message that lacked it.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field held a value the engine cannot accept.
    #[error("malformed {message}: field `{field}` is invalid: {reason}")]
    Invalid {
        /// The protocol message.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// What was wrong, with the offending value.
        reason: String,
    },
}

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
