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
    /// The district configuration's voters and learners (pod names): a membership change
    /// is worth a write at once, like a change of representative.
    pub voters: Vec<String>,
    /// See `voters`.
    pub learners: Vec<String>,
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
            voters: roles.voters.clone(),
            learners: roles.learners.clone(),
        })
    }

    /// The fields whose change is worth a write at once: who holds the district, in
    /// which term, with which configuration.
    #[must_use]
    pub fn role_key(&self) -> (&str, &str, u64, &[String], &[String]) {
        (
            &self.district,
            &self.representative,
            self.term,
            &self.voters,
            &self.learners,
        )
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
        let same = live.is_some_and(|live| {
            self.reputation.is_none_or(|r| live.reputation == r)
                && live.voters == self.voters
                && live.learners == self.learners
        });
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
        // Always sent, empty or not: under server-side apply a field this manager stops
        // sending is removed, so an emptied list must be sent empty.
        entry["voters"] = json!(self.voters);
        entry["learners"] = json!(self.learners);
        json!({
            "apiVersion": "parliament.dev/v1alpha1",
            "kind": "Parliament",
            "metadata": {"name": parliament, "resourceVersion": resource_version},
            "status": {"districts": [entry]},
        })
    }
}
