//! `RosterWatch`: the task that watches the roster ConfigMap and publishes each newer
//! roster on a `tokio::sync::watch` channel.

use std::pin::pin;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use parliament_crds::Roster;
use parliament_crds::labels::roster_config_map_name;
use tokio::sync::watch;

use crate::{Identity, RosterTracker};

/// Watches `<parliament>-roster` in the pod's namespace with kube-runtime's watcher (a
/// list, then one long watch resumed from the last resourceVersion; no polling) and sends
/// every roster newer than the last one sent. A replayed older roster, a malformed one and
/// the ConfigMap's deletion are logged and leave the last good roster in place.
///
/// Calls made: `list` and `watch` on configmaps, with the field selector
/// `metadata.name=<parliament>-roster`.
#[derive(Debug)]
pub struct RosterWatch {
    api: Api<ConfigMap>,
    name: String,
    sender: watch::Sender<Option<Roster>>,
}

impl RosterWatch {
    /// Prepares the watch of `identity`'s roster; the receiver holds `None` until the
    /// first roster arrives. Nothing happens until [`RosterWatch::run`] is awaited.
    #[must_use]
    pub fn new(
        client: Client,
        identity: &Identity,
    ) -> (RosterWatch, watch::Receiver<Option<Roster>>) {
        let (sender, receiver) = watch::channel(None);
        let watch = RosterWatch {
            api: Api::namespaced(client, &identity.namespace),
            name: roster_config_map_name(&identity.parliament),
            sender,
        };
        (watch, receiver)
    }

    /// Watches until every receiver is dropped. API errors are logged and retried with
    /// kube-runtime's default backoff (exponential, up to a few minutes between tries); the
    /// receivers keep the last good roster meanwhile.
    pub async fn run(self) {
        let config = watcher::Config::default().fields(&format!("metadata.name={}", self.name));
        let mut events = pin!(watcher(self.api, config).default_backoff());
        let mut tracker = RosterTracker::new();
        loop {
            let event = tokio::select! {
                () = self.sender.closed() => return,
                event = events.next() => event,
            };
            match event {
                // The watcher's stream does not end; if it ever does, nothing more comes.
                None => return,
                Some(Ok(
                    watcher::Event::Apply(config_map) | watcher::Event::InitApply(config_map),
                )) => {
                    if let Some(roster) = tracker.observe(&config_map) {
                        tracing::info!(config_map = %self.name, revision = roster.revision, "roster applied");
                        self.sender.send_replace(Some(roster));
                    }
                }
                Some(Ok(watcher::Event::Delete(_))) => {
                    tracing::warn!(config_map = %self.name, "the roster ConfigMap was deleted; keeping the last good roster");
                }
                Some(Ok(watcher::Event::Init | watcher::Event::InitDone)) => {}
                Some(Err(error)) => {
                    tracing::warn!(config_map = %self.name, %error, "the roster watch failed; retrying after a backoff");
                }
            }
        }
    }
}
