//! Parliament's Kubernetes API: the `Parliament` custom resource (group `parliament.dev`,
//! version `v1alpha1`), its spec and status, the roster the operator publishes for the
//! sidecars, spec validation beyond what the schema can say, and the CRD the chart ships.
//!
//! Pure types and functions: no client, no runtime. The operator and the sidecar build on
//! them; tests need no API server.

mod crd;
mod error;
pub mod labels;
mod roster;
pub mod spec;
pub mod status;
pub mod validate;

pub use crd::{CRD_PATH, REGENERATE, crd, crd_yaml, parliament_from_yaml};
pub use error::{Error, Result};
pub use roster::{Roster, RosterDistrict, RosterMember};
pub use spec::{Parliament, ParliamentSpec};
pub use status::ParliamentStatus;
pub use validate::{SpecError, validate};

/// API group of the Parliament resource.
pub const GROUP: &str = "parliament.dev";
/// API version of the Parliament resource.
pub const VERSION: &str = "v1alpha1";
/// Kind of the Parliament resource.
pub const KIND: &str = "Parliament";
