//! Names that the operator, the sidecars and users' Services share: labels, their values,
//! and the roster ConfigMap's name and key.

/// Label on every member pod: the district it belongs to (set by the operator).
pub const DISTRICT: &str = "parliament.dev/district";
/// Label on every member pod: its current role (set by the pod's own sidecar).
pub const ROLE: &str = "parliament.dev/role";
/// Label on the pods sitting in the House of Lords, with the value `true`.
pub const LORD: &str = "parliament.dev/lord";
/// Label on the objects the operator owns: the name of their Parliament.
pub const PARLIAMENT: &str = "parliament.dev/parliament";

/// Value of [`ROLE`] on the Prime Minister's pod; a Service selecting it routes to the leader.
pub const ROLE_PRIME_MINISTER: &str = "prime-minister";
/// Value of [`ROLE`] on a district representative's pod (other than the Prime Minister).
pub const ROLE_REPRESENTATIVE: &str = "representative";
/// Value of [`ROLE`] on every other member pod.
pub const ROLE_MEMBER: &str = "member";
/// Value of [`LORD`] on a Lord's pod.
pub const LORD_TRUE: &str = "true";

/// Key of the roster (JSON) in the roster ConfigMap.
pub const ROSTER_KEY: &str = "roster.json";

/// Name of the ConfigMap in which the operator publishes a Parliament's roster.
#[must_use]
pub fn roster_config_map_name(parliament: &str) -> String {
    format!("{parliament}-roster")
}
