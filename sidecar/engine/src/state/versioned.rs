//! A stored value with the revisions that locate it in its scope's history.

use bytes::Bytes;

use crate::state::error::Result;
use crate::state::revision::Revision;
use crate::state::wire::{Reader, Wire, Writer};

/// Where a key stands in its scope's history (etcd's `KeyValue` metadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyMeta {
    /// The revision of the write that created the key (since it was last absent).
    pub create_revision: Revision,
    /// The revision of the last write to the key: the revision a compare-and-swap
    /// expects.
    pub mod_revision: Revision,
    /// Writes to the key since it was created: 1 after the creating write. A delete
    /// ends the count; re-creating starts again at 1.
    pub version: u64,
}

impl Wire for KeyMeta {
    fn put(&self, w: &mut Writer) {
        self.create_revision.put(w);
        self.mod_revision.put(w);
        w.u64(self.version);
    }

    fn take(r: &mut Reader<'_>) -> Result<KeyMeta> {
        Ok(KeyMeta {
            create_revision: Revision::take(r)?,
            mod_revision: Revision::take(r)?,
            version: r.u64("key version")?,
        })
    }
}

/// A value and its [`KeyMeta`], as stored and as read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Versioned {
    /// The value: arbitrary bytes.
    pub value: Bytes,
    /// Its revisions.
    pub meta: KeyMeta,
}
