//! `PlannedStatus`: the status fields the operator owns, and how they compare with the live
//! status.
//!
//! The sidecars own the rest of the status (Prime Minister, representatives, terms, Lords,
//! sessions). With server-side apply each writer sends only its own fields, so the
//! operator's apply body is built here by hand: serialising a whole `DistrictStatus` would
//! claim `term` and `reputation` too and reset them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use parliament_crds::ParliamentStatus;
use serde_json::{Value, json};

use crate::plan::PlannedDistrict;

/// A district's counts, the operator's part of a `status.districts[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistrictCount {
    /// District name.
    pub name: String,
    /// Member pods.
    pub members: u32,
    /// Ready member pods.
    pub ready_members: u32,
}

impl DistrictCount {
    /// The counts of a planned district.
    #[must_use]
    pub fn of(district: &PlannedDistrict) -> Self {
        DistrictCount {
            name: district.name.clone(),
            members: u32::try_from(district.members.len()).unwrap_or(u32::MAX),
            ready_members: district.ready_members,
        }
    }
}

/// The operator's part of a Parliament's status.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStatus {
    /// metadata.generation of the spec this plan came from.
    pub observed_generation: i64,
    /// District name, member and ready-member counts.
    pub districts: Vec<DistrictCount>,
    /// Represented districts out of all, such as `2/3`.
    pub districts_represented: String,
    /// Ready, Degraded and InvalidSpec.
    pub conditions: Vec<Condition>,
}

impl PlannedStatus {
    /// Whether the live status already says all this (ignoring condition timestamps), so
    /// that nothing needs writing.
    #[must_use]
    pub fn is_reflected_in(&self, live: Option<&ParliamentStatus>) -> bool {
        let Some(live) = live else {
            return false;
        };
        let districts_match = self.districts.iter().all(|planned| {
            live.district(&planned.name).is_some_and(|d| {
                d.members == planned.members && d.ready_members == planned.ready_members
            })
        });
        // A district the operator no longer plans must not keep counts it wrote earlier.
        let no_stale_counts = live.districts.iter().all(|d| {
            self.districts.iter().any(|p| p.name == d.name)
                || (d.members == 0 && d.ready_members == 0)
        });
        let conditions_match = self.conditions.iter().all(|planned| {
            live.condition(&planned.type_).is_some_and(|c| {
                c.status == planned.status
                    && c.reason == planned.reason
                    && c.message == planned.message
                    && c.observed_generation == planned.observed_generation
            })
        });
        live.observed_generation == Some(self.observed_generation)
            && live.districts_represented.as_deref() == Some(self.districts_represented.as_str())
            && districts_match
            && no_stale_counts
            && conditions_match
    }

    /// The `status` object to send with server-side apply: only the operator's fields.
    #[must_use]
    pub fn to_apply_json(&self) -> Value {
        let districts: Vec<Value> = self
            .districts
            .iter()
            .map(|d| {
                json!({
                    "name": d.name,
                    "members": d.members,
                    "readyMembers": d.ready_members,
                })
            })
            .collect();
        json!({
            "observedGeneration": self.observed_generation,
            "districtsRepresented": self.districts_represented,
            "districts": districts,
            "conditions": self.conditions,
        })
    }
}
