//! Parliament's disk store: each group member's durable [`Ledger`] of hard state, log
//! entries and snapshot.
//!
//! The sans-IO engine asks its shell to persist hard state and entries before it
//! sends anything (the `Ready` contract); [`Ledger::persist`] is that step, durable
//! when it returns. [`Ledger::open`] gives back what a restarting member needs.
//!
//! The format is a log of checksummed frames in numbered segment files, one frame per
//! persist call, plus snapshot files; `docs/storage.md` explains the format, the fsync
//! discipline, recovery from torn writes and why this beats an embedded database here.

#![warn(missing_docs)]

mod error;
#[cfg(any(test, feature = "failpoints"))]
mod failpoint;
mod frame;
mod ledger;
mod options;
mod record;
mod recovered;
mod replay;
mod scan;
mod segment;
mod snapshot;
mod terms;
mod wire;

pub use error::{Error, Result};
#[cfg(any(test, feature = "failpoints"))]
pub use failpoint::Failpoint;
pub use ledger::Ledger;
pub use options::LedgerOptions;
pub use recovered::{Recovered, TornTail};
