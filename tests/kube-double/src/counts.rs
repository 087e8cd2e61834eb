//! `RequestCounts`: how many requests the double served, per verb and resource.

use std::collections::BTreeMap;
use std::fmt;

/// Requests per (verb, resource), with verbs as in audit logs (get, list, watch, create,
/// update, patch, delete) and subresources written `parliaments/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts(pub BTreeMap<(String, String), u64>);

impl RequestCounts {
    /// Requests of one verb on one resource.
    #[must_use]
    pub fn get(&self, verb: &str, resource: &str) -> u64 {
        self.0
            .get(&(verb.to_owned(), resource.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Every request counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Requests that write (create, update, patch, delete).
    #[must_use]
    pub fn writes(&self) -> u64 {
        self.0
            .iter()
            .filter(|((verb, _), _)| {
                matches!(verb.as_str(), "create" | "update" | "patch" | "delete")
            })
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn add(&mut self, verb: &str, resource: &str) {
        *self
            .0
            .entry((verb.to_owned(), resource.to_owned()))
            .or_default() += 1;
    }
}

impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<8} {:<28} {:>8}", "verb", "resource", "requests")?;
        for ((verb, resource), n) in &self.0 {
            writeln!(f, "{verb:<8} {resource:<28} {n:>8}")?;
        }
        write!(f, "{:<8} {:<28} {:>8}", "total", "", self.total())
    }
}
