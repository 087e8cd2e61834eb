//! `plan`: the pure decision of what a Parliament's districts, roster, pod labels, status
//! and Events should be, from the Parliament and what was observed. No client, no clock:
//! the reconciler reads the world into [`Observed`] and applies the [`Plan`].

mod conditions;
mod district;
mod event;
mod placement;
mod pod_labels;
mod roster_change;
mod status;
#[cfg(test)]
mod tests;

pub use conditions::{Conditions, Finding};
pub use district::PlannedDistrict;
pub use event::{EventSeverity, PlannedEvent};
pub use placement::Placement;
pub use pod_labels::PodLabels;
pub use roster_change::{MemberMove, RosterChange};
pub use status::{DistrictCount, PlannedStatus};

use std::collections::BTreeMap;

use parliament_crds::labels::{DISTRICT, PARLIAMENT};
use parliament_crds::{Parliament, SpecError, validate};

use crate::{Observed, PublishedRoster};

/// Everything the reconciler must do for one Parliament.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The districts and their members; empty when the spec is invalid.
    pub districts: Vec<PlannedDistrict>,
    /// The roster to publish, when it changed. `None` leaves the published one alone
    /// (nothing changed, or the spec is invalid).
    pub roster: Option<PublishedRoster>,
    /// Pods whose operator labels must change.
    pub pod_labels: Vec<PodLabels>,
    /// The operator's status fields.
    pub status: PlannedStatus,
    /// Whether `status` differs from the live status and must be written.
    pub status_changed: bool,
    /// Events to publish about the Parliament.
    pub events: Vec<PlannedEvent>,
}

