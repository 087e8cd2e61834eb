//! `PodLabels`: the role labels a sidecar puts on its own pod.

use std::collections::BTreeMap;

use parliament_crds::labels::{LORD, LORD_TRUE, ROLE};
use serde_json::{Value, json};

use crate::{MemberRole, Roles};

/// Field manager of the sidecar's pod labels. It owns `parliament.dev/role` and
/// `parliament.dev/lord` and nothing else; the operator's `parliament.dev/district` and
/// `parliament.dev/parliament` are its own manager's.
pub const LABEL_FIELD_MANAGER: &str = "parliament-sidecar";

/// The labels that say a member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodLabels {
    /// Value of `parliament.dev/role`.
    pub role: MemberRole,
    /// Whether `parliament.dev/lord=true` is set; otherwise the label is absent.
    pub lord: bool,
}

impl PodLabels {
    /// The labels for `roles`.
    #[must_use]
    pub fn of(roles: &Roles) -> PodLabels {
        PodLabels {
            role: roles.role,
            lord: roles.lord,
        }
    }

    /// Whether a pod's live labels already say this.
    #[must_use]
    pub fn shown_by(&self, labels: &BTreeMap<String, String>) -> bool {
        labels.get(ROLE).map(String::as_str) == Some(self.role.label())
            && labels.get(LORD).is_some_and(|v| v == LORD_TRUE) == self.lord
    }

    /// The apply body for pod `pod`. A non-Lord applies no `lord` label, which removes the
    /// one this manager applied before.
    #[must_use]
    pub fn apply_body(&self, pod: &str) -> Value {
        let mut labels = serde_json::Map::new();
        labels.insert(ROLE.to_owned(), json!(self.role.label()));
        if self.lord {
            labels.insert(LORD.to_owned(), json!(LORD_TRUE));
        }
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod, "labels": labels},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_the_role_and_lordship() {
        let cases = [
            (
                MemberRole::PrimeMinister,
                true,
                "prime-minister",
                Some("true"),
            ),
            (MemberRole::Representative, false, "representative", None),
            (MemberRole::Member, true, "member", Some("true")),
            (MemberRole::Member, false, "member", None),
        ];
        for (role, lord, role_label, lord_label) in cases {
            let labels = PodLabels { role, lord };
            let body = labels.apply_body("web-0");
            assert_eq!(body["metadata"]["labels"][ROLE], role_label);
            assert_eq!(
                body["metadata"]["labels"].get(LORD).and_then(Value::as_str),
                lord_label
            );
            let live: BTreeMap<String, String> =
                serde_json::from_value(body["metadata"]["labels"].clone())
                    .expect("labels are strings");
            assert!(labels.shown_by(&live), "{labels:?}");
            let other = PodLabels { role, lord: !lord };
            assert!(!other.shown_by(&live), "{other:?}");
        }
    }
}
