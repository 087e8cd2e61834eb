//! The crate's error type.

/// Everything that can go wrong while reconciling a Parliament.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the API server failed.
    #[error("kubernetes api call failed while {action}: {source}")]
    Kube {
        /// What the operator was doing, such as "publishing the roster of shop/web".
        action: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// The roster ConfigMap holds something that is not a roster. The operator does not
    /// overwrite it, since member ids could be reused; delete the ConfigMap to start over.
    #[error(
        "the roster in ConfigMap {config_map} cannot be read: {source}; delete the ConfigMap to let the operator publish a new roster"
    )]
    Roster {
        /// Namespace and name of the ConfigMap.
        config_map: String,
        /// Why it cannot be read.
        #[source]
        source: parliament_crds::Error,
    },
    /// An object came without the metadata the operator needs.
    #[error("the {kind} has no {field}")]
    MissingMetadata {
        /// Kind of the object.
        kind: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The caches of pods and nodes stopped being fed.
    #[error("the pod and node caches are gone: the watchers stopped")]
    CacheGone,
    /// Adding or removing the finalizer, or the cleanup behind it, failed.
    #[error("finalizer step failed: {source}")]
    Finalizer {
        /// What failed.
        #[source]
        source: Box<kube::runtime::finalizer::Error<Error>>,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A failed API call, saying what the operator was doing.
    pub(crate) fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let action = action.into();
        move |source| Error::Kube { action, source }
    }

    /// A short name for metrics and logs.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Error::Kube { .. } => "kube",
            Error::Roster { .. } => "roster",
            Error::MissingMetadata { .. } => "missing_metadata",
            Error::CacheGone => "cache_gone",
            Error::Finalizer { .. } => "finalizer",
        }
    }
}
