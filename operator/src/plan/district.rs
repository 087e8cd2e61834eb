//! `PlannedDistrict`: one district as the plan sees it.

/// A district and its member pods, as planned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlannedDistrict {
    /// District name, also the value of the parliament.dev/district label.
    pub name: String,
    /// Member pod names, in name order.
    pub members: Vec<String>,
    /// How many of them are ready.
    pub ready_members: u32,
}
