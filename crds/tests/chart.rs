//! The Helm chart `charts/parliament`: it lints, renders (with and without the example
//! workload) into objects that Kubernetes' own schemas accept, grants the operator exactly
//! the API calls its code makes, and its values schema rejects bad values.
//!
//! Needs `helm` (on PATH or in `.tools/bin`, installed by
//! `bash ../shared/tools/install-k8s-tools.sh .tools/bin`) and `kubernetes-validate`
//! (`pip install kubernetes-validate`). Where they are missing the tests say so and skip,
//! unless `PARLIAMENT_REQUIRE_TOOLS` is set (CI sets it): then a missing tool fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use parliament_crds::{parliament_from_yaml, validate};
use serde_json::Value;

/// The oldest Kubernetes release the chart targets (k8s-openapi's v1_33 feature).
const KUBERNETES_VERSION: &str = "1.33.0";
const RELEASE: &str = "t";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn chart() -> PathBuf {
    repo_root().join("charts/parliament")
}

/// Says why a test skips, or fails when CI requires the tool.
fn missing(tool: &str, how: &str) {
    assert!(
        std::env::var_os("PARLIAMENT_REQUIRE_TOOLS").is_none(),
        "{tool} is required (PARLIAMENT_REQUIRE_TOOLS is set) but not installed; {how}"
    );
    eprintln!("SKIPPED: {tool} not installed ({how})");
}

