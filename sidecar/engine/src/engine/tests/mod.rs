//! Engine scenario tests: a tiny in-memory harness that delivers messages in order, plus
//! single-input tests that assert exact outputs.

mod cluster;
mod elections;
mod membership;
mod reads;
mod replication;
mod snapshots;
