//! The CRD's CEL rules (x-kubernetes-validations), evaluated client-side as the API server
//! would (kube's `cel` feature), and held against `validate`: wherever a rule exists in both,
//! they must agree.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::core::cel::{ScopeContext, Validator, WarningKind, analyze_rule, compile_schema};
use parliament_crds::spec::{Bootstrap, DistrictMap, Districting, ParliamentSpec, Tls, TlsMode};
use parliament_crds::{Parliament, crd, validate};
use serde_json::{Value, json};

fn schema() -> Value {
    let crd = crd().expect("the CRD generates");
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(schema.expect("the CRD has a schema")).expect("the schema is JSON")
}

fn spec() -> ParliamentSpec {
    ParliamentSpec {
        selector: LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_owned(), "web".to_owned())])),
            match_expressions: None,
        },
        districting: Districting::PodNames(
            [
                ("east", ["web-0", "web-1"]),
                ("north", ["web-4", "web-5"]),
                ("west", ["web-2", "web-3"]),
            ]
            .into_iter()
            .collect::<DistrictMap>(),
        ),
        bootstrap: Some(Bootstrap {
            representatives: BTreeMap::from([("east".to_owned(), "web-0".to_owned())]),
            prime_minister: Some("web-0".to_owned()),
        }),
        term_limits: Default::default(),
        timeouts: Default::default(),
        sessions: Default::default(),
        lords: Default::default(),
        tls: Default::default(),
        ports: Default::default(),
        storage: Default::default(),
    }
}

fn object(spec: ParliamentSpec) -> Value {
    serde_json::to_value(Parliament::new("web", spec)).expect("a Parliament serialises")
}

/// The messages of the CEL rules the object breaks.
fn cel_failures(schema: &Value, object: &Value, old: Option<&Value>) -> Vec<String> {
    match Validator::new().validate(schema, object, old) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Every rule compiles, uses only variables a CRD rule may use, and stays within the API
/// server's cost budget given the schema's bounds (the API server rejects a CRD otherwise).
#[test]
fn every_rule_compiles_and_fits_the_cost_budget() {
    fn walk(path: &str, node: &Value, rules: &mut usize, problems: &mut Vec<String>) {
        if let Some(list) = node
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            let compiled = compile_schema(node);
            for error in compiled.compilation_errors() {
                problems.push(format!("{path}: {error}"));
            }
            for rule in list.iter().filter_map(|r| r["rule"].as_str()) {
                *rules += 1;
                let bound = comprehension_variables(rule);
                for warning in analyze_rule(rule, &compiled, ScopeContext::CrdValidation) {
                    // kube-cel 0.8 reports variables bound by macros (all, exists, filter)
                    // as out of scope; the API server knows better.
                    let macro_variable = warning.kind == WarningKind::WrongScope
                        && bound
                            .iter()
                            .any(|v| warning.message.contains(&format!("variable '{v}'")));
                    if !macro_variable {
                        problems.push(format!("{path}: {rule}: {}", warning.message));
                    }
                }
            }
        }
        if let Some(map) = node.as_object() {
            for (key, child) in map {
                if matches!(
                    key.as_str(),
                    "properties" | "default" | "x-kubernetes-validations"
                ) {
                    continue;
                }
                walk(&format!("{path}/{key}"), child, rules, problems);
            }
            if let Some(properties) = node.get("properties").and_then(Value::as_object) {
                for (name, child) in properties {
                    walk(&format!("{path}.{name}"), child, rules, problems);
                }
            }
        } else if let Some(items) = node.as_array() {
            for child in items {
                walk(path, child, rules, problems);
            }
        }
    }
    let mut rules = 0;
    let mut problems = Vec::new();
    walk("", &schema(), &mut rules, &mut problems);
    assert!(problems.is_empty(), "CEL problems: {problems:#?}");
    assert!(rules >= 15, "expected the CRD's CEL rules, found {rules}");
}

