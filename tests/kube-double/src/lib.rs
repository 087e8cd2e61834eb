//! An in-memory Kubernetes API server for tests. The real kube-rs `Client`, unmodified, is
//! pointed at it over HTTP on 127.0.0.1; it keeps objects with resourceVersions, serves
//! GET, LIST (label and field selectors), WATCH (streamed, resumable from a
//! resourceVersion, with bookmarks), POST, PUT, DELETE (finalizers, owner-reference
//! garbage collection), the status subresource, and PATCH as server-side apply, JSON merge
//! patch and JSON patch. It counts requests per verb and resource, to measure API load.
//!
//! It knows Parliaments, Pods, Nodes, ConfigMaps, Events (core and events.k8s.io) and
//! Leases. It is a double, not a conformance target: server-side apply merges the applied
//! object into the live one and removes what the same manager applied before but no longer
//! does, without field-level conflicts; lists are never paged.

mod api_error;
mod counts;
mod double;
mod error;
mod label_selector;
mod merge;
mod resource;
mod routes;
mod store;
mod time;
mod watch;

pub use counts::RequestCounts;
pub use double::{KubeDouble, Options};
pub use error::{Error, Result};
pub use resource::ResourceType;
