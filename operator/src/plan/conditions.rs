//! `Conditions`: the Ready, Degraded and InvalidSpec conditions the operator sets.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use parliament_crds::status::{CONDITION_DEGRADED, CONDITION_INVALID_SPEC, CONDITION_READY};
use parliament_crds::{ParliamentStatus, SpecError};

/// Builds conditions that keep their lastTransitionTime while their status stays, per the
/// Kubernetes API conventions.
#[derive(Debug)]
pub struct Conditions<'a> {
    live: Option<&'a ParliamentStatus>,
    generation: i64,
    now: &'a Time,
    built: Vec<Condition>,
}

/// Why a Parliament is not ready, or how it is degraded: a reason and a message.
pub type Finding = (&'static str, String);

impl<'a> Conditions<'a> {
    /// Conditions for the spec at `generation`, compared with the live status.
    #[must_use]
    pub fn new(live: Option<&'a ParliamentStatus>, generation: i64, now: &'a Time) -> Self {
        Conditions {
            live,
            generation,
            now,
            built: Vec::new(),
        }
    }

    /// InvalidSpec: true with every problem (field, value, fix), or false.
    pub fn invalid_spec(&mut self, errors: &[SpecError]) -> &mut Self {
        if errors.is_empty() {
            self.set(
                CONDITION_INVALID_SPEC,
                "False",
                "SpecAccepted",
                "the spec passed validation".to_owned(),
            )
        } else {
            self.set(
                CONDITION_INVALID_SPEC,
                "True",
                "InvalidField",
                SpecError::summary(errors),
            )
        }
    }

    /// Ready: true when `blocker` is `None`.
    pub fn ready(&mut self, blocker: Option<Finding>, ready_message: String) -> &mut Self {
        match blocker {
            Some((reason, message)) => self.set(CONDITION_READY, "False", reason, message),
            None => self.set(CONDITION_READY, "True", "Convened", ready_message),
        }
    }

    /// Degraded: true with the first finding's reason and every finding's message.
    pub fn degraded(&mut self, findings: &[Finding]) -> &mut Self {
        match findings.first() {
            None => self.set(
                CONDITION_DEGRADED,
                "False",
                "AllMembersPlaced",
                "every selected pod belongs to a district and every district has members"
                    .to_owned(),
            ),
            Some((reason, _)) => {
                let message = findings
                    .iter()
                    .map(|(_, message)| message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                self.set(CONDITION_DEGRADED, "True", reason, message)
            }
        }
    }

    /// Degraded is unknown while the spec is rejected: nothing was computed from it.
    pub fn degraded_unknown(&mut self) -> &mut Self {
        self.set(
            CONDITION_DEGRADED,
            "Unknown",
            "InvalidSpec",
            "the spec was rejected, so districts were not recomputed; see the InvalidSpec condition".to_owned(),
        )
    }

    /// The conditions built, in the order they were set.
    #[must_use]
    pub fn take(&mut self) -> Vec<Condition> {
        std::mem::take(&mut self.built)
    }

    fn set(&mut self, type_: &str, status: &str, reason: &str, message: String) -> &mut Self {
        let last_transition_time = self
            .live
            .and_then(|live| live.condition(type_))
            .filter(|c| c.status == status)
            .map_or_else(|| self.now.clone(), |c| c.last_transition_time.clone());
        self.built.push(Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: reason.to_owned(),
            message,
            observed_generation: Some(self.generation),
            last_transition_time,
        });
        self
    }
}