/// Names bound by CEL macros in a rule: the `x` of `.all(x, ...)`, `.exists(x, ...)` and the like.
fn comprehension_variables(rule: &str) -> Vec<&str> {
    [".all(", ".exists(", ".exists_one(", ".filter(", ".map("]
        .iter()
        .flat_map(|m| {
            rule.match_indices(m)
                .map(move |(i, _)| &rule[i + m.len()..])
        })
        .filter_map(|rest| rest.split_once(',').map(|(name, _)| name.trim()))
        .collect()
}

struct Case {
    name: &'static str,
    change: fn(&mut ParliamentSpec),
    /// A fragment of the CEL rule's message, or None when the schema cannot see the problem.
    cel: Option<&'static str>,
    /// Whether `validate` rejects the spec.
    validate: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "valid",
        change: |_| {},
        cel: None,
        validate: false,
    },
    Case {
        name: "empty selector",
        change: |s| s.selector = LabelSelector::default(),
        cel: Some("selector must not be empty"),
        validate: true,
    },
    Case {
        name: "election timeout max not above min",
        change: |s| s.timeouts.election_timeout_max_ms = s.timeouts.election_timeout_min_ms,
        cel: Some("electionTimeoutMaxMs must be greater"),
        validate: true,
    },
    Case {
        name: "heartbeat at half the minimum election timeout",
        change: |s| s.timeouts.heartbeat_interval_ms = 500,
        cel: Some("more than twice heartbeatIntervalMs"),
        validate: true,
    },
    Case {
        name: "heartbeat just under half the minimum election timeout",
        change: |s| s.timeouts.heartbeat_interval_ms = 499,
        cel: None,
        validate: false,
    },
    Case {
        name: "clock drift as long as the minimum election timeout",
        change: |s| s.timeouts.max_clock_drift_ms = 1000,
        cel: Some("maxClockDriftMs must be less"),
        validate: true,
    },
    Case {
        name: "Prime Minister's tenure over the representative's",
        change: |s| s.term_limits.prime_minister_max_tenure_seconds = 3601,
        cel: Some("primeMinisterMaxTenureSeconds must not exceed"),
        validate: true,
    },
    Case {
        name: "stagger equal to the tenure",
        change: |s| s.term_limits.stagger_seconds = Some(3600),
        cel: Some("staggerSeconds must be less"),
        validate: true,
    },
    Case {
        name: "tenure just under ten election timeouts",
        change: |s| {
            s.term_limits.representative_max_tenure_seconds = 19;
            s.term_limits.prime_minister_max_tenure_seconds = 19;
        },
        cel: Some("representativeMaxTenureSeconds must last at least ten times"),
        validate: true,
    },
    Case {
        name: "tenure of exactly ten election timeouts",
        change: |s| {
            s.term_limits.representative_max_tenure_seconds = 20;
            s.term_limits.prime_minister_max_tenure_seconds = 20;
        },
        cel: None,
        validate: false,
    },
    Case {
        name: "short tenure with term limits off",
        change: |s| {
            s.term_limits.enabled = false;
            s.term_limits.representative_max_tenure_seconds = 10;
            s.term_limits.prime_minister_max_tenure_seconds = 10;
        },
        cel: None,
        validate: false,
    },
    Case {
        name: "even House of Lords",
        change: |s| s.lords.size = 2,
        cel: Some("size must be odd"),
        validate: true,
    },
    Case {
        name: "more Lords than named districts",
        change: |s| s.lords.size = 5,
        cel: Some("lords.size must not exceed the number of districts"),
        validate: true,
    },
    Case {
        name: "TLS files without a Secret",
        change: |s| {
            s.tls = Tls {
                mode: TlsMode::Files,
                secret_name: None,
            }
        },
        cel: Some("set secretName"),
        validate: true,
    },
    Case {
        name: "TLS disabled with a Secret",
        change: |s| {
            s.tls = Tls {
                mode: TlsMode::Disabled,
                secret_name: Some("peer-tls".into()),
            }
        },
        cel: Some("secretName is unused"),
        validate: true,
    },
    Case {
        name: "two ports the same",
        change: |s| s.ports.metrics = s.ports.api,
        cel: Some("three different ports"),
        validate: true,
    },
    Case {
        name: "Prime Minister who is no representative",
        change: |s| s.bootstrap.as_mut().expect("bootstrap").prime_minister = Some("web-4".into()),
        cel: Some("primeMinister must be one of the bootstrap representatives"),
        validate: true,
    },
    // What only `validate` can see: comparisons across map entries and key syntax.
    Case {
        name: "a pod in two districts",
        change: |s| {
            if let Districting::PodNames(map) = &mut s.districting {
                map.0.get_mut("west").expect("west").push("web-0".into());
            }
        },
        cel: None,
        validate: true,
    },
    Case {
        name: "a bootstrap leader outside its district",
        change: |s| {
            s.bootstrap
                .as_mut()
                .expect("bootstrap")
                .representatives
                .insert("east".into(), "web-2".into());
            s.bootstrap.as_mut().expect("bootstrap").prime_minister = Some("web-2".into());
        },
        cel: None,
        validate: true,
    },
    Case {
        name: "a district name that is no DNS label",
        change: |s| {
            if let Districting::PodNames(map) = &mut s.districting {
                let pods = map.0.remove("north").expect("north");
                map.0.insert("North".into(), pods);
            }
        },
        cel: None,
        validate: true,
    },
];

