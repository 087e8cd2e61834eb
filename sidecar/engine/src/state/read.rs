//! Read results: a value or a page of keys, with the revision they were read at.

use crate::state::key::Key;
use crate::state::revision::Revision;
use crate::state::versioned::Versioned;

/// The result of [`StateMachine::get`](crate::state::StateMachine::get).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The scope's applied revision the read was served at.
    pub revision: Revision,
    /// The value and its revisions; `None` when the key is absent.
    pub value: Option<Versioned>,
}

/// The result of [`StateMachine::list`](crate::state::StateMachine::list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The scope's applied revision the listing was served at.
    pub revision: Revision,
    /// Keys and values, in key order.
    pub items: Vec<(Key, Versioned)>,
    /// Whether more keys match: continue with `start_after` = the last key here, at
    /// least at `revision` to see a consistent continuation.
    pub more: bool,
}
