//! `RolePublisher`: the task that turns this member's roles into pod labels and status
//! entries, writing only when they change, plus a bounded resync.

use std::time::SystemTime;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use parliament_crds::Parliament;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::publisher::{
    DistrictEntry, LABEL_FIELD_MANAGER, PodLabels, PrimeMinisterEntry, PublishedRoles,
    PublisherSettings, StatusWriter, to_time,
};
use crate::{Backoff, Error, Identity, Result, Roles};

/// Publishes one member's roles. Calls made:
/// - `patch` on its own pod (server-side apply of `parliament.dev/role` and
///   `parliament.dev/lord` as [`LABEL_FIELD_MANAGER`]) when its labels change;
/// - `get` on its own pod at start and at every resync, to repair labels someone changed;
/// - for a representative or Prime Minister, `get` on the Parliament and `patch` on
///   `parliaments/status` (fenced: see [`StatusWriter`]) when its entries change and at
///   every resync.
///
/// A member that is neither makes no status call at all, and nobody polls for
/// leadership: roles come from the engine on the watch channel.
#[derive(Debug)]
pub struct RolePublisher {
    pods: Api<Pod>,
    status: StatusWriter,
    identity: Identity,
    roles: watch::Receiver<Roles>,
    settings: PublisherSettings,
    known: Known,
    done: watch::Sender<PublishedRoles>,
}

/// What the API server is known to hold, from this publisher's writes and reads.
#[derive(Debug, Default)]
struct Known {
    labels: Option<PodLabels>,
    district: Option<DistrictEntry>,
    prime_minister: Option<PrimeMinisterEntry>,
    /// When this pod first published itself as Prime Minister of a Commons term.
    in_office: Option<(u64, Time)>,
}

/// Why the publisher syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sync {
    /// Roles changed: write what differs from what was published.
    Change,
    /// Start or resync: compare with what the API server holds, repair what differs, and
    /// publish progress fields.
    Resync,
}

impl RolePublisher {
    /// A publisher for `identity`'s pod and Parliament, fed by `roles`, with the default
    /// [`PublisherSettings`].
    #[must_use]
    pub fn new(client: Client, identity: Identity, roles: watch::Receiver<Roles>) -> RolePublisher {
        let settings = PublisherSettings::default();
        RolePublisher {
            pods: Api::namespaced(client.clone(), &identity.namespace),
            status: StatusWriter::new(
                Api::<Parliament>::namespaced(client, &identity.namespace),
                &identity.namespace,
                &identity.parliament,
                settings.conflict_attempts,
            ),
            identity,
            roles,
            settings,
            known: Known::default(),
            done: watch::channel(PublishedRoles::default()).0,
        }
    }

    /// The same publisher with other timings.
    #[must_use]
    pub fn with_settings(mut self, settings: PublisherSettings) -> RolePublisher {
        self.settings = settings;
        self.status = StatusWriter::new(
            self.status_api(),
            &self.identity.namespace,
            &self.identity.parliament,
            settings.conflict_attempts,
        );
        self
    }

    /// What has been published so far: a channel that changes after every completed sync.
    #[must_use]
    pub fn published(&self) -> watch::Receiver<PublishedRoles> {
        self.done.subscribe()
    }

    fn status_api(&self) -> Api<Parliament> {
        Api::namespaced(self.pods.clone().into_client(), &self.identity.namespace)
    }

