//! The client commands: `status`, `kv` and `roles`.

pub mod client;
pub mod kv;
pub mod roles;
pub mod status;
