//! `StatusWriter`: fenced writes of a leader's entries into the Parliament status.
//!
//! Read, compare, write: GET the Parliament, judge each entry against the live status
//! ([`Fence`]), and server-side apply the ones to write with the resourceVersion just read
//! in the body, which the API server takes as a precondition (kubernetes/kubernetes#63104:
//! the patched object's resourceVersion guards the update). Another writer in between
//! makes the apply fail with 409 Conflict; the round starts again from a fresh read, so a
//! deposed leader that read before its successor wrote still sees the newer term before
//! anything of its own lands.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use parliament_crds::Parliament;
use serde_json::Value;

use crate::publisher::{DistrictEntry, Fence, PRIME_MINISTER_FIELD_MANAGER, PrimeMinisterEntry};
use crate::{Error, Result};

/// Writes one Parliament's status on behalf of one member.
#[derive(Debug)]
pub struct StatusWriter {
    api: Api<Parliament>,
    namespace: String,
    name: String,
    attempts: u32,
}

/// What happened to an entry.
enum Step {
    Done,
    Conflict,
}

impl StatusWriter {
    /// A writer for Parliament `namespace/name` that gives up after `attempts` rounds lost
    /// to other writers.
    #[must_use]
    pub fn new(api: Api<Parliament>, namespace: &str, name: &str, attempts: u32) -> StatusWriter {
        StatusWriter {
            api,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            attempts: attempts.max(1),
        }
    }

    /// Publishes `district` and `prime_minister` (either may be absent), each only if the
    /// live status holds an older term of it or different content.
    ///
    /// # Errors
    /// [`Error::Kube`] when a read or write fails for another reason than a conflict;
    /// [`Error::Contended`] when every round lost to another writer.
    pub async fn write(
        &self,
        district: Option<&DistrictEntry>,
        mut prime_minister: Option<&mut PrimeMinisterEntry>,
    ) -> Result<()> {
        for _ in 0..self.attempts {
            let mut live = self.api.get(&self.name).await.map_err(Error::kube(format!(
                "reading Parliament {}/{}",
                self.namespace, self.name
            )))?;
            if let Some(entry) = district {
                let fence = entry.fence(live.status.as_ref());
                let body =
                    entry.apply_body(&self.name, &live.resource_version().unwrap_or_default());
                match self
                    .step(
                        fence,
                        &entry.field_manager(),
                        &body,
                        "district entry",
                        &mut live,
                    )
                    .await?
                {
                    Step::Done => {}
                    Step::Conflict => continue,
                }
            }
            if let Some(entry) = prime_minister.as_deref_mut() {
                let fence = entry.fence(live.status.as_ref());
                let body =
                    entry.apply_body(&self.name, &live.resource_version().unwrap_or_default())?;
                match self
                    .step(
                        fence,
                        PRIME_MINISTER_FIELD_MANAGER,
                        &body,
                        "Prime Minister fields",
                        &mut live,
                    )
                    .await?
                {
                    Step::Done => {}
                    Step::Conflict => continue,
                }
            }
            return Ok(());
        }
        Err(Error::Contended {
            parliament: format!("{}/{}", self.namespace, self.name),
            attempts: self.attempts,
        })
    }

    /// Writes one entry if the fence allows; `live` becomes the object the write returned,
    /// so a second entry is judged against the newest status and guarded by its version.
    async fn step(
        &self,
        fence: Fence,
        manager: &str,
        body: &Value,
        what: &'static str,
        live: &mut Parliament,
    ) -> Result<Step> {
        match fence {
            Fence::Same => Ok(Step::Done),
            Fence::Stale {
                live_term,
                live_holder,
            } => {
                tracing::info!(
                    parliament = %self.name,
                    what,
                    live_term,
                    live_holder = live_holder.as_deref().unwrap_or(""),
                    "the status holds a newer term; not overwriting it"
                );
                Ok(Step::Done)
            }
            Fence::Write => {
                let params = PatchParams::apply(manager).force();
                match self
                    .api
                    .patch_status(&self.name, &params, &Patch::Apply(body))
                    .await
                {
                    Ok(written) => {
                        tracing::info!(parliament = %self.name, what, "status published");
                        *live = written;
                        Ok(Step::Done)
                    }
                    Err(kube::Error::Api(status)) if status.is_conflict() => {
                        tracing::debug!(parliament = %self.name, what, "the status changed since it was read; reading it again");
                        Ok(Step::Conflict)
                    }
                    Err(source) => Err(Error::Kube {
                        action: format!(
                            "publishing the {what} to Parliament {}/{}",
                            self.namespace, self.name
                        ),
                        source,
                    }),
                }
            }
        }
    }
}
