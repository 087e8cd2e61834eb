//! Table-driven tests of `plan`: no client, no clock, no API server.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use parliament_crds::status::{
    CONDITION_DEGRADED, CONDITION_INVALID_SPEC, CONDITION_READY, DistrictStatus,
    PrimeMinisterStatus,
};
use parliament_crds::{Parliament, ParliamentStatus, parliament_from_yaml};

use super::*;
use crate::{ObservedPod, PublishedRoster};

const ZONE: &str = "topology.kubernetes.io/zone";

fn parliament(spec: &str) -> Parliament {
    let yaml = format!(
        "apiVersion: parliament.dev/v1alpha1\nkind: Parliament\nmetadata:\n  name: web\n  namespace: shop\n  generation: 3\nspec:\n  selector:\n    matchLabels:\n      app: web\n{spec}"
    );
    match parliament_from_yaml(&yaml) {
        Ok(parliament) => parliament,
        Err(error) => panic!("test spec does not parse: {error}\n{yaml}"),
    }
}

fn zoned() -> Parliament {
    parliament("")
}

fn pod(name: &str, node: &str) -> ObservedPod {
    ObservedPod {
        name: name.to_owned(),
        uid: format!("uid-{name}"),
        node: (!node.is_empty()).then(|| node.to_owned()),
        ip: Some(format!("10.0.0.{}", name.len())),
        dns: None,
        ready: true,
        labels: BTreeMap::from([("app".to_owned(), "web".to_owned())]),
        deleting: false,
        finished: false,
        selected: true,
    }
}

fn labelled(mut pod: ObservedPod, district: &str) -> ObservedPod {
    pod.labels.insert(
        parliament_crds::labels::DISTRICT.to_owned(),
        district.to_owned(),
    );
    pod.labels.insert(
        parliament_crds::labels::PARLIAMENT.to_owned(),
        "web".to_owned(),
    );
    pod
}

fn nodes() -> BTreeMap<String, BTreeMap<String, String>> {
    let zone = |z: &str| BTreeMap::from([(ZONE.to_owned(), z.to_owned())]);
    BTreeMap::from([
        ("n-a".to_owned(), zone("a")),
        ("n-b".to_owned(), zone("b")),
        ("n-c".to_owned(), zone("c")),
        ("n-ab".to_owned(), zone("ab")),
        ("bare".to_owned(), BTreeMap::new()),
    ])
}

