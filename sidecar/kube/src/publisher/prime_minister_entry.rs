//! `PrimeMinisterEntry`: the Prime Minister's fields of the status: `primeMinister`,
//! `lords`, `session`, `committedRevision`.

use std::time::SystemTime;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use parliament_crds::ParliamentStatus;
use parliament_crds::status::{LordStatus, PrimeMinisterStatus};
use serde_json::{Value, json};

use crate::publisher::Fence;
use crate::{Error, MemberRole, Result, Roles};

/// Field manager of the Prime Minister's fields, shared by every Prime Minister in turn,
/// so that a new one's `lords` list replaces its predecessor's instead of adding to it.
pub const PRIME_MINISTER_FIELD_MANAGER: &str = "parliament-sidecar-prime-minister";

/// What the Prime Minister publishes.
#[derive(Clone, Debug, PartialEq)]
pub struct PrimeMinisterEntry {
    /// The Prime Minister's pod and district, Commons term and time in office.
    pub prime_minister: PrimeMinisterStatus,
    /// The sitting Lords, in the order the engine gave.
    pub lords: Vec<LordStatus>,
    /// The last session that committed (progress).
    pub session: u64,
    /// The global revision after it (progress).
    pub committed_revision: u64,
}

/// A time as the API stores it: whole seconds, so that a published time reads back equal.
#[must_use]
pub fn to_time(at: SystemTime) -> Time {
    let seconds = Timestamp::try_from(at).map_or(0, |t| t.as_second());
    Time(Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH))
}

impl PrimeMinisterEntry {
    /// The entry `pod` publishes for `roles`, if it is Prime Minister; `since` is used when
    /// the engine gave no time of taking office.
    #[must_use]
    pub fn of(roles: &Roles, pod: &str, since: &Time) -> Option<PrimeMinisterEntry> {
        (roles.role == MemberRole::PrimeMinister).then(|| PrimeMinisterEntry {
            prime_minister: PrimeMinisterStatus {
                pod: pod.to_owned(),
                district: roles.district.clone(),
                term: roles.commons_term,
                since: roles
                    .prime_minister_since
                    .map_or_else(|| since.clone(), to_time),
            },
            lords: roles
                .lords
                .iter()
                .map(|lord| LordStatus {
                    pod: lord.pod.clone(),
                    district: lord.district.clone(),
                    term_ends: lord.term_ends.map(to_time),
                })
                .collect(),
            session: roles.session,
            committed_revision: roles.committed_revision,
        })
    }

    /// The fields whose change is worth a write at once: who leads, in which term, since
    /// when, and who sits in the Lords.
    #[must_use]
    pub fn role_key(&self) -> (&PrimeMinisterStatus, &[LordStatus]) {
        (&self.prime_minister, &self.lords)
    }

    /// Compares with the live status. When the status already names this pod for this
    /// term, its time in office is kept (a restarted sidecar does not move it).
    pub fn fence(&mut self, status: Option<&ParliamentStatus>) -> Fence {
        let live = status.and_then(|s| s.prime_minister.as_ref());
        if let Some(live) = live
            && live.pod == self.prime_minister.pod
            && live.term == self.prime_minister.term
        {
            self.prime_minister.since = live.since.clone();
        }
        let same = status.is_some_and(|s| {
            s.prime_minister.as_ref() == Some(&self.prime_minister)
                && s.lords == self.lords
                && s.session == Some(self.session)
                && s.committed_revision == Some(self.committed_revision)
        });
        Fence::judge(
            (self.prime_minister.term, &self.prime_minister.pod),
            live.map(|l| (l.term, Some(l.pod.as_str()))),
            same,
        )
    }

    /// The status apply body, conditional on `resource_version`.
    ///
    /// # Errors
    /// [`Error::Serialise`] if the status types do not serialise (they do).
    pub fn apply_body(&self, parliament: &str, resource_version: &str) -> Result<Value> {
        Ok(json!({
            "apiVersion": "parliament.dev/v1alpha1",
            "kind": "Parliament",
            "metadata": {"name": parliament, "resourceVersion": resource_version},
            "status": {
                "primeMinister": to_json("Prime Minister status", &self.prime_minister)?,
                "lords": to_json("Lords status", &self.lords)?,
                "session": self.session,
                "committedRevision": self.committed_revision,
            },
        }))
    }
}

fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|source| Error::Serialise { what, source })
}
