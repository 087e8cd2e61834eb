//! Table-driven tests of `validate`: each case changes one valid spec and expects exactly the
//! listed problems, by field path, in field order.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::{SpecError, validate};
use crate::spec::{
    Bootstrap, DistrictMap, Districting, NodeLabelValues, ParliamentSpec, TermLimits, Timeouts,
    Tls, TlsMode,
};

/// Three districts of two pods each, with bootstrap leaders: valid.
fn valid() -> ParliamentSpec {
    ParliamentSpec {
        selector: LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_owned(), "web".to_owned())])),
            match_expressions: None,
        },
        districting: Districting::PodNames(districts(&[
            ("east", &["web-0", "web-1"]),
            ("north", &["web-4", "web-5"]),
            ("west", &["web-2", "web-3"]),
        ])),
        bootstrap: Some(Bootstrap {
            representatives: BTreeMap::from([
                ("east".to_owned(), "web-0".to_owned()),
                ("west".to_owned(), "web-2".to_owned()),
            ]),
            prime_minister: Some("web-0".to_owned()),
        }),
        term_limits: TermLimits::default(),
        timeouts: Timeouts::default(),
        sessions: Default::default(),
        lords: Default::default(),
        tls: Tls::default(),
        ports: Default::default(),
        storage: Default::default(),
    }
}

fn districts(list: &[(&str, &[&str])]) -> DistrictMap {
    list.iter()
        .map(|(name, entries)| (*name, entries.iter().copied()))
        .collect()
}

fn pod_names(spec: &mut ParliamentSpec) -> &mut BTreeMap<String, Vec<String>> {
    match &mut spec.districting {
        Districting::PodNames(map) => &mut map.0,
        other => panic!("the valid spec uses podNames, not {}", other.mode()),
    }
}

fn bootstrap(spec: &mut ParliamentSpec) -> &mut Bootstrap {
    spec.bootstrap.get_or_insert_with(Bootstrap::default)
}

fn zones(spec: &mut ParliamentSpec) {
    spec.districting = Districting::NodeLabel("topology.kubernetes.io/zone".to_owned());
    spec.bootstrap = None;
}

