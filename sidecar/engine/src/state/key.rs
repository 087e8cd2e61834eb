//! Keys: the names of values within a scope.

use std::fmt;
use std::str::FromStr;

use crate::state::error::{Error, Result, preview_str};
use crate::state::wire::{Reader, Wire, Writer};

/// The longest key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

const RULE: &str = "a key is UTF-8 text of 1 to 1024 bytes without control characters";

/// A key: non-empty UTF-8 text of at most [`MAX_KEY_BYTES`] bytes with no control
/// characters.
///
/// Keys are text, not bytes, because every way a user reaches them is text (the HTTP/JSON
/// API, `kubectl`, logs, error messages) and prefix listing is defined on text. Control
/// characters are refused so that a key can be printed in a log line or an error without
/// escaping surprises. Keys order by their UTF-8 bytes, which is also the order of
/// [`str`]. Values, in contrast, are arbitrary bytes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    /// Checks `key` and wraps it.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::TooLong`] (with the key's start, its length and the
    /// limit) or [`Error::NotAllowed`] naming the control character and its position.
    pub fn new(key: impl Into<String>) -> Result<Key> {
        let key = key.into();
        check(&key)?;
        Ok(Key(key))
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: keys are never empty. Present because `len` is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check(key: &str) -> Result<()> {
    const FIELD: &str = "key";
    if key.is_empty() {
        return Err(Error::Empty { field: FIELD });
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::TooLong {
            field: FIELD,
            value: preview_str(key),
            len: key.len(),
            limit: MAX_KEY_BYTES,
        });
    }
    if let Some((at, c)) = key.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Error::NotAllowed {
            field: FIELD,
            value: preview_str(key),
            problem: format!("control character {c:?} at byte {at}"),
            rule: RULE,
        });
    }
    Ok(())
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Key {
    type Err = Error;
    fn from_str(s: &str) -> Result<Key> {
        Key::new(s)
    }
}

// Keys compare, hash and order exactly as their text does, so maps keyed by `Key` can be
// searched by `&str` (prefix listing).
impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Wire for Key {
    fn put(&self, w: &mut Writer) {
        // A valid key is at most 1024 bytes, so its length fits a u16.
        w.u16(u16::try_from(self.0.len()).unwrap_or(u16::MAX));
        w.raw(self.0.as_bytes());
    }

    fn take(r: &mut Reader<'_>) -> Result<Key> {
        let len = r.u16("key length")?;
        if usize::from(len) > MAX_KEY_BYTES {
            return Err(Error::TooLong {
                field: "key",
                value: format!("at offset {}", r.position()),
                len: usize::from(len),
                limit: MAX_KEY_BYTES,
            });
        }
        let at = r.position();
        let bytes = r.take(u64::from(len), "key")?;
        let text = std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
            what: "key",
            offset: at,
        })?;
        Key::new(text)
    }
}