fn time(seconds: i64) -> Time {
    Time(Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn observed(pods: Vec<ObservedPod>, roster: Option<PublishedRoster>) -> Observed {
    Observed {
        now: time(1_000),
        pods,
        nodes: nodes(),
        roster,
    }
}

fn three_zones() -> Vec<ObservedPod> {
    vec![
        pod("web-0", "n-a"),
        pod("web-1", "n-b"),
        pod("web-2", "n-c"),
    ]
}

fn members(plan: &Plan) -> Vec<(String, String, u64)> {
    plan.roster
        .as_ref()
        .map(|r| {
            r.roster
                .members()
                .map(|m| (m.pod.clone(), m.district.clone(), m.id))
                .collect()
        })
        .unwrap_or_default()
}

fn condition<'a>(plan: &'a Plan, type_: &str) -> (&'a str, &'a str, &'a str) {
    plan.status
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map_or(("missing", "", ""), |c| {
            (c.status.as_str(), c.reason.as_str(), c.message.as_str())
        })
}

/// The status the operator would have after applying `plan`, as the next plan sees it.
fn applied(parliament: &mut Parliament, plan: &Plan) {
    let status = parliament
        .status
        .get_or_insert_with(ParliamentStatus::default);
    status.observed_generation = Some(plan.status.observed_generation);
    status.districts_represented = Some(plan.status.districts_represented.clone());
    status.conditions = plan.status.conditions.clone();
    for count in &plan.status.districts {
        match status.districts.iter_mut().find(|d| d.name == count.name) {
            Some(d) => {
                d.members = count.members;
                d.ready_members = count.ready_members;
            }
            None => status.districts.push(DistrictStatus {
                name: count.name.clone(),
                members: count.members,
                ready_members: count.ready_members,
                ..DistrictStatus::default()
            }),
        }
    }
}

#[test]
fn pods_are_placed_by_the_districting_mode() {
    let values = "  districting:\n    nodeLabelValues:\n      districts:\n        left: [a, b]\n  lords:\n    size: 1\n";
    let names = "  districting:\n    podNames:\n      left: [web-0]\n      right: [web-9]\n  lords:\n    size: 1\n";
    let cases: &[(&str, &str, ObservedPod, Placement)] = &[
        ("nodeLabel", "", pod("web-0", "n-a"), Placement::District("a".into())),
        (
            "nodeLabel, node without the label",
            "",
            pod("web-0", "bare"),
            Placement::Outside("pod web-0 runs on node bare, which has no label topology.kubernetes.io/zone".into()),
        ),
        (
            "nodeLabel, unknown node",
            "",
            pod("web-0", "gone"),
            Placement::Outside("pod web-0 runs on node gone, which has no label topology.kubernetes.io/zone".into()),
        ),
        ("nodeLabel, unscheduled", "", pod("web-0", ""), Placement::Unscheduled),
        ("nodeLabelValues", values, pod("web-0", "n-b"), Placement::District("left".into())),
        (
            "nodeLabelValues, value listed nowhere",
            values,
            pod("web-0", "n-c"),
            Placement::Outside("pod web-0 runs on node n-c with topology.kubernetes.io/zone=c, a value spec.districting.nodeLabelValues lists in no district".into()),
        ),
        ("podNames", names, pod("web-0", ""), Placement::District("left".into())),
        (
            "podNames, pod not named",
            names,
            pod("web-1", "n-a"),
            Placement::Outside("pod web-1 is selected but spec.districting.podNames names it in no district".into()),
        ),
    ];
    for (case, spec, pod, want) in cases {
        let parliament = parliament(spec);
        let got = Placement::of(&parliament.spec.districting, pod, &nodes());
        assert_eq!(&got, want, "{case}");
    }
}

#[test]
fn three_zones_make_three_districts_and_a_first_roster() {
    let plan = plan(&zoned(), &observed(three_zones(), None));
    let names: Vec<&str> = plan.districts.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        members(&plan),
        [
            ("web-0".into(), "a".into(), 1),
            ("web-1".into(), "b".into(), 2),
            ("web-2".into(), "c".into(), 3)
        ]
    );
    let roster = plan
        .roster
        .as_ref()
        .map(|r| (r.roster.revision, r.roster.generation, r.next_member_id));
    assert_eq!(roster, Some((1, 3, 4)));
    assert_eq!(plan.pod_labels.len(), 3, "{:?}", plan.pod_labels);
    assert_eq!(plan.status.districts_represented, "0/3");
    assert_eq!(
        condition(&plan, CONDITION_READY).1,
        "DistrictsUnrepresented"
    );
    assert_eq!(condition(&plan, CONDITION_DEGRADED).0, "False");
    assert_eq!(condition(&plan, CONDITION_INVALID_SPEC).0, "False");
    let reasons: Vec<&str> = plan.events.iter().map(|e| e.reason).collect();
    assert_eq!(
        reasons,
        [
            "MemberJoined",
            "MemberJoined",
            "MemberJoined",
            "RosterChanged"
        ]
    );
    assert!(plan.status_changed);
}

