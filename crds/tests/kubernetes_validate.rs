//! The generated CRD against Kubernetes' own schema for CustomResourceDefinition objects,
//! with the `kubernetes-validate` tool (`pip install kubernetes-validate`). Skips, saying
//! so, where the tool is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use parliament_crds::CRD_PATH;

/// The oldest Kubernetes release the CRD targets (k8s-openapi's v1_33 feature).
const KUBERNETES_VERSION: &str = "1.33.0";

/// Runs the tool on one file: `None` when the tool is missing, else success and its output.
fn kubernetes_validate(file: &Path) -> Option<(bool, String)> {
    let output = Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
        .arg(file)
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.success(), text))
}

#[test]
fn the_crd_is_a_valid_kubernetes_object() {
    let crd = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(CRD_PATH);
    let Some((ok, output)) = kubernetes_validate(&crd) else {
        // CI installs the tool and sets PARLIAMENT_REQUIRE_TOOLS; there a skip is a failure.
        assert!(
            std::env::var_os("PARLIAMENT_REQUIRE_TOOLS").is_none(),
            "kubernetes-validate is required (PARLIAMENT_REQUIRE_TOOLS is set) but not installed"
        );
        eprintln!(
            "SKIPPED: kubernetes-validate is not installed (pip install kubernetes-validate)"
        );
        return;
    };
    assert!(ok, "kubernetes-validate rejects {CRD_PATH}:\n{output}");
    assert!(
        output.contains("passed"),
        "kubernetes-validate did not say it passed:\n{output}"
    );

    // The same check on a broken copy must fail, or the pass above means nothing.
    let text = std::fs::read_to_string(&crd).expect("the CRD is checked in");
    let broken = text.replacen("scope: Namespaced", "scope: 7", 1);
    assert_ne!(broken, text, "the CRD has a scope to break");
    let path =
        std::env::temp_dir().join(format!("parliament-crd-broken-{}.yaml", std::process::id()));
    std::fs::write(&path, broken).expect("the temporary directory is writable");
    let result = kubernetes_validate(&path);
    let _ = std::fs::remove_file(&path);
    let (ok, output) = result.expect("the tool ran a moment ago");
    assert!(
        !ok,
        "kubernetes-validate accepts a CRD whose scope is a number:\n{output}"
    );
}
