//! `PodLabels`: the operator's labels one pod should carry, when they must change.

/// The labels the operator owns on one pod: parliament.dev/district and
/// parliament.dev/parliament. The plan lists a pod only when its labels must change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodLabels {
    /// Pod name.
    pub pod: String,
    /// The district to label the pod with, or `None` to take the operator's labels off.
    pub district: Option<String>,
}
