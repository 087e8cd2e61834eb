//! Parliament manifests as users write them: the shipped examples read and validate, defaults
//! match the engine's, and malformed manifests fail with an error that says what and where.

use std::path::PathBuf;

use parliament_crds::spec::{
    DEFAULT_ELECTION_TIMEOUT_MAX_MS, DEFAULT_ELECTION_TIMEOUT_MIN_MS,
    DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MAX_CLOCK_DRIFT_MS, DEFAULT_NODE_LABEL, Districting,
    TlsMode,
};
use parliament_crds::{Parliament, parliament_from_yaml, validate};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn the_three_zone_example_reads_and_validates() {
    let path = examples_dir().join("parliament.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parliament =
        parliament_from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    assert_eq!(parliament.metadata.name.as_deref(), Some("web"));
    let spec = &parliament.spec;
    assert_eq!(
        spec.districting,
        Districting::NodeLabel("topology.kubernetes.io/zone".into())
    );
    let bootstrap = spec
        .bootstrap
        .as_ref()
        .expect("the example names bootstrap leaders");
    assert_eq!(bootstrap.representatives.len(), 3, "one per zone");
    assert_eq!(bootstrap.prime_minister.as_deref(), Some("web-0"));
    assert_eq!(spec.timeouts.election_timeout_min_ms, 1000);
    assert_eq!(spec.timeouts.election_timeout_max_ms, 2000);
    assert_eq!(spec.timeouts.heartbeat_interval_ms, 100);
    assert_eq!(spec.timeouts.max_clock_drift_ms, 100);
    assert_eq!(spec.lords.size, 3);
    assert_eq!(spec.tls.mode, TlsMode::Generated);
    validate(spec).unwrap_or_else(|errors| panic!("the example is invalid: {errors:#?}"));

    let again: Parliament =
        serde_json::from_value(serde_json::to_value(&parliament).expect("serialises"))
            .expect("reads back");
    assert_eq!(
        again, parliament,
        "a Parliament survives a JSON round trip unchanged"
    );
}

#[test]
fn every_shipped_parliament_example_validates() {
    let mut seen = 0;
    for entry in std::fs::read_dir(examples_dir()).expect("examples/ exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        if !text.lines().any(|l| l.trim() == "kind: Parliament") {
            continue;
        }
        let parliament =
            parliament_from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        validate(&parliament.spec)
            .unwrap_or_else(|errors| panic!("{}: {errors:#?}", path.display()));
        seen += 1;
    }
    assert!(seen >= 1, "no Parliament example found in examples/");
}

#[test]
fn a_minimal_manifest_gets_the_engine_defaults() {
    let parliament = parliament_from_yaml(
        "apiVersion: parliament.dev/v1alpha1\nkind: Parliament\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n",
    )
    .expect("a selector alone is a valid manifest");
    let spec = &parliament.spec;
    assert_eq!(
        spec.districting,
        Districting::NodeLabel(DEFAULT_NODE_LABEL.into())
    );
    assert_eq!(spec.bootstrap, None);
    // The engine's Config::new uses the same numbers (sidecar/engine/src/engine/config.rs).
    assert_eq!(
        spec.timeouts.election_timeout_min_ms,
        DEFAULT_ELECTION_TIMEOUT_MIN_MS
    );
    assert_eq!(
        spec.timeouts.election_timeout_max_ms,
        DEFAULT_ELECTION_TIMEOUT_MAX_MS
    );
    assert_eq!(
        spec.timeouts.heartbeat_interval_ms,
        DEFAULT_HEARTBEAT_INTERVAL_MS
    );
    assert_eq!(spec.timeouts.max_clock_drift_ms, DEFAULT_MAX_CLOCK_DRIFT_MS);
    assert_eq!(
        (
            DEFAULT_ELECTION_TIMEOUT_MIN_MS,
            DEFAULT_ELECTION_TIMEOUT_MAX_MS,
            DEFAULT_HEARTBEAT_INTERVAL_MS,
            DEFAULT_MAX_CLOCK_DRIFT_MS
        ),
        (1000, 2000, 100, 100)
    );
    assert_eq!(spec.lords.size, 3);
    assert!(spec.term_limits.enabled);
    validate(spec).expect("the defaults are valid");
}

