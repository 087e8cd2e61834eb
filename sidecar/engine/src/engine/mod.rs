//! The consensus engine: one sans-IO Raft-family replica of one group.
//!
//! Every group in a parliament (each district, and the Commons of district seats) runs
//! this same engine; groups differ only by their [`Config`] (members, quorum system,
//! timeouts). See `docs/protocol.md` for the rules and why they are safe.
//!
//! # Using a replica
//! Feed inputs: [`Replica::tick`], [`Replica::step`], [`Replica::propose`],
//! [`Replica::read`], [`Replica::transfer_leadership`], and [`Replica::compact`] after
//! the shell has snapshotted its state machine. Then drain outputs with
//! [`Replica::take_ready`] and act on the [`Ready`] in its documented order:
//! **persist, then send, then apply, then answer reads.**

mod config;
mod entry;
mod log;
mod membership;
mod message;
mod prng;
mod progress;
mod quorum;
mod read;
mod ready;
mod replica;
mod snapshot;

pub use config::{Config, ConfigError};
pub use entry::{Entry, Payload};
pub use log::Log;
pub use membership::{ChangeError, Membership, MembershipChange};
pub use message::{Message, MessageBody};
pub use quorum::QuorumSystem;
pub use read::{ReadId, ReadLevel};
pub use ready::{HardState, Persisted, ReadOutcome, Ready, RoleChange};
pub use replica::{Rejected, Replica, Role, Status};
pub use snapshot::{CompactError, Snapshot, SnapshotMeta};

#[cfg(test)]
mod tests;
