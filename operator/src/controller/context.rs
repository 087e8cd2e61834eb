//! `Context`: what every reconciliation shares: the client, the caches, the Event
//! recorder and the failure counts that set the retry backoff.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::Store;

use crate::FIELD_MANAGER;
use crate::controller::Settings;

/// Shared by all reconciliations.
#[derive(Clone)]
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Pods, kept current by a watch.
    pub pods: Store<Pod>,
    /// Nodes, kept current by a watch.
    pub nodes: Store<Node>,
    /// Publishes Events as `parliament-operator`.
    pub recorder: Recorder,
    /// How the operator runs.
    pub settings: Settings,
    failures: std::sync::Arc<Mutex<HashMap<String, u32>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for `client` and the caches.
    #[must_use]
    pub fn new(client: Client, pods: Store<Pod>, nodes: Store<Node>, settings: Settings) -> Self {
        let reporter = Reporter {
            controller: FIELD_MANAGER.to_owned(),
            instance: settings.instance.clone(),
        };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            pods,
            nodes,
            settings,
            failures: std::sync::Arc::default(),
        }
    }

    /// Records a failure of `key`'s reconciliation and returns how long to wait before
    /// the next try: 1 s, 2 s, 4 s, ... up to 5 minutes.
    pub fn backoff(&self, key: &str) -> Duration {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = failures.entry(key.to_owned()).or_default();
        *count = count.saturating_add(1);
        let seconds = 1_u64 << (*count - 1).min(8);
        Duration::from_secs(seconds.min(300))
    }

    /// Forgets `key`'s failures after a success.
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}
