//! The binary encoding shared by commands, responses and snapshots: little-endian
//! integers, `u64`-length-prefixed byte strings, one-byte tags and presence flags, and a
//! reader that checks every length against what is left before it reads or allocates.
//!
//! Decoding untrusted bytes yields a value or an [`Error`]; it never panics and never
//! allocates more than the input's size. Encodings are exact: every value has one
//! encoding, so equal states give equal bytes.

use crate::state::error::{Error, Result};
use crate::types::{FencingToken, GroupId, Term};

/// An append-only encoder.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub(crate) fn new() -> Writer {
        Writer::default()
    }

    /// The bytes written.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// One byte (a version, tag or small length).
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A flag: 0 or 1.
    pub(crate) fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    /// Raw bytes with no length (the caller wrote or fixed the length).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A `u64` length, then the bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.u64(to_u64(bytes.len()));
        self.raw(bytes);
    }

    /// A string as [`Writer::bytes`].
    pub(crate) fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    /// A presence flag, then the value if present.
    pub(crate) fn option<T: Wire>(&mut self, value: Option<&T>) {
        match value {
            None => self.bool(false),
            Some(v) => {
                self.bool(true);
                v.put(self);
            }
        }
    }
}

/// A reader over untrusted bytes that never reads past the end.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8]> {
        let truncated = Error::Truncated {
            what,
            offset: self.pos,
            needed: n,
            available: self.remaining(),
        };
        let n = usize::try_from(n).map_err(|_| truncated.clone())?;
        if n > self.remaining() {
            return Err(truncated);
        }
        let end = self.pos + n;
        let out = self.buf.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N as u64, what)?);
        Ok(out)
    }

    /// One byte.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A flag that must be 0 or 1.
    pub(crate) fn bool(&mut self, what: &'static str) -> Result<bool> {
        let offset = self.pos;
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(Error::UnknownTag { what, tag, offset }),
        }
    }

    /// A `u64` length, then that many bytes (checked against what is left first).
    pub(crate) fn bytes(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let len = self.u64(what)?;
        self.take(len, what)
    }

    /// A string written by [`Writer::str`].
    pub(crate) fn str(&mut self, what: &'static str) -> Result<&'a str> {
        let offset = self.pos;
        let bytes = self.bytes(what)?;
        std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8 { what, offset })
    }

    /// A value written by [`Writer::option`].
    pub(crate) fn option<T: Wire>(&mut self, what: &'static str) -> Result<Option<T>> {
        if self.bool(what)? {
            Ok(Some(T::take(self)?))
        } else {
            Ok(None)
        }
    }

    /// A version byte that must equal `supported`.
    pub(crate) fn version(&mut self, what: &'static str, supported: u8) -> Result<()> {
        let found = self.u8(what)?;
        if found == supported {
            Ok(())
        } else {
            Err(Error::UnsupportedVersion {
                what,
                found,
                supported,
            })
        }
    }

    /// Succeeds only if every byte was consumed.
    pub(crate) fn finish(&self, what: &'static str) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(Error::TrailingBytes {
                what,
                offset: self.pos,
                count,
            }),
        }
    }
}

/// A type with one exact binary encoding.
pub(crate) trait Wire: Sized {
    /// Appends the encoding.
    fn put(&self, w: &mut Writer);
    /// Reads one value.
    ///
    /// # Errors
    /// An [`Error`] naming what could not be read and where.
    fn take(r: &mut Reader<'_>) -> Result<Self>;
}

impl Wire for FencingToken {
    fn put(&self, w: &mut Writer) {
        w.u64(self.group.get());
        w.u64(self.term.get());
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok(FencingToken {
            group: GroupId(r.u64("fencing token group")?),
            term: Term(r.u64("fencing token term")?),
        })
    }
}

/// A length as the `u64` the encoding stores (lossless on every platform Rust supports).
pub(crate) fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut w = Writer::new();
        w.u16(7);
        w.bytes(b"abc");
        w.u8(2);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u16("a"), Ok(7));
        assert_eq!(r.bytes("b"), Ok(&b"abc"[..]));
        assert!(matches!(r.bool("c"), Err(Error::UnknownTag { tag: 2, .. })));
        assert!(matches!(r.u8("d"), Err(Error::Truncated { .. })));
        assert_eq!(r.finish("e"), Ok(()));
    }

    #[test]
    fn a_huge_announced_length_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u64(u64::MAX);
        let bytes = w.finish();
        let err = Reader::new(&bytes).bytes("value").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    what: "value",
                    needed: u64::MAX,
                    available: 0,
                    ..
                }
            ),
            "{err}"
        );
    }
}
