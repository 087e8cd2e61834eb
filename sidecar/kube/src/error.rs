//! The crate's error type.

/// Everything that can go wrong on the sidecar's Kubernetes side.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A downward-API variable the pod spec must set is absent or empty.
    #[error("environment variable {name} is not set; set it in the pod spec ({hint})")]
    MissingEnv {
        /// The variable, such as `POD_NAME`.
        name: &'static str,
        /// Where its value comes from, such as `fieldRef: metadata.name`.
        hint: &'static str,
    },
    /// A downward-API variable holds a value that cannot be right.
    #[error("environment variable {name} is {value:?}, which is not {expected}")]
    InvalidEnv {
        /// The variable.
        name: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// A call to the API server failed.
    #[error("kubernetes api call failed while {action}: {source}")]
    Kube {
        /// What the sidecar was doing, such as "labelling pod shop/web-0".
        action: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// A status write kept meeting newer versions of the Parliament: other writers were
    /// faster every time. The publisher backs off and tries again.
    #[error(
        "the status of Parliament {parliament} changed under every one of {attempts} writes; backing off"
    )]
    Contended {
        /// Namespace and name of the Parliament.
        parliament: String,
        /// How many read-compare-write rounds were tried.
        attempts: u32,
    },
    /// An apply body could not be built (a bug: the types always serialise).
    #[error("cannot serialise the {what}: {source}")]
    Serialise {
        /// What was being serialised.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A failed API call, saying what the sidecar was doing.
    pub(crate) fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let action = action.into();
        move |source| Error::Kube { action, source }
    }

    /// A short name for metrics and logs.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Error::MissingEnv { .. } => "missing_env",
            Error::InvalidEnv { .. } => "invalid_env",
            Error::Kube { .. } => "kube",
            Error::Contended { .. } => "contended",
            Error::Serialise { .. } => "serialise",
        }
    }
}
