//! Parliament's operator: reconciles each `Parliament` into districts, a published roster,
//! district labels on member pods, the status fields the operator owns, and Events.
//!
//! Decisions live in the pure [`plan()`] function (linkerd's index pattern): it takes the
//! Parliament and what was [`Observed`] and returns a [`Plan`]. The async part
//! ([`controller`]) only reads the world and applies plans, so every rule is tested
//! without an API server.

pub mod controller;
mod error;
pub mod observed;
pub mod plan;

pub use error::{Error, Result};
pub use observed::{Observed, ObservedPod, PublishedRoster};
pub use plan::{Plan, plan};

/// Field manager of every write the operator makes (server-side apply and patches).
pub const FIELD_MANAGER: &str = "parliament-operator";
/// Finalizer the operator puts on each Parliament so that it can take its district labels
/// off the member pods before the Parliament goes; the roster ConfigMap needs no finalizer,
/// since its owner reference lets the garbage collector remove it.
pub const FINALIZER: &str = "parliament.dev/cleanup";
/// Annotation on the roster ConfigMap holding the next member id to hand out: the
/// high-water mark that keeps retired ids from being reused.
pub const NEXT_MEMBER_ID_ANNOTATION: &str = "parliament.dev/next-member-id";
