//! `spec.ports`: the ports every member's sidecar listens on.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default port of the peer protocol between sidecars.
pub const DEFAULT_PEER_PORT: u16 = 7400;
/// Default port of the client API on localhost.
pub const DEFAULT_API_PORT: u16 = 7401;
/// Default port of the Prometheus metrics endpoint.
pub const DEFAULT_METRICS_PORT: u16 = 7402;

/// Container ports of the sidecar, the same in every member pod. They are unprivileged
/// (1024 and above) because the sidecar runs as a non-root user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.peer != self.api && self.peer != self.metrics && self.api != self.metrics",
        "message": "peer, api and metrics must be three different ports",
    },
]))]
pub struct Ports {
    /// Port of the peer protocol (gRPC, mutual TLS unless tls.mode is disabled) that sidecars
    /// use to reach each other by pod IP.
    #[serde(default = "default_peer")]
    #[schemars(range(min = 1024, max = 65535))]
    pub peer: u16,
    /// Port of the client API (gRPC and HTTP/JSON) that the sidecar serves on localhost to
    /// the application in its pod.
    #[serde(default = "default_api")]
    #[schemars(range(min = 1024, max = 65535))]
    pub api: u16,
    /// Port of the Prometheus metrics endpoint.
    #[serde(default = "default_metrics")]
    #[schemars(range(min = 1024, max = 65535))]
    pub metrics: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            peer: DEFAULT_PEER_PORT,
            api: DEFAULT_API_PORT,
            metrics: DEFAULT_METRICS_PORT,
        }
    }
}

fn default_peer() -> u16 {
    DEFAULT_PEER_PORT
}

fn default_api() -> u16 {
    DEFAULT_API_PORT
}

fn default_metrics() -> u16 {
    DEFAULT_METRICS_PORT
}
