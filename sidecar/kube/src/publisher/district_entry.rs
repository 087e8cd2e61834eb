//! `DistrictEntry`: a representative's own entry in `status.districts[]`.

use parliament_crds::ParliamentStatus;
use serde_json::{Value, json};

use crate::Roles;
use crate::publisher::Fence;

/// Prefix of the field manager of a district's entry; the district name follows. Every
/// representative of one district in turn applies under the same manager, so a new
/// representative takes over exactly the fields its predecessors applied and no other
/// writer's (the operator's `members` and `readyMembers` in the same list item, another
/// district's item, the Prime Minister's fields).
pub const DISTRICT_FIELD_MANAGER_PREFIX: &str = "parliament-sidecar-district-";

/// What a representative publishes about its district.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistrictEntry {
    /// District name, the list-map key of `status.districts`.
    pub district: String,
    /// The representative's pod.
    pub representative: String,
    /// The district term: the fencing token.
    pub term: u64,
    /// The district's reputation, when known (progress: not a reason to write by itself).
    pub reputation: Option<i64>,
}

impl DistrictEntry {
    /// The entry `pod` publishes for `roles`, if it represents its district.
    #[must_use]
    pub fn of(roles: &Roles, pod: &str) -> Option<DistrictEntry> {
        roles.role.represents().then(|| DistrictEntry {
            district: roles.district.clone(),
            representative: pod.to_owned(),
            term: roles.district_term,
            reputation: roles.reputation,
        })
    }

    /// The fields whose change is worth a write at once: who holds the district, in
    /// which term.
    #[must_use]
    pub fn role_key(&self) -> (&str, &str, u64) {
        (&self.district, &self.representative, self.term)
    }

    /// The field manager for this district.
    #[must_use]
    pub fn field_manager(&self) -> String {
        format!("{DISTRICT_FIELD_MANAGER_PREFIX}{}", self.district)
    }

    /// Compares with the live status.
    #[must_use]
    pub fn fence(&self, status: Option<&ParliamentStatus>) -> Fence {
        let live = status.and_then(|s| s.district(&self.district));
        let same = live.is_some_and(|live| self.reputation.is_none_or(|r| live.reputation == r));
        Fence::judge(
            (self.term, &self.representative),
            live.map(|l| (l.term, l.representative.as_deref())),
            same,
        )
    }

    /// The status apply body, conditional on `resource_version`.
    #[must_use]
    pub fn apply_body(&self, parliament: &str, resource_version: &str) -> Value {
        let mut entry = json!({
            "name": self.district,
            "representative": self.representative,
            "term": self.term,
        });
        if let Some(reputation) = self.reputation {
            entry["reputation"] = json!(reputation);
        }
        json!({
            "apiVersion": "parliament.dev/v1alpha1",
            "kind": "Parliament",
            "metadata": {"name": parliament, "resourceVersion": resource_version},
            "status": {"districts": [entry]},
        })
    }
}
