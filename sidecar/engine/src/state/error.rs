//! The one error type of the state machine: bad input, undecodable bytes, a corrupt
//! snapshot, or a shell that broke the apply contract.
//!
//! Rejections of a well-formed command (a stale fence, a conflict) are not errors: they
//! are [`Rejected`](crate::state::Rejected) values inside a response, decided the same
//! way on every replica.

use std::fmt::Write as _;

use crate::types::LogIndex;

/// Everything that can go wrong outside a command's own outcome.
///
/// Messages say what was wrong, show the offending value (truncated), and say what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A field that needs content was empty.
    #[error("{field} is empty; it needs at least one character")]
    Empty {
        /// The field, e.g. `"key"`.
        field: &'static str,
    },
    /// A field was longer than its limit.
    #[error("{field} {value} is {len} bytes; the limit is {limit} bytes")]
    TooLong {
        /// The field, e.g. `"key"`.
        field: &'static str,
        /// The start of the value, quoted (or hex for binary), ending in `…` if cut.
        value: String,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A field held a character or shape its rule forbids.
    #[error("{field} {value} is not allowed ({problem}): {rule}")]
    NotAllowed {
        /// The field, e.g. `"district name"`.
        field: &'static str,
        /// The start of the value, quoted, ending in `…` if cut.
        value: String,
        /// What is wrong and where, e.g. `'A' at byte 0`.
        problem: String,
        /// The rule the value must follow.
        rule: &'static str,
    },
    /// A scope string that is none of the three forms.
    #[error("unknown scope {value}: a scope is `global`, `critical` or `district/<name>`")]
    UnknownScope {
        /// The start of the string given, quoted.
        value: String,
    },
    /// Encoded bytes ended early, or announced a length longer than what follows.
    #[error("{what} is truncated: {needed} bytes needed at offset {offset}, {available} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where.
        offset: usize,
        /// Bytes it needed.
        needed: u64,
        /// Bytes that were left.
        available: usize,
    },
    /// Encoded bytes of a version this build does not read.
    #[error(
        "{what} has encoding version {found}; this build reads version {supported}: \
         upgrade every member before proposing newer encodings"
    )]
    UnsupportedVersion {
        /// What was being read.
        what: &'static str,
        /// The version found.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// An enum tag (or presence flag) with no meaning in this version.
    #[error("{what} has unknown tag {tag} at offset {offset}")]
    UnknownTag {
        /// What was being read.
        what: &'static str,
        /// The tag found.
        tag: u8,
        /// Where.
        offset: usize,
    },
    /// Bytes left over after a complete value: encodings are exact.
    #[error("{what} has {count} trailing bytes after offset {offset}")]
    TrailingBytes {
        /// What was being read.
        what: &'static str,
        /// Where the value ended.
        offset: usize,
        /// How many bytes followed.
        count: usize,
    },
    /// Text that is not UTF-8.
    #[error("{what} at offset {offset} is not valid UTF-8")]
    NotUtf8 {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A snapshot whose bytes decode but whose content breaks an invariant, or whose
    /// checksum does not match.
    #[error("snapshot is corrupt: {reason}; take a new snapshot from a healthy member")]
    CorruptSnapshot {
        /// What is wrong.
        reason: String,
    },
    /// A configuration value that would make the store unusable.
    #[error("state configuration {field} = {value} is invalid: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        reason: &'static str,
    },
    /// The shell applied an index at or below the last applied one. Nothing changed;
    /// after a restart, resume applying at `applied + 1`.
    #[error("log index {index} is already applied (applied through {applied}); nothing changed")]
    AlreadyApplied {
        /// The index given.
        index: LogIndex,
        /// The last applied index.
        applied: LogIndex,
    },
    /// The shell skipped an index. Nothing changed: committed entries must be applied in
    /// order, without gaps (docs/protocol.md §3); pass no-op entries to `skip`.
    #[error(
        "log index {index} does not follow the last applied index {applied}; \
         apply every committed entry in order (no-ops with skip)"
    )]
    Gap {
        /// The index given.
        index: LogIndex,
        /// The last applied index.
        applied: LogIndex,
    },
}

/// A result whose error is the state machine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of a value an error or rejection shows.
const PREVIEW_CHARS: usize = 32;

/// A short, printable rendering of untrusted bytes for messages: the first characters,
/// quoted and escaped, when they are UTF-8; otherwise the first bytes in hex. Ends in `…`
/// when cut.
pub(crate) fn preview(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => preview_str(text),
        Err(_) => {
            let shown = bytes.len().min(PREVIEW_CHARS / 2);
            let mut out = String::from("0x");
            for b in bytes.iter().take(shown) {
                // Writing to a String cannot fail.
                let _ = write!(out, "{b:02x}");
            }
            if shown < bytes.len() {
                out.push('…');
            }
            out
        }
    }
}

/// [`preview`] for text.
pub(crate) fn preview_str(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(PREVIEW_CHARS).collect();
    let mut out = format!("{head:?}");
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_short_and_printable() {
        let cases: [(&[u8], &str); 4] = [
            (b"abc", "\"abc\""),
            (b"line\nbreak", "\"line\\nbreak\""),
            (&[0xff, 0x00, 0x10], "0xff0010"),
            (&[0xff; 40], "0xffffffffffffffffffffffffffffffff…"),
        ];
        for (input, want) in cases {
            assert_eq!(preview(input), want, "{input:?}");
        }
        let long = "x".repeat(100);
        let shown = preview_str(&long);
        assert!(shown.ends_with('…') && shown.len() < 40, "{shown}");
    }
}
