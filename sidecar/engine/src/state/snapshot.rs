//! Snapshots of a [`StateMachine`]: one deterministic byte image of everything applied.
//!
//! ```text
//! magic    8 bytes  b"PARLSTAT"
//! version  u8 = 1
//! applied  u64      last log index the image includes
//! scopes   u64      count, then per scope in scope order:
//!   scope              (as in commands)
//!   revision u64
//!   fences   u64 count, then (group u64, term u64) in group order
//!   sessions next_client u64, clock u64, u64 count, then per session in client order:
//!            client u64, last_active u64, floor u64, u64 count,
//!            then (seq u64, revision u64, token opt, outcome) in seq order
//!   keys     u64 count, then (key, value, create u64, mod u64, version u64) in key order
//! digest   u64      FNV-1a 64 of every byte before it
//! ```
//! Every map is written in `BTreeMap` order and every value has one encoding, so equal
//! states give equal bytes: replicas can compare images. Decoding checks the digest,
//! the order of every map (so no key appears twice) and the revision invariants, and
//! reports the first problem; it never panics. The digest guards against damage inside
//! the image; the shell's snapshot file adds its own CRC32C.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::state::config::Config;
use crate::state::error::{Error, Result};
use crate::state::machine::StateMachine;
use crate::state::scope::Scope;
use crate::state::store::ScopeStore;
use crate::state::wire::{Reader, Wire, Writer, to_u64};
use crate::types::LogIndex;

/// The first bytes of every state snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"PARLSTAT";
/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u8 = 1;
const DIGEST_BYTES: usize = 8;

/// FNV-1a, 64 bits: a fixed, dependency-free digest (not a defence against tampering).
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The image of `machine`.
pub(crate) fn encode(machine: &StateMachine) -> Bytes {
    let mut w = Writer::new();
    w.raw(SNAPSHOT_MAGIC);
    w.u8(SNAPSHOT_VERSION);
    w.u64(machine.applied_index().get());
    w.u64(to_u64(machine.scopes().len()));
    for (scope, store) in machine.scopes() {
        scope.put(&mut w);
        store.put_snapshot(&mut w);
    }
    let mut bytes = w.finish();
    let sum = digest(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    Bytes::from(bytes)
}

/// A state machine from an image written by [`encode`].
pub(crate) fn decode(config: Config, bytes: &[u8]) -> Result<StateMachine> {
    let corrupt = |reason: String| Error::CorruptSnapshot { reason };
    let mut r = Reader::new(bytes);
    let magic = r.take(to_u64(SNAPSHOT_MAGIC.len()), "snapshot magic")?;
    if magic != SNAPSHOT_MAGIC {
        return Err(corrupt(
            "it does not start with \"PARLSTAT\", so it is not a state snapshot".to_owned(),
        ));
    }
    r.version("snapshot version", SNAPSHOT_VERSION)?;
    let Some(body_len) = bytes.len().checked_sub(DIGEST_BYTES) else {
        return Err(corrupt("too short to hold a digest".to_owned()));
    };
    let (body, tail) = bytes.split_at(body_len);
    let mut stored = [0; DIGEST_BYTES];
    stored.copy_from_slice(tail);
    let stored = u64::from_le_bytes(stored);
    let computed = digest(body);
    if stored != computed {
        return Err(corrupt(format!(
            "digest {stored:#018x} does not match the content's {computed:#018x} \
             (damaged or truncated)"
        )));
    }

    let mut r = Reader::new(body);
    r.take(to_u64(SNAPSHOT_MAGIC.len()), "snapshot magic")?;
    r.version("snapshot version", SNAPSHOT_VERSION)?;
    let applied = LogIndex(r.u64("snapshot applied index")?);
    let count = r.u64("snapshot scope count")?;
    let mut scopes: BTreeMap<Scope, ScopeStore> = BTreeMap::new();
    for _ in 0..count {
        let scope = Scope::take(&mut r)?;
        if scopes.last_key_value().is_some_and(|(s, _)| *s >= scope) {
            return Err(corrupt(format!("scope {scope} out of order")));
        }
        if !config.keeps(&scope) {
            return Err(corrupt(format!(
                "it holds scope {scope}, which this configuration does not keep"
            )));
        }
        let store = ScopeStore::take_snapshot(&mut r)?;
        scopes.insert(scope, store);
    }
    r.finish("snapshot")?;
    Ok(StateMachine::from_parts(config, applied, scopes))
}
