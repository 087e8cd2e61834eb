//! Applying a [`Plan`]: roster, pod labels, status, Events, in that order, each write by
//! server-side apply as `parliament-operator`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use parliament_crds::Parliament;
use parliament_crds::labels::{DISTRICT, PARLIAMENT, ROSTER_KEY, roster_config_map_name};
use serde_json::json;

use crate::controller::Context;
use crate::plan::{EventSeverity, PodLabels};
use crate::{Error, FIELD_MANAGER, NEXT_MEMBER_ID_ANNOTATION, Plan, PublishedRoster, Result};

fn apply_params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

/// Carries out `plan` for `parliament`.
///
/// # Errors
/// [`Error::Kube`] naming the write that failed; the next try re-plans from scratch.
pub async fn apply(
    ctx: &Context,
    parliament: &Parliament,
    plan: &Plan,
    roster_version: Option<String>,
) -> Result<()> {
    let namespace = parliament.namespace().unwrap_or_default();
    let name = parliament.name_any();
    if let Some(roster) = &plan.roster {
        publish_roster(ctx, parliament, roster, roster_version).await?;
    }
    let pods = Api::<Pod>::namespaced(ctx.client.clone(), &namespace);
    for labels in &plan.pod_labels {
        label_pod(&pods, &name, labels).await?;
    }
    if plan.status_changed {
        let api = Api::<Parliament>::namespaced(ctx.client.clone(), &namespace);
        let body = json!({
            "apiVersion": Parliament::api_version(&()),
            "kind": Parliament::kind(&()),
            "metadata": {"name": name},
            "status": plan.status.to_apply_json(),
        });
        api.patch_status(&name, &apply_params(), &Patch::Apply(&body))
            .await
            .map_err(Error::kube(format!(
                "writing the status of Parliament {namespace}/{name}"
            )))?;
    }
    let reference = parliament.object_ref(&());
    for planned in &plan.events {
        let event = Event {
            type_: match planned.severity {
                EventSeverity::Normal => EventType::Normal,
                EventSeverity::Warning => EventType::Warning,
            },
            reason: planned.reason.to_owned(),
            note: Some(planned.note.clone()),
            action: planned.action.to_owned(),
            secondary: planned.pod.as_ref().map(|pod| ObjectReference {
                api_version: Some("v1".to_owned()),
                kind: Some("Pod".to_owned()),
                name: Some(pod.clone()),
                namespace: Some(namespace.clone()),
                ..ObjectReference::default()
            }),
        };
        // An Event that cannot be published is not worth failing the reconciliation for.
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::warn!(%error, reason = planned.reason, parliament = %name, "cannot publish an Event");
        }
    }
    Ok(())
}

/// Writes the roster ConfigMap, owned by the Parliament. The write is conditional on the
/// resourceVersion the roster was read at, so ids are never assigned from a stale roster.
async fn publish_roster(
    ctx: &Context,
    parliament: &Parliament,
    published: &PublishedRoster,
    roster_version: Option<String>,
) -> Result<()> {
    let namespace = parliament.namespace().unwrap_or_default();
    let name = roster_config_map_name(&parliament.name_any());
    let json = published.roster.to_json().map_err(|source| Error::Roster {
        config_map: format!("{namespace}/{name}"),
        source,
    })?;
    let config_map = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            labels: Some(BTreeMap::from([(
                PARLIAMENT.to_owned(),
                parliament.name_any(),
            )])),
            annotations: Some(BTreeMap::from([(
                NEXT_MEMBER_ID_ANNOTATION.to_owned(),
                published.next_member_id.to_string(),
            )])),
            owner_references: parliament.controller_owner_ref(&()).map(|r| vec![r]),
            resource_version: roster_version,
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(ROSTER_KEY.to_owned(), json)])),
        ..ConfigMap::default()
    };
    Api::<ConfigMap>::namespaced(ctx.client.clone(), &namespace)
        .patch(&name, &apply_params(), &Patch::Apply(&config_map))
        .await
        .map_err(Error::kube(format!(
            "publishing the roster in ConfigMap {namespace}/{name}"
        )))?;
    Ok(())
}

/// Sets (or, with no district, takes off) the operator's labels on one pod. Applying an
/// empty label set removes the labels this field manager applied before.
pub async fn label_pod(pods: &Api<Pod>, parliament: &str, labels: &PodLabels) -> Result<()> {
    let mut set = serde_json::Map::new();
    if let Some(district) = &labels.district {
        set.insert(DISTRICT.to_owned(), json!(district));
        set.insert(PARLIAMENT.to_owned(), json!(parliament));
    }
    let body = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": labels.pod, "labels": set},
    });
    match pods
        .patch(&labels.pod, &apply_params(), &Patch::Apply(&body))
        .await
    {
        Ok(_) => Ok(()),
        // The pod went away meanwhile: nothing left to label.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::Kube {
            action: format!("labelling pod {}", labels.pod),
            source,
        }),
    }
}