    /// Publishes until the sender of the roles channel is dropped: once at start (as a
    /// resync), then whenever the roles change, and every `resync`. A failed sync is
    /// retried after a backoff (doubling from `backoff_min` to `backoff_max`); role changes
    /// meanwhile wait for the retry, which publishes the newest roles.
    pub async fn run(mut self) {
        let mut backoff = Backoff::new(self.settings.backoff_min, self.settings.backoff_max);
        let mut pending = Some(Sync::Resync);
        let mut retry_at: Option<Instant> = None;
        let mut next_resync = Instant::now() + self.settings.resync;
        loop {
            if let Some(kind) = pending
                && retry_at.is_none_or(|at| at <= Instant::now())
            {
                let roles = self.roles.borrow_and_update().clone();
                if kind == Sync::Resync {
                    next_resync = Instant::now() + self.settings.resync;
                }
                match self.sync(&roles, kind).await {
                    Ok(()) => {
                        self.done.send_modify(|done| {
                            done.syncs += 1;
                            done.roles = Some(roles);
                        });
                        backoff.reset();
                        pending = None;
                        retry_at = None;
                    }
                    Err(error) => {
                        let delay = backoff.next_delay();
                        tracing::warn!(
                            pod = %self.identity.pod,
                            %error,
                            error_kind = error.label(),
                            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            "publishing roles failed; retrying after a backoff"
                        );
                        retry_at = Some(Instant::now() + delay);
                    }
                }
                continue;
            }
            tokio::select! {
                changed = self.roles.changed() => {
                    if changed.is_err() {
                        tracing::debug!(pod = %self.identity.pod, "the roles channel closed; the publisher stops");
                        return;
                    }
                    pending = pending.max(Some(Sync::Change));
                }
                () = tokio::time::sleep_until(next_resync) => pending = Some(Sync::Resync),
                () = sleep_until_some(retry_at) => {}
            }
        }
    }

    async fn sync(&mut self, roles: &Roles, kind: Sync) -> Result<()> {
        self.sync_labels(roles, kind).await?;
        let district = DistrictEntry::of(roles, &self.identity.pod);
        let since = self.in_office_since(roles);
        let mut prime_minister = PrimeMinisterEntry::of(roles, &self.identity.pod, &since);
        let write_district = district.as_ref().filter(|entry| {
            kind == Sync::Resync
                || self.known.district.as_ref().map(DistrictEntry::role_key)
                    != Some(entry.role_key())
        });
        let write_prime_minister = prime_minister.as_mut().filter(|entry| {
            kind == Sync::Resync
                || self
                    .known
                    .prime_minister
                    .as_ref()
                    .map(PrimeMinisterEntry::role_key)
                    != Some(entry.role_key())
        });
        if write_district.is_none() && write_prime_minister.is_none() {
            return Ok(());
        }
        let district_written = write_district.cloned();
        let mut prime_minister_written = None;
        match write_prime_minister {
            Some(entry) => {
                self.status.write(write_district, Some(&mut *entry)).await?;
                prime_minister_written = Some(entry.clone());
            }
            None => self.status.write(write_district, None).await?,
        }
        if district_written.is_some() {
            self.known.district = district_written;
        }
        if let Some(entry) = prime_minister_written {
            self.known.in_office = Some((
                entry.prime_minister.term,
                entry.prime_minister.since.clone(),
            ));
            self.known.prime_minister = Some(entry);
        }
        Ok(())
    }

    async fn sync_labels(&mut self, roles: &Roles, kind: Sync) -> Result<()> {
        let wanted = PodLabels::of(roles);
        let pod = &self.identity.pod;
        let namespace = &self.identity.namespace;
        if kind == Sync::Resync {
            let live = self
                .pods
                .get(pod)
                .await
                .map_err(Error::kube(format!("reading pod {namespace}/{pod}")))?;
            let labels = live.metadata.labels.unwrap_or_default();
            if wanted.shown_by(&labels) {
                self.known.labels = Some(wanted);
                return Ok(());
            }
        } else if self.known.labels == Some(wanted) {
            return Ok(());
        }
        let params = PatchParams::apply(LABEL_FIELD_MANAGER).force();
        self.pods
            .patch(pod, &params, &Patch::Apply(wanted.apply_body(pod)))
            .await
            .map_err(Error::kube(format!("labelling pod {namespace}/{pod}")))?;
        tracing::info!(pod = %pod, role = wanted.role.label(), lord = wanted.lord, "pod labels published");
        self.known.labels = Some(wanted);
        Ok(())
    }

    /// The time to publish as taking office: the one already stamped for this Commons
    /// term, or now.
    fn in_office_since(&self, roles: &Roles) -> Time {
        match &self.known.in_office {
            Some((term, since)) if *term == roles.commons_term => since.clone(),
            _ => to_time(SystemTime::now()),
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
