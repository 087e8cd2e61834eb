//! `Settings`: how the operator runs.

use std::time::Duration;

/// Operator settings, from the command line or a test.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Watch one namespace only; `None` watches all.
    pub namespace: Option<String>,
    /// Reconcile every Parliament at least this often, even without changes.
    pub resync: Duration,
    /// Name of this replica in Events (reportingInstance), usually the pod name.
    pub instance: Option<String>,
    /// Stop on SIGTERM or Ctrl-C (the binary); tests stop by dropping the task.
    pub shutdown_on_signal: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: None,
            resync: Duration::from_secs(300),
            instance: None,
            shutdown_on_signal: false,
        }
    }
}
