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
}

impl PlannedEvent {
    pub(crate) fn normal(reason: &'static str, action: &'static str, note: String) -> Self {
        PlannedEvent {
            severity: EventSeverity::Normal,
            reason,
            action,
            note,
        }
    }

    pub(crate) fn warning(reason: &'static str, action: &'static str, note: String) -> Self {
        PlannedEvent {
            severity: EventSeverity::Warning,
            reason,
            action,
            note,
        }
    }
}
