//! The `parliament` sidecar's Kubernetes side, as a library the binary calls in
//! Kubernetes mode: who this pod is ([`Identity`], from the downward API), the roster the
//! operator publishes ([`RosterWatch`], a `tokio::sync::watch` channel of
//! [`parliament_crds::Roster`]), and this member's roles made visible ([`RolePublisher`]:
//! its pod's `parliament.dev/role` and `parliament.dev/lord` labels, a representative's
//! district entry and the Prime Minister's fields in the Parliament status).
//!
//! The crate knows nothing of the engine: the binary translates the engine's role changes
//! into [`Roles`] values. Writes happen only when a role changes (plus a resync every five
//! minutes by default); elections never touch the API server. See
//! docs/kubernetes-sidecar.md for the design and the measured API load.

mod backoff;
mod error;
mod identity;
pub mod publisher;
mod roles;
mod roster_tracker;
mod roster_watch;

pub use backoff::Backoff;
pub use error::{Error, Result};
pub use identity::{
    ENV_PARLIAMENT_NAME, ENV_POD_IP, ENV_POD_NAME, ENV_POD_NAMESPACE, ENV_POD_UID, Identity,
};
pub use publisher::{PublishedRoles, PublisherSettings, RolePublisher};
pub use roles::{Lord, MemberRole, Roles};
pub use roster_tracker::RosterTracker;
pub use roster_watch::RosterWatch;
