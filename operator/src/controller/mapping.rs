//! Which Parliaments a Pod or Node change concerns.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::ResourceExt;
use kube::core::{Selector, SelectorExt};
use kube::runtime::reflector::{ObjectRef, Store};
use parliament_crds::Parliament;
use parliament_crds::labels::PARLIAMENT;

/// Whether `parliament` selects `pod`, or the pod still carries its label.
#[must_use]
pub fn concerns(parliament: &Parliament, pod: &Pod) -> bool {
    if parliament.namespace() != pod.namespace() {
        return false;
    }
    selects(parliament, pod) || pod.labels().get(PARLIAMENT) == Some(&parliament.name_any())
}

/// Whether spec.selector matches the pod's labels. An unusable selector selects nothing:
/// validation reports it.
#[must_use]
pub fn selects(parliament: &Parliament, pod: &Pod) -> bool {
    Selector::try_from(parliament.spec.selector.clone())
        .is_ok_and(|s| !s.selects_all() && s.matches(pod.labels()))
}

/// The Parliaments a pod change concerns.
pub fn parliaments_of_pod(
    parliaments: &Store<Parliament>,
    pod: &Pod,
) -> Vec<ObjectRef<Parliament>> {
    parliaments
        .state()
        .iter()
        .filter(|p| concerns(p, pod))
        .map(|p| ObjectRef::from(p.as_ref()))
        .collect()
}

/// The Parliaments with pods on a node, for a node change (its labels place them).
pub fn parliaments_of_node(
    parliaments: &Store<Parliament>,
    pods: &Store<Pod>,
    node: &Node,
) -> Vec<ObjectRef<Parliament>> {
    let name = node.name_any();
    let on_node: Vec<_> = pods
        .state()
        .into_iter()
        .filter(|pod| pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str()))
        .collect();
    let refs: BTreeSet<(String, String)> = parliaments
        .state()
        .iter()
        .filter(|p| on_node.iter().any(|pod| concerns(p, pod)))
        .map(|p| (p.namespace().unwrap_or_default(), p.name_any()))
        .collect();
    refs.into_iter()
        .map(|(ns, name)| ObjectRef::new(&name).within(&ns))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn from<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
        match serde_json::from_value(value) {
            Ok(object) => object,
            Err(error) => panic!("test object does not parse: {error}"),
        }
    }

    #[test]
    fn a_pod_concerns_the_parliaments_that_select_or_labelled_it() {
        let parliament = |selector: serde_json::Value| -> Parliament {
            from(json!({
                "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"selector": selector},
            }))
        };
        let pod = |ns: &str, labels: serde_json::Value| -> Pod {
            from(json!({"metadata": {"name": "p", "namespace": ns, "labels": labels}}))
        };
        let web = parliament(json!({"matchLabels": {"app": "web"}}));
        let everything = parliament(json!({}));
        let cases = [
            ("selected", &web, pod("shop", json!({"app": "web"})), true),
            (
                "other labels",
                &web,
                pod("shop", json!({"app": "db"})),
                false,
            ),
            (
                "other namespace",
                &web,
                pod("else", json!({"app": "web"})),
                false,
            ),
            (
                "still labelled",
                &web,
                pod("shop", json!({PARLIAMENT: "web"})),
                true,
            ),
            (
                "an empty selector selects nothing",
                &everything,
                pod("shop", json!({"app": "web"})),
                false,
            ),
        ];
        for (case, parliament, pod, want) in cases {
            assert_eq!(concerns(parliament, &pod), want, "{case}");
        }
    }
}