/// Plans one reconciliation of `parliament`.
///
/// With an invalid spec nothing is recomputed: the roster and pod labels stay as they are,
/// the district counts are carried over, InvalidSpec names every offending field and a
/// Warning Event is planned when the problems are new.
#[must_use]
pub fn plan(parliament: &Parliament, observed: &Observed) -> Plan {
    let generation = parliament.metadata.generation.unwrap_or_default();
    let live = parliament.status.as_ref();
    let mut conditions = Conditions::new(live, generation, &observed.now);
    let mut events = Vec::new();
    let was_invalid = live
        .and_then(|s| s.condition(parliament_crds::status::CONDITION_INVALID_SPEC))
        .filter(|c| c.status == "True");

    if let Err(errors) = validate(&parliament.spec) {
        let summary = SpecError::summary(&errors);
        if was_invalid.is_none_or(|c| c.message != summary) {
            events.push(PlannedEvent::warning("InvalidSpec", "Validate", summary));
        }
        conditions
            .invalid_spec(&errors)
            .ready(
                Some((
                    "InvalidSpec",
                    "the spec was rejected; see the InvalidSpec condition".to_owned(),
                )),
                String::new(),
            )
            .degraded_unknown();
        let status = PlannedStatus {
            observed_generation: generation,
            districts_represented: live
                .and_then(|s| s.districts_represented.clone())
                .unwrap_or_else(|| "0/0".to_owned()),
            // Counts the operator wrote before stay as they were: an apply without them
            // would drop them.
            districts: live
                .map(|s| {
                    s.districts
                        .iter()
                        .filter(|d| d.members > 0 || d.ready_members > 0)
                        .map(|d| DistrictCount {
                            name: d.name.clone(),
                            members: d.members,
                            ready_members: d.ready_members,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            conditions: conditions.take(),
        };
        let status_changed = !status.is_reflected_in(live);
        return Plan {
            districts: Vec::new(),
            roster: None,
            pod_labels: Vec::new(),
            status,
            status_changed,
            events,
        };
    }
    if was_invalid.is_some() {
        events.push(PlannedEvent::normal(
            "SpecAccepted",
            "Validate",
            "the spec passed validation; districts are computed again".to_owned(),
        ));
    }

    let spec = &parliament.spec;
    let name = parliament.metadata.name.clone().unwrap_or_default();

    // Place every pod that can be a member.
    let mut members: BTreeMap<String, PlannedDistrict> = BTreeMap::new();
    if let Some(map) = spec.districting.explicit() {
        for district in map.names() {
            members.insert(
                district.to_owned(),
                PlannedDistrict {
                    name: district.to_owned(),
                    ..PlannedDistrict::default()
                },
            );
        }
    }
    let mut outside = Vec::new();
    let mut placed: BTreeMap<&str, String> = BTreeMap::new();
    let mut pods: Vec<_> = observed.pods.iter().collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    for pod in &pods {
        if !pod.selected || pod.deleting || pod.finished {
            continue;
        }
        match Placement::of(&spec.districting, pod, &observed.nodes) {
            Placement::District(district) => {
                let entry = members
                    .entry(district.clone())
                    .or_insert_with(|| PlannedDistrict {
                        name: district.clone(),
                        ..PlannedDistrict::default()
                    });
                entry.members.push(pod.name.clone());
                if pod.ready {
                    entry.ready_members += 1;
                }
                placed.insert(pod.name.as_str(), district);
            }
            Placement::Outside(why) => outside.push(why),
            Placement::Unscheduled => {}
        }
    }
    let districts: Vec<PlannedDistrict> = members.into_values().collect();

    // Labels: members carry their district; every other pod of ours loses our labels.
    // Leaving pods are not written to: they are going away anyway.
    let pod_labels = pods
        .iter()
        .filter(|pod| !pod.deleting && !pod.finished)
        .filter_map(|pod| {
            let want = placed.get(pod.name.as_str());
            let has_district = pod.labels.get(DISTRICT);
            let has_parliament = pod.labels.get(PARLIAMENT);
            let up_to_date = match want {
                Some(district) => has_district == Some(district) && has_parliament == Some(&name),
                None => has_district.is_none() && has_parliament.is_none(),
            };
            (!up_to_date).then(|| PodLabels {
                pod: pod.name.clone(),
                district: want.cloned(),
            })
        })
        .collect();

    let change = RosterChange::compute(
        parliament,
        &districts,
        &observed.pods,
        observed.roster.as_ref(),
    );
    if change.changed {
        for moved in &change.joined {
            events.push(
                PlannedEvent::normal(
                    "MemberJoined",
                    "PublishRoster",
                    format!(
                        "pod {} joined district {} as member {}",
                        moved.pod, moved.district, moved.id
                    ),
                )
                .about_pod(&moved.pod),
            );
        }
        for moved in &change.left {
            events.push(
                PlannedEvent::normal(
                    "MemberLeft",
                    "PublishRoster",
                    format!(
                        "pod {} left district {}; member id {} is retired",
                        moved.pod, moved.district, moved.id
                    ),
                )
                .about_pod(&moved.pod),
            );
        }
        // The note stays the same from one change to the next: the Recorder folds
        // repeated Events into a series that keeps the first note.
        events.push(PlannedEvent::normal(
            "RosterChanged",
            "PublishRoster",
            format!(
                "published a new roster in ConfigMap {}",
                parliament_crds::labels::roster_config_map_name(&name)
            ),
        ));
    }

    // Conditions.
    let represented: Vec<&str> = districts
        .iter()
        .filter(|d| {
            live.and_then(|s| s.district(&d.name))
                .is_some_and(|d| d.representative.is_some())
        })
        .map(|d| d.name.as_str())
        .collect();
    let unrepresented: Vec<&str> = districts
        .iter()
        .map(|d| d.name.as_str())
        .filter(|d| !represented.contains(d))
        .collect();
    let prime_minister = live.and_then(|s| s.prime_minister.as_ref());
    let blocker = if districts.iter().all(|d| d.members.is_empty()) {
        Some((
            "NoMembers",
            format!(
                "no selected pod belongs to a district (spec.selector, spec.districting.{})",
                spec.districting.mode()
            ),
        ))
    } else if !unrepresented.is_empty() {
        Some((
            "DistrictsUnrepresented",
            format!("no representative yet in {}", unrepresented.join(", ")),
        ))
    } else if prime_minister.is_none() {
        Some((
            "NoPrimeMinister",
            "no Prime Minister leads the Commons yet".to_owned(),
        ))
    } else {
        None
    };
    let ready_message = prime_minister.map_or_else(String::new, |pm| {
        format!(
            "Prime Minister {} (district {}, term {}) leads {} districts",
            pm.pod,
            pm.district,
            pm.term,
            districts.len()
        )
    });
    let mut findings: Vec<Finding> = Vec::new();
    if !outside.is_empty() {
        findings.push((
            "PodsOutsideDistricts",
            format!(
                "{} selected pods belong to no district: {}",
                outside.len(),
                outside.join(", ")
            ),
        ));
    }
    let empty: Vec<&str> = districts
        .iter()
        .filter(|d| d.members.is_empty())
        .map(|d| d.name.as_str())
        .collect();
    if !empty.is_empty() {
        findings.push((
            "EmptyDistricts",
            format!(
                "districts {} named in spec.districting.{} have no member pod",
                empty.join(", "),
                spec.districting.mode()
            ),
        ));
    }
    conditions
        .invalid_spec(&[])
        .ready(blocker, ready_message)
        .degraded(&findings);

    let status = PlannedStatus {
        observed_generation: generation,
        districts_represented: format!("{}/{}", represented.len(), districts.len()),
        districts: districts.iter().map(DistrictCount::of).collect(),
        conditions: conditions.take(),
    };
    let status_changed = !status.is_reflected_in(live);
    Plan {
        districts,
        roster: change.changed.then_some(change.next),
        pod_labels,
        status,
        status_changed,
        events,
    }
}
