//! The state machine the simulated members replicate: a tiny key-value store, rebuilt
//! from the log after every restart.

use std::collections::BTreeMap;

use bytes::Bytes;
use parliament_engine::LogIndex;
use parliament_engine::engine::{Entry, Payload};

use crate::sim::Command;
use crate::sim::TraceHash;
use crate::sim::trace::payload_digest;

/// The replicated key-value store of one member.
///
/// Besides its values it keeps `chain`, a hash chain over every entry it has applied
/// (index, term and payload). Two stores applied the same sequence exactly when their
/// chains agree; the chain travels inside snapshot images, so a store restored from a
/// snapshot can still be compared with those that applied every entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvStore {
    values: BTreeMap<String, Vec<u8>>,
    applied: LogIndex,
    chain: u64,
}

impl KvStore {
    /// An empty store (nothing applied).
    #[must_use]
    pub fn new() -> KvStore {
        KvStore::default()
    }

    /// Applies the next committed entry.
    ///
    /// # Errors
    /// A description of the problem when `entry` is not the next index, or its command
    /// cannot be parsed: both mean the engine broke the apply contract.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), String> {
        if entry.index != self.applied.next() {
            return Err(format!(
                "asked to apply {} after {}: committed entries must come in order, without gaps",
                entry.index, self.applied
            ));
        }
        if let Payload::Command(b) = &entry.payload {
            let cmd = Command::decode(b)
                .ok_or_else(|| format!("entry {} holds an unparsable command", entry.index))?;
            self.values.insert(cmd.key, cmd.value);
        }
        self.applied = entry.index;
        let mut h = TraceHash::new();
        h.write_u64(self.chain);
        h.write_u64(entry.index.0);
        h.write_u64(entry.term.0);
        h.write_u64(payload_digest(&entry.payload));
        self.chain = h.value();
        Ok(())
    }

    /// The fingerprint of everything applied so far.
    #[must_use]
    pub fn chain(&self) -> u64 {
        self.chain
    }

    /// The snapshot image: applied index, chain, then each key and value,
    /// length-prefixed.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut b = Vec::new();
        b.extend_from_slice(&self.applied.0.to_le_bytes());
        b.extend_from_slice(&self.chain.to_le_bytes());
        for (k, v) in &self.values {
            for part in [k.as_bytes(), v.as_slice()] {
                b.extend_from_slice(&(part.len() as u64).to_le_bytes());
                b.extend_from_slice(part);
            }
        }
        Bytes::from(b)
    }

    /// A store from an image written by [`KvStore::encode`]; `None` if it is malformed.
    #[must_use]
    pub fn decode(image: &[u8]) -> Option<KvStore> {
        fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, tail) = rest.split_at_checked(n)?;
            *rest = tail;
            Some(head)
        }
        fn number(rest: &mut &[u8]) -> Option<u64> {
            Some(u64::from_le_bytes(take(rest, 8)?.try_into().ok()?))
        }
        let mut rest = image;
        let applied = LogIndex(number(&mut rest)?);
        let chain = number(&mut rest)?;
        let mut values = BTreeMap::new();
        while !rest.is_empty() {
            let klen = usize::try_from(number(&mut rest)?).ok()?;
            let key = std::str::from_utf8(take(&mut rest, klen)?).ok()?.to_owned();
            let vlen = usize::try_from(number(&mut rest)?).ok()?;
            let value = take(&mut rest, vlen)?.to_vec();
            values.insert(key, value);
        }
        Some(KvStore {
            values,
            applied,
            chain,
        })
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.values.get(key).map(Vec::as_slice)
    }

    /// The last index applied.
    #[must_use]
    pub fn applied(&self) -> LogIndex {
        self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parliament_engine::Term;

    fn entry(index: u64, payload: Payload) -> Entry {
        Entry {
            term: Term(1),
            index: LogIndex(index),
            payload,
        }
    }

    #[test]
    fn applies_in_order_and_refuses_gaps() {
        let mut kv = KvStore::new();
        let put = Command {
            key: "k1".into(),
            value: b"c1-1".to_vec(),
        };
        assert_eq!(Command::decode(&put.encode()), Some(put.clone()));
        assert_eq!(kv.apply(&entry(1, Payload::Noop)), Ok(()));
        assert_eq!(kv.apply(&entry(2, Payload::Command(put.encode()))), Ok(()));
        assert_eq!(kv.get("k1"), Some(&b"c1-1"[..]));
        assert!(kv.apply(&entry(4, Payload::Noop)).is_err());
        assert_eq!(kv.applied(), LogIndex(2));
    }

    #[test]
    fn images_round_trip_and_chains_tell_histories_apart() {
        let put = |v: &str| {
            Payload::Command(
                Command {
                    key: "k".into(),
                    value: v.as_bytes().to_vec(),
                }
                .encode(),
            )
        };
        let (mut a, mut b) = (KvStore::new(), KvStore::new());
        assert_eq!(a.apply(&entry(1, put("x"))), Ok(()));
        assert_eq!(b.apply(&entry(1, put("y"))), Ok(()));
        assert_ne!(a.chain(), b.chain());
        assert_eq!(b.apply(&entry(2, put("x"))), Ok(()));
        assert_eq!(a.get("k"), b.get("k"));
        assert_eq!(KvStore::decode(&b.encode()), Some(b.clone()));
        assert_eq!(KvStore::decode(&b.encode()[..9]), None);
    }
}
