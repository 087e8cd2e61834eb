//! The async shell around [`plan`](crate::plan()): a kube-runtime `Controller` over
//! Parliaments that reads the world into [`Observed`](crate::Observed), plans, and applies
//! the plan with server-side apply.
//!
//! Triggers: every Parliament change; changes of the roster ConfigMaps it owns; Pod changes,
//! mapped to the Parliaments whose selector matches the pod or whose label it carries; Node
//! changes, mapped to the Parliaments with pods on the node. The Pod and Node watches also feed
//! reflector stores, so a reconciliation reads them without calling the API server; only
//! the roster ConfigMap is read fresh (member ids must never be assigned from a stale roster).
//!
//! One operator replica is assumed: there is no leader election yet. Two replicas would
//! both write the roster; the ConfigMap's resourceVersion precondition keeps them from
//! assigning one id twice, but they would fight over Events.

mod apply;
mod context;
mod mapping;
mod observe;
mod reconcile;
mod settings;

pub use context::Context;
pub use settings::Settings;

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::runtime::{Controller, WatchStreamExt, reflector, watcher};
use kube::{Api, Client};
use parliament_crds::Parliament;
use parliament_crds::labels::PARLIAMENT;

/// Runs the operator until the client's streams end or, with `shutdown_on_signal`, until
/// SIGTERM or Ctrl-C.
pub async fn run(client: Client, settings: Settings) {
    let (parliaments, pods_api, nodes_api, config_maps) = match &settings.namespace {
        Some(ns) => (
            Api::<Parliament>::namespaced(client.clone(), ns),
            Api::<Pod>::namespaced(client.clone(), ns),
            Api::<Node>::all(client.clone()),
            Api::<ConfigMap>::namespaced(client.clone(), ns),
        ),
        None => (
            Api::<Parliament>::all(client.clone()),
            Api::<Pod>::all(client.clone()),
            Api::<Node>::all(client.clone()),
            Api::<ConfigMap>::all(client.clone()),
        ),
    };

    // Caches of pods and nodes that reconciliations read. Each cache is fed by the same
    // watch that triggers reconciliations: a reflector updates its store before it passes
    // the event on, so a reconciliation a pod change triggers always sees that change.
    // (With a second watch for the trigger, the trigger can overtake the cache, and the
    // reconciliation plans from the state before the change; nothing triggers again until
    // the resync.) This is why the operator enables kube's `unstable-runtime` feature:
    // `watches_stream` sits behind it.
    let (pods, pod_writer) = reflector::store::<Pod>();
    let (nodes, node_writer) = reflector::store::<Node>();
    let pod_feed = reflector(pod_writer, watcher(pods_api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();
    let node_feed = reflector(node_writer, watcher(nodes_api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();

    let controller = Controller::new(parliaments, watcher::Config::default());
    let store = controller.store();
    let pod_map = {
        let store = store.clone();
        move |pod: Pod| mapping::parliaments_of_pod(&store, &pod)
    };
    let node_map = {
        let (store, pods) = (store.clone(), pods.clone());
        move |node: Node| mapping::parliaments_of_node(&store, &pods, &node)
    };
    let context = Arc::new(Context::new(client, pods, nodes, settings.clone()));
    let mut controller = controller
        .owns(config_maps, watcher::Config::default().labels(PARLIAMENT))
        .watches_stream(pod_feed, pod_map)
        .watches_stream(node_feed, node_map);
    if settings.shutdown_on_signal {
        controller = controller.shutdown_on_signal();
    }
    controller
        .run(reconcile::reconcile, reconcile::error_policy, context)
        .for_each(|result| {
            match result {
                Ok((object, _)) => tracing::debug!(parliament = %object, "reconciled"),
                // A trigger for a Parliament deleted meanwhile: nothing to do.
                Err(kube::runtime::controller::Error::ObjectNotFound(object)) => {
                    tracing::debug!(parliament = %object, "gone before its reconciliation");
                }
                Err(error) => tracing::warn!(%error, "reconciliation failed"),
            }
            futures::future::ready(())
        })
        .await;
}
