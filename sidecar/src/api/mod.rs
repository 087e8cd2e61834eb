//! The client API every member serves on localhost: gRPC and HTTP/JSON with the same
//! operations (roles, a stream of role changes, the store with scopes, read levels,
//! revisions and fencing tokens), and the operability endpoints.

pub mod grpc;
pub mod http;
pub mod service;