/// `helm` from PATH, else from `.tools/bin`; `None` (after saying so) when neither runs.
fn helm() -> Option<PathBuf> {
    let works = |path: &Path| {
        Command::new(path)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let candidates = [PathBuf::from("helm"), repo_root().join(".tools/bin/helm")];
    let found = candidates.into_iter().find(|path| works(path));
    if found.is_none() {
        missing(
            "helm",
            "run ../shared/tools/install-k8s-tools.sh .tools/bin",
        );
    }
    found
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `helm template` with `set` values; the rendered documents, CRD included.
fn render(helm: &Path, set: &[&str]) -> Vec<Value> {
    let chart = chart();
    let mut args = vec![
        "template",
        RELEASE,
        chart.to_str().expect("the chart path is UTF-8"),
        "--include-crds",
    ];
    for value in set {
        args.extend(["--set", value]);
    }
    let output = run(helm, &args);
    assert!(
        output.status.success(),
        "helm template {set:?} failed:\n{}",
        text(&output)
    );
    let stdout = String::from_utf8(output.stdout).expect("helm prints UTF-8");
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&stdout).expect("helm renders parseable YAML");
    documents.into_iter().filter(|d| !d.is_null()).collect()
}

fn kind(document: &Value) -> &str {
    document["kind"].as_str().unwrap_or_default()
}

fn name(document: &Value) -> &str {
    document["metadata"]["name"].as_str().unwrap_or_default()
}

/// Runs kubernetes-validate on documents: `None` when the tool is missing, else success
/// and how many resources it said passed, with its output.
fn kubernetes_validate(documents: &[&Value]) -> Option<(bool, usize, String)> {
    let stream: Vec<String> = documents
        .iter()
        .map(|d| serde_json::to_string(d).expect("a document serializes"))
        .collect();
    let path = std::env::temp_dir().join(format!(
        "parliament-chart-{}-{}.yaml",
        std::process::id(),
        documents.len()
    ));
    std::fs::write(&path, stream.join("\n---\n")).expect("the temporary directory is writable");
    let output = Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.ok()?;
    let text = text(&output);
    let passed = text.matches(" passed for resource ").count();
    Some((output.status.success(), passed, text))
}

#[test]
fn helm_lint_passes() {
    let Some(helm) = helm() else { return };
    let output = run(&helm, &["lint", chart().to_str().expect("UTF-8 path")]);
    assert!(
        output.status.success(),
        "helm lint failed:\n{}",
        text(&output)
    );
    let output = run(
        &helm,
        &[
            "lint",
            chart().to_str().expect("UTF-8 path"),
            "--set",
            "example.enabled=true",
            "--set",
            "serviceMonitor.enabled=true",
        ],
    );
    assert!(
        output.status.success(),
        "helm lint with the example workload failed:\n{}",
        text(&output)
    );
}

/// Every rendered document is checked: built-in kinds by kubernetes-validate against the
/// Kubernetes 1.33 schemas; the Parliament object, whose schema kubernetes-validate does not
/// know (it only warns "Couldn't find schema"), by this crate's own manifest parser and
/// spec validation, the checks the CRD encodes. The ServiceMonitor is not rendered here:
/// its schema belongs to prometheus-operator.
#[test]
fn rendered_documents_validate() {
    let Some(helm) = helm() else { return };
    for set in [
        &[][..],
        &["example.enabled=true"][..],
        &[
            "example.enabled=true",
            "example.tls.secretName=web-peer-tls",
        ][..],
    ] {
        announce(&format!("--- render with {set:?}"));
        let documents = render(&helm, set);
        let kinds: BTreeSet<&str> = documents.iter().map(kind).collect();
        for expected in [
            "CustomResourceDefinition",
            "Deployment",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
        ] {
            assert!(
                kinds.contains(expected),
                "{set:?} renders no {expected}: {kinds:?}"
            );
        }
        let example = !set.is_empty();
        for expected in ["StatefulSet", "Service", "Parliament"] {
            assert_eq!(
                kinds.contains(expected),
                example,
                "{expected} is rendered exactly when the example is enabled ({set:?})"
            );
        }

        let (parliaments, builtin): (Vec<&Value>, Vec<&Value>) =
            documents.iter().partition(|d| kind(d) == "Parliament");
        for parliament in &parliaments {
            let yaml = serde_json::to_string(parliament).expect("a document serializes");
            let parsed = parliament_from_yaml(&yaml)
                .unwrap_or_else(|e| panic!("the example Parliament does not parse: {e}"));
            validate(&parsed.spec)
                .unwrap_or_else(|e| panic!("the example Parliament is invalid: {e:?}"));
            let statefulset = documents
                .iter()
                .find(|d| kind(d) == "StatefulSet")
                .expect("the example has a StatefulSet");
            // The Parliament's TLS mode matches what the pods mount: a spec asking for
            // TLS makes sidecars without the Secret refuse to start.
            let secret = set
                .iter()
                .find_map(|v| v.strip_prefix("example.tls.secretName="));
            let tls = &parliament["spec"]["tls"];
            let pod = &statefulset["spec"]["template"]["spec"];
            let mounted = pod["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|v| v["secret"]["secretName"].as_str());
            match secret {
                Some(name) => {
                    assert_eq!(
                        (tls["mode"].as_str(), tls["secretName"].as_str()),
                        (Some("files"), Some(name))
                    );
                    assert_eq!(mounted, Some(name), "the Secret is mounted in the pods");
                    let sidecar = pod["containers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["name"] == "parliament")
                        .expect("the sidecar container");
                    assert!(
                        sidecar["volumeMounts"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|m| m["mountPath"] == "/etc/parliament/tls"),
                        "the sidecar mounts the Secret where it reads it"
                    );
                }
                None => {
                    assert_eq!(tls["mode"].as_str(), Some("disabled"));
                    assert_eq!(mounted, None);
                }
            }
            let pod_labels = &statefulset["spec"]["template"]["metadata"]["labels"];
            let selector = parliament["spec"]["selector"]["matchLabels"]
                .as_object()
                .expect("the Parliament selects by labels");
            for (key, value) in selector {
                assert_eq!(
                    &pod_labels[key], value,
                    "the Parliament's selector {key} must select the StatefulSet's pods"
                );
            }
        }

        let Some((ok, passed, output)) = kubernetes_validate(&builtin) else {
            missing("kubernetes-validate", "pip install kubernetes-validate");
            return;
        };
        assert!(
            ok,
            "kubernetes-validate rejects the chart ({set:?}):\n{output}"
        );
        assert_eq!(
            passed,
            builtin.len(),
            "kubernetes-validate passed {passed} of {} documents ({set:?}):\n{output}",
            builtin.len()
        );
    }

    // The same check on a broken Deployment must fail, or the passes above mean nothing.
    let documents = render(&helm, &[]);
    let mut deployment = documents
        .iter()
        .find(|d| kind(d) == "Deployment")
        .expect("the chart renders the operator Deployment")
        .clone();
    deployment["spec"]["replicas"] = Value::from("one");
    let (ok, _, output) = kubernetes_validate(&[&deployment]).expect("the tool ran a moment ago");
    assert!(
        !ok,
        "kubernetes-validate accepts replicas \"one\":\n{output}"
    );
}

fn announce(phase: &str) {
    eprintln!("{phase}");
}

/// (API group, resource, verb) triples a rule list grants.
fn grants(role: &Value) -> BTreeSet<(String, String, String)> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().expect("RBAC lists hold strings").to_owned())
            .collect()
    };
    let mut set = BTreeSet::new();
    for rule in role["rules"].as_array().expect("a role has rules") {
        assert!(
            rule.get("resourceNames").is_none() && rule.get("nonResourceURLs").is_none(),
            "{}: rules name whole resources only: {rule}",
            name(role)
        );
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    assert!(
                        group != "*" && resource != "*" && verb != "*",
                        "{}: no wildcards: {rule}",
                        name(role)
                    );
                    set.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    set
}

fn table(rows: &[(&str, &str, &[&str])]) -> BTreeSet<(String, String, String)> {
    rows.iter()
        .flat_map(|(group, resource, verbs)| {
            verbs.iter().map(|verb| {
                (
                    (*group).to_owned(),
                    (*resource).to_owned(),
                    (*verb).to_owned(),
                )
            })
        })
        .collect()
}

/// The calls the operator makes, read from its code. A new API call in the operator
/// needs a row here and a rule in templates/operator-rbac.yaml; a rule no code needs fails.
const OPERATOR_CALLS: &[(&str, &str, &[&str])] = &[
    // list, watch: Controller::new(parliaments) in operator/src/controller/mod.rs `run`.
    // patch: kube::runtime::finalizer (JSON patch of metadata.finalizers) in
    // operator/src/controller/reconcile.rs `reconcile`.
    ("parliament.dev", "parliaments", &["list", "watch", "patch"]),
    // patch: server-side apply of status in operator/src/controller/apply.rs `apply`.
    ("parliament.dev", "parliaments/status", &["patch"]),
    // list, watch: the pod reflector and Controller::watches in controller/mod.rs `run`.
    // patch: server-side apply of labels in controller/apply.rs `label_pod`.
    ("", "pods", &["list", "watch", "patch"]),
    // list, watch: the node reflector and Controller::watches in controller/mod.rs `run`.
    ("", "nodes", &["list", "watch"]),
    // get: get_opt in controller/observe.rs `observe`; list, watch: Controller::owns in
    // controller/mod.rs `run`; patch, and create when the apply creates the ConfigMap:
    // controller/apply.rs `publish_roster`.
    (
        "",
        "configmaps",
        &["get", "list", "watch", "create", "patch"],
    ),
    // create, patch: kube::runtime::events::Recorder::publish in controller/apply.rs `apply`.
    ("events.k8s.io", "events", &["create", "patch"]),
];

/// The calls the sidecar makes, read from its code (sidecar/kube/, parliament-sidecar-kube).
/// A new API call there needs a row here and a rule in templates/sidecar-rbac.yaml.
const SIDECAR_CALLS: &[(&str, &str, &[&str])] = &[
    // get: the fenced status write reads the Parliament first, in
    // sidecar/kube/src/publisher/status_writer.rs `StatusWriter::write`.
    ("parliament.dev", "parliaments", &["get"]),
    // patch: server-side apply of the district entry and the Prime Minister's fields in
    // status_writer.rs `StatusWriter::step`.
    ("parliament.dev", "parliaments/status", &["patch"]),
    // get (start and resync), patch (server-side apply of the role labels): its own pod, in
    // sidecar/kube/src/publisher/role_publisher.rs `sync_labels`.
    ("", "pods", &["get", "patch"]),
    // list, watch: kube-runtime's watcher of the roster ConfigMap in
    // sidecar/kube/src/roster_watch.rs `RosterWatch::run`.
    ("", "configmaps", &["list", "watch"]),
];

#[test]
fn rbac_grants_exactly_the_calls_the_code_makes() {
    let Some(helm) = helm() else { return };
    let documents = render(&helm, &[]);
    let role = |wanted_kind: &str, wanted_name: &str| {
        documents
            .iter()
            .find(|d| kind(d) == wanted_kind && name(d) == wanted_name)
            .unwrap_or_else(|| panic!("the chart renders no {wanted_kind} {wanted_name}"))
    };
    let operator = role("ClusterRole", &format!("{RELEASE}-parliament-operator"));
    assert_eq!(
        grants(operator),
        table(OPERATOR_CALLS),
        "operator ClusterRole"
    );
    let sidecar = role("Role", &format!("{RELEASE}-parliament-sidecar"));
    assert_eq!(grants(sidecar), table(SIDECAR_CALLS), "sidecar Role");
    assert_eq!(
        documents
            .iter()
            .filter(|d| kind(d) == "ClusterRole")
            .count(),
        1,
        "the sidecar gets no cluster-wide grant"
    );

    // Each binding gives its role to its own ServiceAccount.
    for (binding_kind, binding, account) in [
        (
            "ClusterRoleBinding",
            "parliament-operator",
            "parliament-operator",
        ),
        ("RoleBinding", "parliament-sidecar", "parliament-sidecar"),
    ] {
        let binding = role(binding_kind, &format!("{RELEASE}-{binding}"));
        assert_eq!(binding["subjects"][0]["kind"], "ServiceAccount");
        assert_eq!(
            binding["subjects"][0]["name"],
            format!("{RELEASE}-{account}")
        );
    }
    let deployment = role("Deployment", &format!("{RELEASE}-parliament-operator"));
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        format!("{RELEASE}-parliament-operator")
    );

    // The comparison can fail: a grant too many is caught.
    let mut wider = operator.clone();
    wider["rules"][0]["verbs"]
        .as_array_mut()
        .expect("verbs are a list")
        .push(Value::from("delete"));
    assert_ne!(grants(&wider), table(OPERATOR_CALLS));
}

#[test]
fn the_values_schema_rejects_bad_values() {
    let Some(helm) = helm() else { return };
    let chart = chart();
    let chart = chart.to_str().expect("UTF-8 path");
    for (flag, bad, field) in [
        ("--set-string", "operator.replicas=1", "/operator/replicas"),
        ("--set", "operator.replicas=2", "/operator/replicas"),
        (
            "--set-string",
            "example.replicas=three",
            "/example/replicas",
        ),
        ("--set", "sidecar.ports.api=70000", "/sidecar/ports/api"),
        (
            "--set",
            "operator.image.pullPolicy=Sometimes",
            "/operator/image/pullPolicy",
        ),
        ("--set", "operatr.replicas=1", "operatr"),
    ] {
        let output = run(&helm, &["template", RELEASE, chart, flag, bad]);
        let said = text(&output);
        assert!(!output.status.success(), "helm template accepts {bad}");
        assert!(
            said.contains("schema") && said.contains(field),
            "the rejection of {bad} names the schema and {field}:\n{said}"
        );
    }
}