struct Case {
    name: &'static str,
    change: fn(&mut ParliamentSpec),
    /// (field path, a fragment of the problem) for every expected error, in order.
    expect: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "the valid spec passes",
        change: |_| {},
        expect: &[],
    },
    Case {
        name: "zones with defaults pass",
        change: zones,
        expect: &[],
    },
    Case {
        name: "empty selector",
        change: |s| s.selector = LabelSelector::default(),
        expect: &[("spec.selector", "every pod in the namespace")],
    },
    Case {
        name: "selector expression In without values, and an unknown operator",
        change: |s| {
            s.selector.match_expressions = Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "Like".into(),
                    values: None,
                },
            ]);
        },
        expect: &[
            (
                "spec.selector.matchExpressions[0].values",
                "operator In has no values",
            ),
            (
                "spec.selector.matchExpressions[1].operator",
                "unknown operator \"Like\"",
            ),
        ],
    },
    Case {
        name: "selector label key with a space",
        change: |s| {
            s.selector.match_labels =
                Some(BTreeMap::from([("my app".to_owned(), "web".to_owned())]));
        },
        expect: &[(
            "spec.selector.matchLabels[\"my app\"]",
            "label key \"my app\"",
        )],
    },
    Case {
        name: "node label that is not a label key",
        change: |s| {
            zones(s);
            s.districting = Districting::NodeLabel("Topology/zone".to_owned());
        },
        expect: &[(
            "spec.districting.nodeLabel",
            "node label \"Topology/zone\" has a prefix",
        )],
    },
    Case {
        name: "a pod named in two districts",
        change: |s| {
            pod_names(s)
                .get_mut("west")
                .unwrap()
                .insert(0, "web-1".into())
        },
        expect: &[(
            "spec.districting.podNames.west[0]",
            "pod web-1 is already in district east, at spec.districting.podNames.east[1]",
        )],
    },
    Case {
        name: "a pod listed twice in one district",
        change: |s| pod_names(s).get_mut("east").unwrap().push("web-0".into()),
        expect: &[(
            "spec.districting.podNames.east[2]",
            "pod web-0 is listed twice in district east, also at [0]",
        )],
    },
    Case {
        name: "district name that is not a DNS label",
        change: |s| {
            let pods = pod_names(s).remove("east").unwrap();
            pod_names(s).insert("East".into(), pods);
            s.bootstrap = None;
        },
        expect: &[(
            "spec.districting.podNames.East",
            "district name \"East\" must consist of lowercase",
        )],
    },
    Case {
        name: "pod name that is not a DNS subdomain",
        change: |s| pod_names(s).get_mut("north").unwrap()[1] = "web_5".into(),
        expect: &[(
            "spec.districting.podNames.north[1]",
            "pod \"web_5\" must consist of lowercase",
        )],
    },
    Case {
        name: "district with no pods",
        change: |s| {
            pod_names(s).get_mut("north").unwrap().clear();
        },
        expect: &[(
            "spec.districting.podNames.north",
            "district north lists no pod",
        )],
    },
    Case {
        name: "no district at all",
        change: |s| {
            pod_names(s).clear();
            s.bootstrap = None;
            s.lords.size = 1;
        },
        expect: &[("spec.districting.podNames", "no district is named")],
    },
    Case {
        name: "a zone in two districts",
        change: |s| {
            s.bootstrap = None;
            s.districting = Districting::NodeLabelValues(NodeLabelValues {
                key: "topology.kubernetes.io/zone".into(),
                districts: districts(&[
                    ("east", &["us-east-1a", "us-east-1b"]),
                    ("south", &["us-south-1a"]),
                    ("west", &["us-west-1a", "us-east-1b"]),
                ]),
            });
        },
        expect: &[(
            "spec.districting.nodeLabelValues.districts.west[1]",
            "label value us-east-1b is already in district east",
        )],
    },
    Case {
        name: "node label values with a bad key and a bad value",
        change: |s| {
            s.bootstrap = None;
            s.lords.size = 1;
            s.districting = Districting::NodeLabelValues(NodeLabelValues {
                key: "zone/".into(),
                districts: districts(&[("east", &["-a"])]),
            });
        },
        expect: &[
            (
                "spec.districting.nodeLabelValues.key",
                "must have a name after the prefix",
            ),
            (
                "spec.districting.nodeLabelValues.districts.east[0]",
                "label value \"-a\"",
            ),
        ],
    },
    Case {
        name: "bootstrap representative of a district that does not exist",
        change: |s| {
            bootstrap(s)
                .representatives
                .insert("south".into(), "web-4".into());
        },
        expect: &[(
            "spec.bootstrap.representatives.south",
            "there is no district \"south\"; spec.districting names east, north, west",
        )],
    },
    Case {
        name: "bootstrap leader not in its district",
        change: |s| {
            bootstrap(s)
                .representatives
                .insert("east".into(), "web-2".into());
        },
        expect: &[
            (
                "spec.bootstrap.representatives.east",
                "pod web-2 is in district west, not east",
            ),
            (
                "spec.bootstrap.representatives.west",
                "pod web-2 is already named to represent district east",
            ),
            (
                "spec.bootstrap.primeMinister",
                "pod web-0 is not one of the bootstrap representatives (web-2, web-2)",
            ),
        ],
    },
    Case {
        name: "bootstrap leader in no district",
        change: |s| {
            bootstrap(s)
                .representatives
                .insert("north".into(), "web-9".into());
        },
        expect: &[(
            "spec.bootstrap.representatives.north",
            "pod web-9 is not listed in any district",
        )],
    },
    Case {
        name: "one pod named for two zones",
        change: |s| {
            zones(s);
            bootstrap(s).representatives = BTreeMap::from([
                ("us-east-1a".to_owned(), "web-0".to_owned()),
                ("us-east-1b".to_owned(), "web-0".to_owned()),
            ]);
        },
        expect: &[(
            "spec.bootstrap.representatives.us-east-1b",
            "pod web-0 is already named to represent district us-east-1a",
        )],
    },
    Case {
        name: "bootstrap with an invalid zone and pod name",
        change: |s| {
            zones(s);
            bootstrap(s).representatives =
                BTreeMap::from([("us east".to_owned(), "Web-0".to_owned())]);
        },
        expect: &[
            (
                "spec.bootstrap.representatives[\"us east\"]",
                "district name \"us east\"",
            ),
            (
                "spec.bootstrap.representatives[\"us east\"]",
                "pod name \"Web-0\"",
            ),
        ],
    },
    Case {
        name: "Prime Minister who is no representative",
        change: |s| bootstrap(s).prime_minister = Some("web-1".into()),
        expect: &[(
            "spec.bootstrap.primeMinister",
            "pod web-1 is not one of the bootstrap representatives (web-0, web-2)",
        )],
    },
    Case {
        name: "Prime Minister without representatives",
        change: |s| bootstrap(s).representatives.clear(),
        expect: &[(
            "spec.bootstrap.primeMinister",
            "no bootstrap representative is named",
        )],
    },
    Case {
        name: "Prime Minister's tenure longer than a representative's",
        change: |s| s.term_limits.prime_minister_max_tenure_seconds = 7200,
        expect: &[(
            "spec.termLimits.primeMinisterMaxTenureSeconds",
            "7200 exceeds representativeMaxTenureSeconds (3600)",
        )],
    },
    Case {
        name: "stagger as long as the tenure",
        change: |s| s.term_limits.stagger_seconds = Some(3600),
        expect: &[(
            "spec.termLimits.staggerSeconds",
            "3600 is not less than representativeMaxTenureSeconds",
        )],
    },
    Case {
        name: "tenures shorter than ten election timeouts",
        change: |s| {
            s.term_limits.representative_max_tenure_seconds = 19;
            s.term_limits.prime_minister_max_tenure_seconds = 15;
        },
        expect: &[
            (
                "spec.termLimits.representativeMaxTenureSeconds",
                "19 s is shorter than 10 election timeouts",
            ),
            (
                "spec.termLimits.primeMinisterMaxTenureSeconds",
                "15 s is shorter than 10 election timeouts",
            ),
        ],
    },
    Case {
        name: "short tenures are fine when term limits are off",
        change: |s| {
            s.term_limits.enabled = false;
            s.term_limits.representative_max_tenure_seconds = 19;
            s.term_limits.prime_minister_max_tenure_seconds = 15;
        },
        expect: &[],
    },
    Case {
        name: "election timeout max not above min",
        change: |s| s.timeouts.election_timeout_max_ms = 1000,
        expect: &[(
            "spec.timeouts.electionTimeoutMaxMs",
            "1000 ms is not greater than electionTimeoutMinMs (1000 ms)",
        )],
    },
    Case {
        name: "election timeout min not above twice the heartbeat",
        change: |s| s.timeouts.heartbeat_interval_ms = 500,
        expect: &[(
            "spec.timeouts.electionTimeoutMinMs",
            "1000 ms is not more than twice heartbeatIntervalMs (500 ms)",
        )],
    },
    Case {
        name: "zero heartbeat",
        change: |s| s.timeouts.heartbeat_interval_ms = 0,
        expect: &[("spec.timeouts.heartbeatIntervalMs", "0 would make leaders")],
    },
    Case {
        name: "clock drift as long as the lease",
        change: |s| s.timeouts.max_clock_drift_ms = 1000,
        expect: &[("spec.timeouts.maxClockDriftMs", "leader leases")],
    },
    Case {
        name: "even House of Lords",
        change: |s| s.lords.size = 2,
        expect: &[("spec.lords.size", "2 is even")],
    },
    Case {
        name: "no Lords",
        change: |s| s.lords.size = 0,
        expect: &[("spec.lords.size", "0 Lords")],
    },
    Case {
        name: "more Lords than districts",
        change: |s| s.lords.size = 5,
        expect: &[(
            "spec.lords.size",
            "5 Lords need 5 districts, since each comes from a different one, but spec.districting names 3",
        )],
    },
    Case {
        name: "more Lords than zones is only known at run time",
        change: |s| {
            zones(s);
            s.lords.size = 9;
        },
        expect: &[],
    },
    Case {
        name: "TLS from files without a Secret",
        change: |s| {
            s.tls = Tls {
                mode: TlsMode::Files,
                secret_name: None,
            }
        },
        expect: &[(
            "spec.tls.secretName",
            "mode files reads certificates from a Secret, but none is named",
        )],
    },
    Case {
        name: "TLS disabled with a Secret",
        change: |s| {
            s.tls = Tls {
                mode: TlsMode::Disabled,
                secret_name: Some("peer-tls".into()),
            }
        },
        expect: &[("spec.tls.secretName", "Secret peer-tls is unused")],
    },
    Case {
        name: "TLS Secret name that is not a DNS subdomain",
        change: |s| {
            s.tls = Tls {
                mode: TlsMode::Files,
                secret_name: Some("Peer TLS".into()),
            }
        },
        expect: &[("spec.tls.secretName", "Secret name \"Peer TLS\"")],
    },
    Case {
        name: "api and metrics on the peer port",
        change: |s| {
            s.ports.api = s.ports.peer;
            s.ports.metrics = s.ports.peer;
        },
        expect: &[
            ("spec.ports.api", "port 7400 is also the peer port"),
            ("spec.ports.metrics", "port 7400 is also the peer port"),
        ],
    },
    Case {
        name: "several problems come in field order",
        change: |s| {
            s.ports.api = s.ports.peer;
            s.lords.size = 4;
            s.timeouts.max_clock_drift_ms = 5000;
            s.selector = LabelSelector::default();
        },
        expect: &[
            ("spec.selector", "empty"),
            ("spec.timeouts.maxClockDriftMs", "5000 ms"),
            ("spec.lords.size", "4 is even"),
            ("spec.lords.size", "4 Lords need 4 districts"),
            ("spec.ports.api", "port 7400"),
        ],
    },
];

