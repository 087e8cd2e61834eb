//! The deterministic simulator: seeded, virtual-time, single-threaded runs of consensus
//! groups under network faults, crashes, disk faults and clock drift, with every
//! invariant checked after every step.
//!
//! Reusable machinery, independent of what a member runs: [`SimRng`], [`EventQueue`],
//! [`Clock`], [`Network`] and [`Partition`], [`Disk`] and [`DiskFault`], [`Nemesis`] and
//! [`FaultSet`], [`TraceHash`], and the [`World`] that drives any [`Node`]. This issue's
//! member is [`ReplicaNode`] (one replica of one group) and its scenario is
//! [`Simulation`]; the checkers are in [`invariants`].

mod app_event;
mod client;
mod client_op;
mod clock;
mod cluster_view;
mod command;
mod conditions;
mod disk;
mod disk_fault;
mod disk_fault_counts;
mod election_stats;
mod event;
mod fact;
mod fault_action;
mod faults;
mod history;
pub mod invariants;
mod kv;
mod member_node;
mod nemesis;
mod network;
mod node;
mod options;
pub mod parliament;
mod partition;
mod queue;
mod replica_node;
mod reply;
mod report;
mod rng;
mod simulation;
mod storage_bug;
pub mod trace;
mod world;

pub use app_event::AppEvent;
pub use client::{Client, Pending};
pub use client_op::{ClientOp, Request, Response, Stamp};
pub use clock::Clock;
pub use cluster_view::{ClusterView, MemberView};
pub use command::Command;
pub use conditions::Conditions;
pub use disk::Disk;
pub use disk_fault::{CrashPoint, DiskFault, DiskFaultKind, ReadyWrites};
pub use disk_fault_counts::DiskFaultCounts;
pub use election_stats::{ElectionSample, ElectionStats};
pub use event::{Event, Step};
pub use fact::Fact;
pub use fault_action::FaultAction;
pub use faults::{Fault, FaultSet};
pub use history::ClientHistory;
pub use invariants::Violation;
pub use kv::KvStore;
pub use member_node::{MemberNode, PersistRecord, SendStats};
pub use nemesis::Nemesis;
pub use network::{NetStats, Network};
pub use node::{Node, Outbox};
pub use options::SimOptions;
pub use partition::Partition;
pub use queue::EventQueue;
pub use replica_node::ReplicaNode;
pub use reply::{Reply, ReplyOutcome, RequestTag};
pub use report::RunReport;
pub use rng::{SimRng, splitmix64};
pub use simulation::{Simulation, run};
pub use storage_bug::StorageBug;
pub use trace::{Digest, TraceHash};
pub use world::World;

#[cfg(test)]
mod tests;
