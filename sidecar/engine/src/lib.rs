//! Parliament's sans-IO core: the consensus [`engine`] every group runs.
//!
//! Nothing in this crate performs I/O, reads a clock or draws OS randomness. Time and
//! random seeds arrive as inputs; messages, entries to persist and committed entries
//! leave as a [`engine::Ready`] value that the shell acts on. That is what lets the
//! simulator in `parliament-tests` replay any run exactly from its seed.

pub mod engine;
pub mod state;
pub mod types;
pub mod westminster;

pub use types::{FencingToken, GroupId, LogIndex, NodeId, Term, Time};
