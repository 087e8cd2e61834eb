//! `ResourceType`: the kinds the double serves and how their URLs look.

/// One kind of object the double keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// API group, empty for the core group.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// Plural resource name in URLs.
    pub plural: &'static str,
    /// Kind of the objects.
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether writes to the object leave `.status` alone and `/status` writes only it.
    pub status_subresource: bool,
}

impl ResourceType {
    /// Every resource the double serves.
    pub const ALL: &'static [ResourceType] = &[
        ResourceType::new("", "v1", "pods", "Pod", true, true),
        ResourceType::new("", "v1", "nodes", "Node", false, true),
        ResourceType::new("", "v1", "configmaps", "ConfigMap", true, false),
        ResourceType::new("", "v1", "events", "Event", true, false),
        ResourceType::new("events.k8s.io", "v1", "events", "Event", true, false),
        ResourceType::new("coordination.k8s.io", "v1", "leases", "Lease", true, false),
        ResourceType::new(
            "parliament.dev",
            "v1alpha1",
            "parliaments",
            "Parliament",
            true,
            true,
        ),
    ];

    const fn new(
        group: &'static str,
        version: &'static str,
        plural: &'static str,
        kind: &'static str,
        namespaced: bool,
        status_subresource: bool,
    ) -> Self {
        ResourceType {
            group,
            version,
            plural,
            kind,
            namespaced,
            status_subresource,
        }
    }

    /// The resource at `group`/`version`/`plural`, if served.
    #[must_use]
    pub fn find(group: &str, version: &str, plural: &str) -> Option<ResourceType> {
        Self::ALL
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
            .copied()
    }

    /// `v1` or `group/version`, as in objects' apiVersion.
    #[must_use]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `parliaments.parliament.dev`: the key objects are stored under, and the
    /// resource name in request counts.
    #[must_use]
    pub fn id(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}
