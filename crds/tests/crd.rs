//! The CRD the chart ships: up to date with the types, and shaped as the issue asks
//! (names, printer columns, status subresource, documented fields, list-maps).

use std::path::PathBuf;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use parliament_crds::{CRD_PATH, REGENERATE, crd, crd_yaml};
use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Value {
    let crd = crd().expect("the CRD generates");
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(schema.expect("the CRD has a schema")).expect("the schema is JSON")
}

#[test]
fn checked_in_crd_is_what_crdgen_writes() {
    let path = repo_root().join(CRD_PATH);
    let generated = crd_yaml().expect("the CRD generates");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nCreate it with:\n  {REGENERATE}",
            path.display()
        )
    });
    if checked_in != generated {
        let line = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "{CRD_PATH} is stale: it first differs from the generated CRD at line {}:\n  checked in: {:?}\n  generated:  {:?}\nRegenerate it from the repository root with:\n  {REGENERATE}",
            line + 1,
            checked_in.lines().nth(line).unwrap_or("<end of file>"),
            generated.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

#[test]
fn checked_in_crd_reads_back_as_the_generated_one() {
    let text = std::fs::read_to_string(repo_root().join(CRD_PATH)).expect("the CRD is checked in");
    let parsed: CustomResourceDefinition =
        serde_saphyr::from_str(&text).expect("the CRD YAML parses");
    assert_eq!(parsed, crd().expect("the CRD generates"));
}

#[test]
fn names_scope_columns_and_subresources() {
    let crd = crd().expect("the CRD generates");
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some("parliaments.parliament.dev")
    );
    assert_eq!(crd.spec.group, "parliament.dev");
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.kind, "Parliament");
    assert_eq!(crd.spec.names.plural, "parliaments");
    assert_eq!(
        crd.spec.names.short_names.as_deref(),
        Some(&["parl".to_owned()][..])
    );
    assert_eq!(crd.spec.versions.len(), 1);
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(version.served && version.storage);
    assert!(
        version
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some(),
        "status must be a subresource, so that only status writers change it"
    );
    let columns: Vec<(&str, &str)> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), c.json_path.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("PM", ".status.primeMinister.pod"),
            ("Term", ".status.primeMinister.term"),
            ("Districts", ".status.districtsRepresented"),
            ("Ready", ".status.conditions[?(@.type==\"Ready\")].status"),
            ("Age", ".metadata.creationTimestamp"),
        ]
    );
}

/// Every property under spec and status carries a description (from its doc comment), since
/// `kubectl explain parliament.spec...` is how users read the API.
#[test]
fn every_field_is_documented() {
    fn walk(path: &str, node: &Value, missing: &mut Vec<String>) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let path = format!("{path}.{name}");
                let documented = property
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.trim().is_empty());
                if !documented {
                    missing.push(path.clone());
                }
                walk(&path, property, missing);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(child) = node.get(key) {
                walk(&format!("{path}[]"), child, missing);
            }
        }
    }
    let schema = schema();
    let mut missing = Vec::new();
    for root in ["spec", "status"] {
        walk(root, &schema["properties"][root], &mut missing);
    }
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:#?}"
    );
}

/// Recent API servers warn on every apply about formats they do not know.
#[test]
fn integer_and_string_formats_are_ones_kubernetes_knows() {
    fn walk(path: &str, node: &Value, unknown: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(format) = map.get("format").and_then(Value::as_str)
                    && !matches!(format, "int32" | "int64" | "date-time")
                {
                    unknown.push(format!("{path}: {format}"));
                }
                for (key, child) in map {
                    walk(&format!("{path}/{key}"), child, unknown);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(&format!("{path}/{i}"), child, unknown);
                }
            }
            _ => {}
        }
    }
    let mut unknown = Vec::new();
    walk("", &schema(), &mut unknown);
    assert!(unknown.is_empty(), "unknown formats: {unknown:#?}");
}

/// Lists that several writers update are list-maps, so that server-side apply merges one
/// writer's entry without replacing the others'.
#[test]
fn status_lists_are_list_maps() {
    let status = &schema()["properties"]["status"]["properties"];
    for (list, key) in [
        ("conditions", "type"),
        ("districts", "name"),
        ("lords", "pod"),
    ] {
        assert_eq!(
            status[list]["x-kubernetes-list-type"], "map",
            "status.{list}"
        );
        assert_eq!(
            status[list]["x-kubernetes-list-map-keys"],
            serde_json::json!([key]),
            "status.{list}"
        );
        let required = status[list]["items"]["required"]
            .as_array()
            .expect("list items have required fields");
        assert!(
            required.contains(&Value::from(key)),
            "status.{list}[].{key} must be required to be a map key"
        );
    }
    let condition = &status["conditions"]["items"]["properties"];
    for field in [
        "type",
        "status",
        "reason",
        "message",
        "lastTransitionTime",
        "observedGeneration",
    ] {
        assert!(condition.get(field).is_some(), "conditions lack {field}");
    }
}

/// Exactly one districting mode: the schema's oneOf and a CEL rule with a readable message.
#[test]
fn districting_modes_are_exclusive() {
    let districting = &schema()["properties"]["spec"]["properties"]["districting"];
    let one_of: Vec<&Value> = districting["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .collect();
    let required: Vec<&Value> = one_of.iter().map(|branch| &branch["required"][0]).collect();
    assert_eq!(required, ["nodeLabel", "nodeLabelValues", "podNames"]);
    assert_eq!(
        districting["default"],
        serde_json::json!({"nodeLabel": "topology.kubernetes.io/zone"})
    );
}
