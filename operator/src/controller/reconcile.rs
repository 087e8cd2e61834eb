//! One reconciliation: the finalizer, then observe, plan, apply; and the error policy.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use parliament_crds::Parliament;
use parliament_crds::labels::PARLIAMENT;

use crate::controller::Context;
use crate::controller::apply::{apply, label_pod};
use crate::controller::observe::observe;
use crate::plan::PodLabels;
use crate::{Error, FINALIZER, Result, plan};

/// Reconciles one Parliament: the finalizer is the single top-level action, with
/// apply-and-publish on the way in and label removal on the way out.
///
/// # Errors
/// Whatever observing or applying met; the error policy retries with backoff.
pub async fn reconcile(parliament: Arc<Parliament>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = parliament.namespace().ok_or(Error::MissingMetadata {
        kind: "Parliament",
        field: "metadata.namespace",
    })?;
    let key = format!("{namespace}/{}", parliament.name_any());
    let api = Api::<Parliament>::namespaced(ctx.client.clone(), &namespace);
    let action = finalizer(&api, FINALIZER, parliament, |event| async {
        match event {
            Finalizer::Apply(parliament) => reconcile_live(&parliament, &ctx).await,
            Finalizer::Cleanup(parliament) => cleanup(&parliament, &ctx).await,
        }
    })
    .await
    .map_err(|source| Error::Finalizer {
        source: Box::new(source),
    })?;
    ctx.succeeded(&key);
    Ok(action)
}

async fn reconcile_live(parliament: &Parliament, ctx: &Context) -> Result<Action> {
    let snapshot = observe(ctx, parliament).await?;
    let plan = plan(parliament, &snapshot.observed);
    tracing::debug!(
        parliament = %parliament.name_any(),
        districts = plan.districts.len(),
        roster = plan.roster.as_ref().map(|r| r.roster.revision),
        labels = plan.pod_labels.len(),
        status = plan.status_changed,
        events = plan.events.len(),
        "planned"
    );
    apply(ctx, parliament, &plan, snapshot.roster_version).await?;
    Ok(Action::requeue(ctx.settings.resync))
}

/// Takes the operator's labels off every pod that carries this Parliament's name. The
/// roster ConfigMap goes with the Parliament through its owner reference.
async fn cleanup(parliament: &Parliament, ctx: &Context) -> Result<Action> {
    ctx.pods
        .wait_until_ready()
        .await
        .map_err(|_| Error::CacheGone)?;
    let namespace = parliament.namespace().unwrap_or_default();
    let name = parliament.name_any();
    let pods = Api::<Pod>::namespaced(ctx.client.clone(), &namespace);
    let labelled: Vec<String> = ctx
        .pods
        .state()
        .iter()
        .filter(|pod| pod.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|pod| pod.labels().get(PARLIAMENT) == Some(&name))
        .map(|pod| pod.name_any())
        .collect();
    for pod in labelled {
        label_pod(
            &pods,
            &name,
            &PodLabels {
                pod,
                district: None,
            },
        )
        .await?;
    }
    tracing::info!(parliament = %name, %namespace, "dissolved: labels removed");
    Ok(Action::await_change())
}

/// Retries a failed reconciliation after 1 s, 2 s, 4 s, ... up to 5 minutes.
pub fn error_policy(parliament: Arc<Parliament>, error: &Error, ctx: Arc<Context>) -> Action {
    let key = format!(
        "{}/{}",
        parliament.namespace().unwrap_or_default(),
        parliament.name_any()
    );
    let delay = ctx.backoff(&key);
    tracing::warn!(parliament = %key, %error, kind = error.label(), retry_in = ?delay, "reconciliation failed");
    Action::requeue(delay)
}