#[test]
fn validate_reports_each_problem_at_its_field() {
    for case in CASES {
        let mut spec = valid();
        (case.change)(&mut spec);
        let errors = validate(&spec).err().unwrap_or_default();
        let got: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        let want: Vec<&str> = case.expect.iter().map(|(path, _)| *path).collect();
        assert_eq!(
            got, want,
            "case {:?}: paths differ; errors: {errors:#?}",
            case.name
        );
        for (error, (_, fragment)) in errors.iter().zip(case.expect) {
            assert!(
                error.problem.contains(fragment),
                "case {:?}: problem {:?} lacks {fragment:?}",
                case.name,
                error.problem
            );
            assert!(
                !error.fix.is_empty(),
                "case {:?}: {} says not what to do",
                case.name,
                error.path
            );
        }
    }
}

#[test]
fn spec_error_reads_as_path_problem_fix() {
    let error = SpecError::new("spec.lords.size", "2 is even", "use 1 or 3");
    assert_eq!(error.to_string(), "spec.lords.size: 2 is even; use 1 or 3");

    let many: Vec<SpecError> = (0..5)
        .map(|i| SpecError::new(format!("spec.f{i}"), "bad", "fix it"))
        .collect();
    assert_eq!(
        SpecError::summary(&many),
        "spec.f0: bad; fix it. spec.f1: bad; fix it. spec.f2: bad; fix it. And 2 more problems"
    );
    assert_eq!(SpecError::summary(&many[..1]), "spec.f0: bad; fix it");
}