#[test]
fn other_districting_modes_read() {
    let cases = [
        ("nodeLabel: kubernetes.io/hostname", "nodeLabel"),
        (
            "nodeLabelValues:\n      districts:\n        east: [us-east-1a, us-east-1b]\n        west: [us-west-1a]",
            "nodeLabelValues",
        ),
        (
            "podNames:\n      east: [web-0, web-1]\n      west: [web-2, web-3]",
            "podNames",
        ),
    ];
    for (districting, mode) in cases {
        let parliament =
            parliament_from_yaml(&manifest(&format!("districting:\n    {districting}")))
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(parliament.spec.districting.mode(), mode);
    }
    let with_default_key = parliament_from_yaml(&manifest(
        "districting:\n    nodeLabelValues:\n      districts:\n        east: [a]",
    ))
    .expect("nodeLabelValues.key has a default");
    match with_default_key.spec.districting {
        Districting::NodeLabelValues(values) => assert_eq!(values.key, DEFAULT_NODE_LABEL),
        other => panic!("read as {}", other.mode()),
    }
}

/// A manifest with the given lines added under spec (indented by two spaces).
fn manifest(spec_lines: &str) -> String {
    format!(
        "apiVersion: parliament.dev/v1alpha1\nkind: Parliament\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  {spec_lines}\n"
    )
}

#[test]
fn malformed_manifests_say_what_is_wrong() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "a string where milliseconds belong",
            "timeouts:\n    electionTimeoutMinMs: fast",
            &["fast", "line 10", "invalid u32"],
        ),
        (
            "a negative Lords size",
            "lords:\n    size: -3",
            &["-3", "line 10"],
        ),
        (
            "an unknown districting mode",
            "districting:\n    byHostname: true",
            &[
                "unknown field `byHostname`",
                "nodeLabel",
                "nodeLabelValues",
                "podNames",
                "line 10",
            ],
        ),
        (
            "two districting modes at once",
            "districting:\n    nodeLabel: topology.kubernetes.io/zone\n    podNames:\n      east: [web-0]",
            &[
                "set exactly one districting mode",
                "found nodeLabel and podNames",
                "line 10",
            ],
        ),
        (
            "no districting mode",
            "districting: {}",
            &["set exactly one districting mode", "found none"],
        ),
        (
            "an unknown TLS mode",
            "tls:\n    mode: strict",
            &["unknown variant `strict`", "disabled", "files", "generated"],
        ),
        (
            "a district given as a string instead of a list",
            "districting:\n    podNames:\n      east: web-0",
            &["line 11"],
        ),
        (
            "a district named twice",
            "districting:\n    podNames:\n      east: [web-0]\n      east: [web-1]",
            &["duplicate", "east"],
        ),
    ];
    for (name, spec_lines, fragments) in cases {
        let error = match parliament_from_yaml(&manifest(spec_lines)) {
            Ok(parsed) => panic!("{name}: read without error as {:?}", parsed.spec),
            Err(error) => error.to_string(),
        };
        eprintln!("--- {name}:\n{error}");
        for fragment in *fragments {
            assert!(
                error.contains(fragment),
                "{name}: the error does not mention {fragment:?}:\n{error}"
            );
        }
    }

    let missing_selector = parliament_from_yaml(
        "apiVersion: parliament.dev/v1alpha1\nkind: Parliament\nmetadata:\n  name: web\nspec:\n  lords:\n    size: 3\n",
    )
    .expect_err("selector is required")
    .to_string();
    assert!(missing_selector.contains("selector"), "{missing_selector}");
}
