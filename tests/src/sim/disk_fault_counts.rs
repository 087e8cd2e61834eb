//! How many disk faults of each kind fired: [`DiskFaultCounts`], for the reports.

use std::fmt;

use crate::sim::DiskFaultKind;

/// Disk faults that fired (a member crashed during a persist), by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskFaultCounts {
    counts: [u64; DiskFaultKind::ALL.len()],
}

impl DiskFaultCounts {
    /// Counts one fault of `kind`.
    pub fn record(&mut self, kind: DiskFaultKind) {
        self.counts[kind as usize] += 1;
    }

    /// How many of `kind` fired.
    #[must_use]
    pub fn of(&self, kind: DiskFaultKind) -> u64 {
        self.counts[kind as usize]
    }

    /// How many fired in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &DiskFaultCounts) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }
}

impl fmt::Display for DiskFaultCounts {
    /// `3 lost, 1 torn, ...`, every kind, in [`DiskFaultKind::ALL`] order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, kind) in DiskFaultKind::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", self.of(kind), kind.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_print_every_kind() {
        let mut a = DiskFaultCounts::default();
        a.record(DiskFaultKind::Torn);
        a.record(DiskFaultKind::Torn);
        let mut b = DiskFaultCounts::default();
        b.record(DiskFaultKind::Snapshot);
        a.add(&b);
        assert_eq!(a.total(), 3);
        assert_eq!(a.of(DiskFaultKind::Torn), 2);
        assert_eq!(
            a.to_string(),
            "0 lost, 2 torn, 0 unsent, 0 failed, 0 corrupt, 1 during snapshot install"
        );
    }
}
