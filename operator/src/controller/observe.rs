//! Reading the world for one Parliament into [`Observed`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::reflector::ObjectRef;
use parliament_crds::labels::{ROSTER_KEY, roster_config_map_name};
use parliament_crds::{Parliament, Roster};

use crate::controller::Context;
use crate::controller::mapping::{concerns, selects};
use crate::{Error, NEXT_MEMBER_ID_ANNOTATION, Observed, ObservedPod, PublishedRoster, Result};

/// What was read, with the roster ConfigMap's resourceVersion for a conditional write.
#[derive(Debug)]
pub struct Snapshot {
    /// The observation to plan from.
    pub observed: Observed,
    /// resourceVersion of the roster ConfigMap, when it exists.
    pub roster_version: Option<String>,
}

/// Reads pods and nodes from the caches and the roster ConfigMap from the API server.
///
/// # Errors
/// [`Error::CacheGone`] when the caches stopped; [`Error::Kube`] when the ConfigMap cannot
/// be read; [`Error::Roster`] when it holds something that is not a roster.
pub async fn observe(ctx: &Context, parliament: &Parliament) -> Result<Snapshot> {
    // Planning from empty caches would retire every member: wait for the first lists.
    ctx.pods
        .wait_until_ready()
        .await
        .map_err(|_| Error::CacheGone)?;
    ctx.nodes
        .wait_until_ready()
        .await
        .map_err(|_| Error::CacheGone)?;
    let namespace = parliament.namespace().ok_or(Error::MissingMetadata {
        kind: "Parliament",
        field: "metadata.namespace",
    })?;

    let pods: Vec<ObservedPod> = ctx
        .pods
        .state()
        .iter()
        .filter(|pod| concerns(parliament, pod))
        .map(|pod| observed_pod(pod, selects(parliament, pod), &namespace))
        .collect();
    let nodes: BTreeMap<String, BTreeMap<String, String>> = pods
        .iter()
        .filter_map(|pod| pod.node.as_deref())
        .filter_map(|name| {
            ctx.nodes
                .get(&ObjectRef::new(name))
                .map(|node| (name.to_owned(), node.labels().clone()))
        })
        .collect();

    let name = roster_config_map_name(&parliament.name_any());
    let config_maps = Api::<ConfigMap>::namespaced(ctx.client.clone(), &namespace);
    let config_map = config_maps
        .get_opt(&name)
        .await
        .map_err(Error::kube(format!("reading ConfigMap {namespace}/{name}")))?;
    let roster_version = config_map.as_ref().and_then(|cm| cm.resource_version());
    let roster = match config_map {
        None => None,
        Some(cm) => published_roster(&cm).map_err(|source| Error::Roster {
            config_map: format!("{namespace}/{name}"),
            source,
        })?,
    };
    Ok(Snapshot {
        observed: Observed {
            now: Time(Timestamp::now()),
            pods,
            nodes,
            roster,
        },
        roster_version,
    })
}

/// The roster in a ConfigMap; `None` when the ConfigMap has no roster key yet.
fn published_roster(cm: &ConfigMap) -> parliament_crds::Result<Option<PublishedRoster>> {
    let Some(text) = cm.data.as_ref().and_then(|d| d.get(ROSTER_KEY)) else {
        return Ok(None);
    };
    let roster = Roster::from_json(text)?;
    let next_member_id = cm
        .annotations()
        .get(NEXT_MEMBER_ID_ANNOTATION)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok(Some(PublishedRoster {
        roster,
        next_member_id,
    }))
}

/// The facts planning needs about a pod.
#[must_use]
pub fn observed_pod(pod: &Pod, selected: bool, namespace: &str) -> ObservedPod {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let finished = status
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|phase| phase == "Succeeded" || phase == "Failed");
    let dns = spec.and_then(|s| match (&s.hostname, &s.subdomain) {
        (Some(host), Some(sub)) => Some(format!("{host}.{sub}.{namespace}.svc")),
        _ => None,
    });
    ObservedPod {
        name: pod.name_any(),
        uid: pod.uid().unwrap_or_default(),
        node: spec.and_then(|s| s.node_name.clone()),
        ip: status.and_then(|s| s.pod_ip.clone()),
        dns,
        ready,
        labels: pod.labels().clone(),
        deleting: pod.metadata.deletion_timestamp.is_some(),
        finished,
        selected,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn pods_are_read_into_plain_facts() {
        let running = pod(json!({
            "metadata": {"name": "web-0", "uid": "u0", "labels": {"app": "web"}},
            "spec": {"nodeName": "n-a", "hostname": "web-0", "subdomain": "web", "containers": []},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "conditions": [{"type": "Ready", "status": "True"}]},
        }));
        let seen = observed_pod(&running, true, "shop");
        assert_eq!(
            (
                seen.name.as_str(),
                seen.uid.as_str(),
                seen.node.as_deref(),
                seen.ip.as_deref()
            ),
            ("web-0", "u0", Some("n-a"), Some("10.0.0.1"))
        );
        assert_eq!(seen.dns.as_deref(), Some("web-0.web.shop.svc"));
        assert!(seen.ready && seen.selected && !seen.deleting && !seen.finished);

        let failed = pod(json!({
            "metadata": {"name": "web-1", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Failed", "conditions": [{"type": "Ready", "status": "False"}]},
        }));
        let seen = observed_pod(&failed, false, "shop");
        assert!(!seen.ready && seen.deleting && seen.finished && !seen.selected);
        assert_eq!((seen.node, seen.ip, seen.dns), (None, None, None));
    }
}
