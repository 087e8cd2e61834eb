//! The `Parliament` custom resource and its spec: what the user asks for.

mod bootstrap;
mod district_map;
mod districting;
mod lords;
mod ports;
mod sessions;
mod storage;
mod term_limits;
mod timeouts;
mod tls;

pub use bootstrap::Bootstrap;
pub use district_map::{DistrictMap, MAX_DISTRICT_ENTRIES, MAX_DISTRICTS, MAX_ENTRY_LENGTH};
pub use districting::{DEFAULT_NODE_LABEL, Districting, MAX_LABEL_KEY_LENGTH, NodeLabelValues};
pub use lords::{DEFAULT_LORDS_SIZE, DEFAULT_LORDS_TERM_SECONDS, Lords};
pub use ports::{DEFAULT_API_PORT, DEFAULT_METRICS_PORT, DEFAULT_PEER_PORT, Ports};
pub use sessions::{
    DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_PER_DISTRICT, DEFAULT_SESSION_INTERVAL_MS, Sessions,
};
pub use storage::{DEFAULT_SNAPSHOT_EVERY, Storage};
pub use term_limits::{
    DEFAULT_PRIME_MINISTER_MAX_TENURE_SECONDS, DEFAULT_REPRESENTATIVE_MAX_TENURE_SECONDS,
    TermLimits,
};
pub use timeouts::{
    DEFAULT_ELECTION_TIMEOUT_MAX_MS, DEFAULT_ELECTION_TIMEOUT_MIN_MS,
    DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MAX_CLOCK_DRIFT_MS, Timeouts,
};
pub use tls::{Tls, TlsMode};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::ParliamentStatus;

/// A tenure must last at least this many maximal election timeouts, so that deliberate
/// hand-overs stay rare next to the elections they cause.
pub const MIN_TENURE_IN_ELECTION_TIMEOUTS: u32 = 10;

/// Desired state of a Parliament: which pods are members, how they are grouped into
/// districts, and the timings and limits of their elections. Every field but selector has a
/// default.
#[allow(
    clippy::duplicated_attributes,
    reason = "several printcolumn(...) entries share type_ = \"string\""
)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "parliament.dev",
    version = "v1alpha1",
    kind = "Parliament",
    plural = "parliaments",
    singular = "parliament",
    shortname = "parl",
    namespaced,
    status = "ParliamentStatus",
    derive = "PartialEq",
    doc = "A Parliament gives the pods it selects hierarchical leader election and consensus: each district elects a representative, the representatives' seats elect a Prime Minister, and every role comes with a fencing token.",
    printcolumn(
        name = "PM",
        type_ = "string",
        json_path = ".status.primeMinister.pod",
        description = "Pod that is Prime Minister"
    ),
    printcolumn(
        name = "Term",
        type_ = "integer",
        json_path = ".status.primeMinister.term",
        description = "Commons term of the Prime Minister"
    ),
    printcolumn(
        name = "Districts",
        type_ = "string",
        json_path = ".status.districtsRepresented",
        description = "Districts with a representative, out of all districts"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether a Prime Minister leads and every district is represented"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "(has(self.selector.matchLabels) && size(self.selector.matchLabels) > 0) || (has(self.selector.matchExpressions) && size(self.selector.matchExpressions) > 0)",
        "message": "selector must not be empty: an empty selector would enlist every pod in the namespace; set matchLabels",
        "fieldPath": ".selector",
    },
    {
        "rule": "!self.termLimits.enabled || self.termLimits.representativeMaxTenureSeconds * 1000 >= 10 * self.timeouts.electionTimeoutMaxMs",
        "message": "termLimits.representativeMaxTenureSeconds must last at least ten times timeouts.electionTimeoutMaxMs, so that hand-overs stay rare next to elections",
        "fieldPath": ".termLimits.representativeMaxTenureSeconds",
    },
    {
        "rule": "!self.termLimits.enabled || self.termLimits.primeMinisterMaxTenureSeconds * 1000 >= 10 * self.timeouts.electionTimeoutMaxMs",
        "message": "termLimits.primeMinisterMaxTenureSeconds must last at least ten times timeouts.electionTimeoutMaxMs, so that hand-overs stay rare next to elections",
        "fieldPath": ".termLimits.primeMinisterMaxTenureSeconds",
    },
    {
        "rule": "!has(self.districting.podNames) || self.lords.size <= size(self.districting.podNames)",
        "message": "lords.size must not exceed the number of districts: each Lord comes from a different district",
        "fieldPath": ".lords.size",
    },
    {
        "rule": "!has(self.districting.nodeLabelValues) || self.lords.size <= size(self.districting.nodeLabelValues.districts)",
        "message": "lords.size must not exceed the number of districts: each Lord comes from a different district",
        "fieldPath": ".lords.size",
    },
]))]
pub struct ParliamentSpec {
    /// Label selector of the member pods, in the Parliament's namespace. Must not be empty.
    pub selector: LabelSelector,
    /// How members are grouped into districts. Defaults to one district per zone
    /// (nodeLabel topology.kubernetes.io/zone).
    #[serde(default)]
    pub districting: Districting,
    /// Leaders named for the first sitting. Optional: without it the first elections are
    /// ordinary ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Bootstrap>,
    /// How long leaders hold office before handing over on purpose.
    #[serde(default)]
    pub term_limits: TermLimits,
    /// Consensus timings shared by every district and the Commons.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// How the Prime Minister batches global writes from the districts.
    #[serde(default)]
    pub sessions: Sessions,
    /// The House of Lords that ratifies critical decrees.
    #[serde(default)]
    pub lords: Lords,
    /// Mutual TLS between sidecars.
    #[serde(default)]
    pub tls: Tls,
    /// Ports the sidecar listens on in every member pod.
    #[serde(default)]
    pub ports: Ports,
    /// Snapshots and compaction of every member's ledger.
    #[serde(default)]
    pub storage: Storage,
}