/// (step, pods present, the roster's (pod, id) or `None` when unchanged, next id after).
type IdStep = (
    &'static str,
    Vec<ObservedPod>,
    Option<Vec<(&'static str, u64)>>,
    u64,
);

#[test]
fn member_ids_are_stable_and_never_reused() {
    // (step, pods present, expected (pod, id) in the roster or None when unchanged)
    let recreated = ObservedPod {
        uid: "uid-web-1-again".into(),
        ..pod("web-1", "n-b")
    };
    let steps: Vec<IdStep> = vec![
        (
            "three pods",
            three_zones(),
            Some(vec![("web-0", 1), ("web-1", 2), ("web-2", 3)]),
            4,
        ),
        ("nothing changed", three_zones(), None, 4),
        (
            "web-1 dies",
            vec![pod("web-0", "n-a"), pod("web-2", "n-c")],
            Some(vec![("web-0", 1), ("web-2", 3)]),
            4,
        ),
        (
            "web-1 comes back as a new pod",
            vec![pod("web-0", "n-a"), recreated.clone(), pod("web-2", "n-c")],
            Some(vec![("web-0", 1), ("web-1", 4), ("web-2", 3)]),
            5,
        ),
        (
            "the highest id leaves: its id stays retired",
            vec![pod("web-0", "n-a"), pod("web-2", "n-c")],
            Some(vec![("web-0", 1), ("web-2", 3)]),
            5,
        ),
        (
            "a new pod after that",
            vec![
                pod("web-0", "n-a"),
                pod("web-2", "n-c"),
                pod("web-3", "n-a"),
            ],
            Some(vec![("web-0", 1), ("web-3", 5), ("web-2", 3)]),
            6,
        ),
    ];
    let parliament = zoned();
    let mut published: Option<PublishedRoster> = None;
    let mut revision = 0;
    for (step, pods, want, next_id) in steps {
        let plan = plan(&parliament, &observed(pods, published.clone()));
        let got: Option<Vec<(String, u64)>> = plan
            .roster
            .as_ref()
            .map(|r| r.roster.members().map(|m| (m.pod.clone(), m.id)).collect());
        let want: Option<Vec<(String, u64)>> =
            want.map(|w| w.into_iter().map(|(p, id)| (p.to_owned(), id)).collect());
        assert_eq!(got, want, "{step}");
        if let Some(roster) = plan.roster {
            revision += 1;
            assert_eq!(
                roster.roster.revision, revision,
                "{step}: revision rises by one"
            );
            published = Some(roster);
        }
        assert_eq!(
            published.as_ref().map(|p| p.next_member_id),
            Some(next_id),
            "{step}"
        );
    }
}

#[test]
fn founders_are_recorded_once_and_never_change() {
    let founders = |plan: &Plan| -> Vec<(String, Option<Vec<u64>>)> {
        plan.roster
            .as_ref()
            .map(|r| {
                r.roster
                    .districts
                    .iter()
                    .map(|d| (d.name.clone(), d.founders.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let first = plan(&zoned(), &observed(three_zones(), None));
    let want = vec![
        ("a".to_owned(), Some(vec![1])),
        ("b".to_owned(), Some(vec![2])),
        ("c".to_owned(), Some(vec![3])),
    ];
    assert_eq!(
        founders(&first),
        want,
        "the first roster records its members"
    );

    let mut grown = three_zones();
    grown.push(pod("web-3", "n-a"));
    let added = plan(&zoned(), &observed(grown.clone(), first.roster.clone()));
    assert!(members(&added).contains(&("web-3".into(), "a".into(), 4)));
    assert_eq!(founders(&added), want, "a pod joins: founders kept");

    grown.remove(0);
    let removed = plan(&zoned(), &observed(grown, added.roster.clone()));
    assert!(!members(&removed).iter().any(|(pod, _, _)| pod == "web-0"));
    assert_eq!(
        founders(&removed),
        want,
        "a founder leaves: it stays a founder, the first configuration does not change"
    );

    let mut legacy = first.roster.clone();
    for d in legacy
        .iter_mut()
        .flat_map(|r| r.roster.districts.iter_mut())
    {
        d.founders = None;
    }
    let mut grown = three_zones();
    grown.push(pod("web-3", "n-b"));
    let upgraded = plan(&zoned(), &observed(grown, legacy));
    assert_eq!(
        founders(&upgraded),
        want,
        "a roster from before founders: its members then are the founders"
    );
}

#[test]
fn districts_keep_their_ids_and_the_founding_districts_are_recorded_once() {
    let ids = |plan: &Plan| -> Vec<(String, Option<u64>)> {
        plan.roster
            .as_ref()
            .map(|r| {
                r.roster
                    .districts
                    .iter()
                    .map(|d| (d.name.clone(), d.id))
                    .collect()
            })
            .unwrap_or_default()
    };
    let founding = |plan: &Plan| {
        plan.roster
            .as_ref()
            .and_then(|r| r.roster.founding_districts.clone())
    };
    let first = plan(&zoned(), &observed(three_zones(), None));
    let abc = vec![
        ("a".to_owned(), Some(0)),
        ("b".to_owned(), Some(1)),
        ("c".to_owned(), Some(2)),
    ];
    assert_eq!(ids(&first), abc, "first published: name order");
    assert_eq!(founding(&first), Some(vec![0, 1, 2]));

    // A zone that sorts between a and b: it takes a new id, the others keep theirs
    // (numbering by name order would renumber b and c, and move their Commons seats).
    let mut grown = three_zones();
    grown.push(pod("web-3", "n-ab"));
    let added = plan(&zoned(), &observed(grown, first.roster.clone()));
    assert_eq!(
        ids(&added),
        vec![
            ("a".to_owned(), Some(0)),
            ("ab".to_owned(), Some(3)),
            ("b".to_owned(), Some(1)),
            ("c".to_owned(), Some(2)),
        ]
    );
    assert_eq!(founding(&added), Some(vec![0, 1, 2]), "ab is not founding");

    // Zone a empties: its id is never given again, and it stays a founding district.
    let shrunk: Vec<ObservedPod> = vec![
        pod("web-1", "n-b"),
        pod("web-2", "n-c"),
        pod("web-3", "n-ab"),
    ];
    let removed = plan(&zoned(), &observed(shrunk.clone(), added.roster.clone()));
    assert!(
        ids(&removed).iter().all(|(n, _)| n != "a"),
        "{:?}",
        ids(&removed)
    );
    assert_eq!(founding(&removed), Some(vec![0, 1, 2]));
    let mut back = shrunk;
    back.push(pod("web-4", "n-a"));
    let returned = plan(&zoned(), &observed(back, removed.roster.clone()));
    assert!(
        ids(&returned).contains(&("a".to_owned(), Some(4))),
        "a district that left and came back is a new district: {:?}",
        ids(&returned)
    );

    // A roster from before ids and founding districts were recorded: its districts then
    // are numbered by name and are the founding ones, as members read it.
    let mut legacy = first.roster.clone();
    if let Some(r) = legacy.as_mut() {
        r.roster.founding_districts = None;
        r.roster.next_district_id = 0;
        for d in &mut r.roster.districts {
            d.id = None;
        }
    }
    let upgraded = plan(&zoned(), &observed(three_zones(), legacy));
    assert_eq!(ids(&upgraded), abc);
    assert_eq!(founding(&upgraded), Some(vec![0, 1, 2]));
}

#[test]
fn a_lost_high_water_mark_is_rebuilt_above_every_id_in_the_roster() {
    let mut plan1 = plan(&zoned(), &observed(three_zones(), None));
    let mut roster = plan1.roster.take().unwrap_or_default();
    roster.next_member_id = 0;
    let plan2 = plan(
        &zoned(),
        &observed(
            vec![
                pod("web-0", "n-a"),
                pod("web-1", "n-b"),
                pod("web-2", "n-c"),
                pod("web-3", "n-c"),
            ],
            Some(roster),
        ),
    );
    assert!(members(&plan2).contains(&("web-3".into(), "c".into(), 4)));
}

#[test]
fn events_name_who_joined_and_who_left() {
    let first = plan(&zoned(), &observed(three_zones(), None));
    let second = plan(
        &zoned(),
        &observed(
            vec![pod("web-0", "n-a"), pod("web-2", "n-c")],
            first.roster.clone(),
        ),
    );
    let notes: Vec<(&str, &str)> = second
        .events
        .iter()
        .map(|e| (e.reason, e.note.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            (
                "MemberLeft",
                "pod web-1 left district b; member id 2 is retired"
            ),
            (
                "RosterChanged",
                "published a new roster in ConfigMap web-roster"
            ),
        ]
    );
}

#[test]
fn pod_labels_change_only_where_they_differ() {
    let mut leaving = labelled(pod("web-4", "n-a"), "a");
    leaving.deleting = true;
    let mut unselected = labelled(pod("other", "n-a"), "a");
    unselected.selected = false;
    let pods = vec![
        labelled(pod("web-0", "n-a"), "a"),  // up to date
        labelled(pod("web-1", "n-b"), "a"),  // wrong district
        pod("web-2", "n-c"),                 // no labels yet
        labelled(pod("web-3", "bare"), "c"), // now outside every district
        leaving,                             // leaving: left alone
        unselected,                          // no longer selected: labels off
        pod("web-5", ""),                    // unscheduled, unlabelled: nothing to do
    ];
    let plan = plan(&zoned(), &observed(pods, None));
    let got: Vec<(&str, Option<&str>)> = plan
        .pod_labels
        .iter()
        .map(|l| (l.pod.as_str(), l.district.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("other", None),
            ("web-1", Some("b")),
            ("web-2", Some("c")),
            ("web-3", None)
        ]
    );
}

/// (case, parliament, pods, Ready, Degraded, a fragment of the Degraded message).
type ConditionCase = (
    &'static str,
    Parliament,
    Vec<ObservedPod>,
    (&'static str, &'static str),
    (&'static str, &'static str),
    &'static str,
);

#[test]
fn conditions_follow_the_parliament() {
    let convened = |mut p: Parliament, represented: &[&str]| {
        let status = p.status.get_or_insert_with(ParliamentStatus::default);
        status.prime_minister = Some(PrimeMinisterStatus {
            pod: "web-0".into(),
            district: "a".into(),
            term: 4,
            since: time(10),
        });
        for d in represented {
            status.districts.push(DistrictStatus {
                name: (*d).to_owned(),
                representative: Some(format!("rep-{d}")),
                ..DistrictStatus::default()
            });
        }
        p
    };
    let empty_district = "  districting:\n    podNames:\n      left: [web-0]\n      right: [web-9]\n  lords:\n    size: 1\n";
    // (case, parliament, pods, Ready, Degraded, a fragment of the Degraded message)
    let cases: Vec<ConditionCase> = vec![
        (
            "no pods",
            zoned(),
            vec![],
            ("False", "NoMembers"),
            ("False", "AllMembersPlaced"),
            "every selected pod",
        ),
        (
            "unrepresented",
            zoned(),
            three_zones(),
            ("False", "DistrictsUnrepresented"),
            ("False", "AllMembersPlaced"),
            "",
        ),
        (
            "represented, no Prime Minister",
            {
                let mut p = convened(zoned(), &["a", "b", "c"]);
                if let Some(s) = p.status.as_mut() {
                    s.prime_minister = None;
                }
                p
            },
            three_zones(),
            ("False", "NoPrimeMinister"),
            ("False", "AllMembersPlaced"),
            "",
        ),
        (
            "convened",
            convened(zoned(), &["a", "b", "c"]),
            three_zones(),
            ("True", "Convened"),
            ("False", "AllMembersPlaced"),
            "",
        ),
        (
            "a pod on a node without the zone label",
            convened(zoned(), &["a", "b", "c"]),
            vec![
                pod("web-0", "n-a"),
                pod("web-1", "n-b"),
                pod("web-2", "n-c"),
                pod("web-3", "bare"),
            ],
            ("True", "Convened"),
            ("True", "PodsOutsideDistricts"),
            "pod web-3 runs on node bare, which has no label topology.kubernetes.io/zone",
        ),
        (
            "a named district without members",
            parliament(empty_district),
            vec![pod("web-0", "n-a")],
            ("False", "DistrictsUnrepresented"),
            ("True", "EmptyDistricts"),
            "districts right named in spec.districting.podNames have no member pod",
        ),
    ];
    for (case, parliament, pods, ready, degraded, message) in cases {
        let plan = plan(&parliament, &observed(pods, None));
        let got_ready = condition(&plan, CONDITION_READY);
        let got_degraded = condition(&plan, CONDITION_DEGRADED);
        assert_eq!(
            (got_ready.0, got_ready.1),
            ready,
            "{case}: Ready {got_ready:?}"
        );
        assert_eq!(
            (got_degraded.0, got_degraded.1),
            degraded,
            "{case}: Degraded {got_degraded:?}"
        );
        assert!(
            got_degraded.2.contains(message),
            "{case}: {:?}",
            got_degraded.2
        );
        for c in &plan.status.conditions {
            assert_eq!(c.observed_generation, Some(3), "{case}");
        }
    }
}

#[test]
fn an_invalid_spec_names_the_field_and_changes_nothing_else() {
    let first = plan(&zoned(), &observed(three_zones(), None));
    let mut bad = parliament("  ports:\n    peer: 7401\n");
    applied(&mut bad, &first);
    let plan1 = plan(&bad, &observed(three_zones(), first.roster.clone()));
    let (status, reason, message) = condition(&plan1, CONDITION_INVALID_SPEC);
    assert_eq!((status, reason), ("True", "InvalidField"));
    assert!(
        message.starts_with("spec.ports.api: port 7401 is also the peer port"),
        "{message}"
    );
    assert_eq!(condition(&plan1, CONDITION_READY).1, "InvalidSpec");
    assert_eq!(condition(&plan1, CONDITION_DEGRADED).0, "Unknown");
    assert_eq!(plan1.roster, None, "the roster is left alone");
    assert!(plan1.pod_labels.is_empty());
    let counts: Vec<(&str, u32)> = plan1
        .status
        .districts
        .iter()
        .map(|d| (d.name.as_str(), d.members))
        .collect();
    assert_eq!(
        counts,
        [("a", 1), ("b", 1), ("c", 1)],
        "counts are carried over"
    );
    let events: Vec<(EventSeverity, &str)> = plan1
        .events
        .iter()
        .map(|e| (e.severity, e.reason))
        .collect();
    assert_eq!(events, [(EventSeverity::Warning, "InvalidSpec")]);

    // The same problem again: no new Event, nothing to write.
    applied(&mut bad, &plan1);
    let plan2 = plan(&bad, &observed(three_zones(), first.roster.clone()));
    assert!(plan2.events.is_empty(), "{:?}", plan2.events);
    assert!(!plan2.status_changed);

    // Fixed: accepted again.
    let mut fixed = zoned();
    fixed.status = bad.status.clone();
    let plan3 = plan(&fixed, &observed(three_zones(), first.roster.clone()));
    assert_eq!(condition(&plan3, CONDITION_INVALID_SPEC).0, "False");
    assert!(plan3.events.iter().any(|e| e.reason == "SpecAccepted"));
}

#[test]
fn a_reflected_status_is_not_written_and_keeps_its_transition_times() {
    let mut parliament = zoned();
    let first = plan(&parliament, &observed(three_zones(), None));
    applied(&mut parliament, &first);
    let mut later = observed(three_zones(), first.roster.clone());
    later.now = time(9_999);
    let second = plan(&parliament, &later);
    assert!(!second.status_changed);
    assert_eq!(second.roster, None);
    assert!(second.events.is_empty());
    for c in &second.status.conditions {
        assert_eq!(c.last_transition_time, time(1_000), "{}", c.type_);
    }
    // A pod becoming unready changes a count, and only that.
    let mut pods = three_zones();
    pods[1].ready = false;
    let third = plan(&parliament, &observed(pods, first.roster.clone()));
    assert!(third.status_changed);
    assert_eq!(third.roster, None, "readiness is not membership");
    assert_eq!(third.status.districts[1].ready_members, 0);
}

#[test]
fn bootstrap_leaders_are_named_until_the_parliament_convenes() {
    let spec = "  bootstrap:\n    representatives:\n      a: web-0\n      b: web-1\n    primeMinister: web-0\n";
    let mut parliament = parliament(spec);
    let first = plan(&parliament, &observed(three_zones(), None));
    let roster = first.roster.clone().unwrap_or_default().roster;
    assert_eq!(roster.bootstrap_prime_minister.as_deref(), Some("web-0"));
    let named: Vec<Option<&str>> = roster
        .districts
        .iter()
        .map(|d| d.bootstrap_representative.as_deref())
        .collect();
    assert_eq!(named, [Some("web-0"), Some("web-1"), None]);

    // A Prime Minister is in office: bootstrap is dropped.
    parliament.status = Some(ParliamentStatus {
        prime_minister: Some(PrimeMinisterStatus {
            pod: "web-1".into(),
            district: "b".into(),
            term: 1,
            since: time(5),
        }),
        ..ParliamentStatus::default()
    });
    let second = plan(&parliament, &observed(three_zones(), first.roster.clone()));
    let dropped = second.roster.clone().unwrap_or_default().roster;
    assert_eq!(dropped.bootstrap_prime_minister, None);
    assert!(
        dropped
            .districts
            .iter()
            .all(|d| d.bootstrap_representative.is_none())
    );

    // The Prime Minister is gone during an election: bootstrap stays dropped.
    parliament.status = None;
    let third = plan(&parliament, &observed(three_zones(), second.roster.clone()));
    assert_eq!(third.roster, None);
}
