//! `PlannedEvent`: a Kubernetes Event the plan asks for, about the Parliament.

/// Severity of a planned Event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventSeverity {
    /// Something happened as it should.
    Normal,
    /// Something needs a person's attention.
    Warning,
}

/// An Event to publish, regarding the Parliament.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedEvent {
    /// Normal or Warning.
    pub severity: EventSeverity,
    /// PascalCase reason, such as `MemberJoined`.
    pub reason: &'static str,
    /// PascalCase action the operator took, such as `PublishRoster`.
    pub action: &'static str,
    /// What happened, for people: names the pod, district or field.
    pub note: String,
    /// The pod the Event is about, published as its related object. kube's `Recorder`
    /// folds Events with the same reason and related object into one series (keeping the
    /// first note), so per-pod Events need it to stay apart.
    pub pod: Option<String>,
}

impl PlannedEvent {
    pub(crate) fn normal(reason: &'static str, action: &'static str, note: String) -> Self {
        PlannedEvent {
            severity: EventSeverity::Normal,
            reason,
            action,
            note,
            pod: None,
        }
    }

    pub(crate) fn warning(reason: &'static str, action: &'static str, note: String) -> Self {
        PlannedEvent {
            severity: EventSeverity::Warning,
            reason,
            action,
            note,
            pod: None,
        }
    }

    pub(crate) fn about_pod(mut self, pod: &str) -> Self {
        self.pod = Some(pod.to_owned());
        self
    }
}
