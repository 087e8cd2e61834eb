//! The Parliament sidecar: the shell around the sans-IO core. One member runs as
//! `parliament run` (engine task, ledger, peer transport, client API, metrics); `up`
//! runs a whole parliament on this machine; `status`, `kv` and `roles` are clients.

pub mod api;
pub mod cli;
pub mod directory;
pub mod error;
pub mod kubernetes;
pub mod local;
pub mod metrics;
pub mod node;
pub mod run;
pub mod settings;

pub use error::{Error, Result};
