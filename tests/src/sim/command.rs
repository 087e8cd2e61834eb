//! A key-value write as an entry payload: [`Command`].

use bytes::Bytes;

/// A write: `key = value`, encoded as the UTF-8 text `key=value`. Values are unique per
/// client operation, so every entry can be traced back to the request that made it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    /// The key written.
    pub key: String,
    /// The value written.
    pub value: Vec<u8>,
}

impl Command {
    /// The entry payload for this command.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut b = Vec::with_capacity(self.key.len() + 1 + self.value.len());
        b.extend_from_slice(self.key.as_bytes());
        b.push(b'=');
        b.extend_from_slice(&self.value);
        Bytes::from(b)
    }

    /// Parses a payload written by [`Command::encode`].
    #[must_use]
    pub fn decode(payload: &[u8]) -> Option<Command> {
        let eq = payload.iter().position(|b| *b == b'=')?;
        let key = std::str::from_utf8(&payload[..eq]).ok()?.to_owned();
        Some(Command {
            key,
            value: payload[eq + 1..].to_vec(),
        })
    }
}