#[test]
fn cel_rules_and_validate_agree() {
    let schema = schema();
    for case in CASES {
        let mut spec = spec();
        (case.change)(&mut spec);
        let validate_rejects = validate(&spec).is_err();
        let failures = cel_failures(&schema, &object(spec), None);
        match case.cel {
            None => assert!(
                failures.is_empty(),
                "{}: CEL rejects it: {failures:#?}",
                case.name
            ),
            Some(fragment) => assert!(
                failures.iter().any(|f| f.contains(fragment)),
                "{}: no CEL failure mentions {fragment:?}: {failures:#?}",
                case.name
            ),
        }
        assert_eq!(
            validate_rejects, case.validate,
            "{}: validate disagrees",
            case.name
        );
        if case.cel.is_some() {
            assert!(
                validate_rejects,
                "{}: CEL rejects what validate accepts",
                case.name
            );
        }
    }
}

#[test]
fn exactly_one_districting_mode() {
    let schema = schema();
    let with = |districting: Value| {
        let mut object = object(spec());
        object["spec"]["districting"] = districting;
        object["spec"]["bootstrap"] = Value::Null;
        object["spec"]["lords"]["size"] = json!(1);
        cel_failures(&schema, &object, None)
    };
    assert_eq!(
        with(json!({"nodeLabel": "topology.kubernetes.io/zone"})),
        Vec::<String>::new()
    );
    for districting in [
        json!({}),
        json!({"nodeLabel": "topology.kubernetes.io/zone", "podNames": {"east": ["web-0"]}}),
    ] {
        let failures = with(districting.clone());
        assert!(
            failures
                .iter()
                .any(|f| f.contains("set exactly one districting mode")),
            "{districting}: {failures:#?}"
        );
    }
}

#[test]
fn bootstrap_cannot_change_after_creation() {
    let schema = schema();
    let old = object(spec());
    assert_eq!(
        cel_failures(&schema, &old, Some(&old)),
        Vec::<String>::new(),
        "an unchanged bootstrap is fine"
    );

    let mut changed = spec();
    changed
        .bootstrap
        .as_mut()
        .expect("bootstrap")
        .representatives
        .insert("east".into(), "web-1".into());
    changed
        .bootstrap
        .as_mut()
        .expect("bootstrap")
        .prime_minister = Some("web-1".into());
    let failures = cel_failures(&schema, &object(changed), Some(&old));
    assert!(
        failures
            .iter()
            .any(|f| f.contains("bootstrap is used once")),
        "{failures:#?}"
    );

    let mut other_change = spec();
    other_change.lords.size = 1;
    assert_eq!(
        cel_failures(&schema, &object(other_change), Some(&old)),
        Vec::<String>::new(),
        "other fields may change"
    );
}
