//! Network partitions: sets of directed links that carry nothing until healed.

use std::collections::BTreeSet;
use std::fmt;

use parliament_engine::NodeId;

/// A cut in the network. Symmetric partitions block both directions between two sides;
/// asymmetric ones block only `from → to` (the other direction still works, the case that
/// trips naive failure detectors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Identifies the partition so that its heal event removes exactly it.
    pub id: u64,
    blocked: BTreeSet<(NodeId, NodeId)>,
    /// A short description for logs, e.g. `{n1,n2} | {n3,n4,n5}`.
    pub label: String,
}

impl Partition {
    /// Blocks every link between `a` and `b`, both ways.
    #[must_use]
    pub fn symmetric(id: u64, a: &[NodeId], b: &[NodeId]) -> Partition {
        let mut blocked = BTreeSet::new();
        for &x in a {
            for &y in b {
                blocked.insert((x, y));
                blocked.insert((y, x));
            }
        }
        Partition {
            id,
            blocked,
            label: format!("{} | {}", Side(a), Side(b)),
        }
    }

    /// Blocks messages from `from` to `to` only.
    #[must_use]
    pub fn one_way(id: u64, from: &[NodeId], to: &[NodeId]) -> Partition {
        let mut blocked = BTreeSet::new();
        for &x in from {
            for &y in to {
                blocked.insert((x, y));
            }
        }
        Partition {
            id,
            blocked,
            label: format!("{} -/-> {}", Side(from), Side(to)),
        }
    }

    /// Whether a message from `from` to `to` is dropped.
    #[must_use]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.blocked.contains(&(from, to))
    }
}

struct Side<'a>(&'a [NodeId]);

impl fmt::Display for Side<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_blocks_both_ways_one_way_only_one() {
        let (a, b) = ([NodeId(1)], [NodeId(2), NodeId(3)]);
        let s = Partition::symmetric(0, &a, &b);
        assert!(s.blocks(NodeId(1), NodeId(3)) && s.blocks(NodeId(3), NodeId(1)));
        assert!(!s.blocks(NodeId(2), NodeId(3)));
        let o = Partition::one_way(1, &a, &b);
        assert!(o.blocks(NodeId(1), NodeId(2)) && !o.blocks(NodeId(2), NodeId(1)));
        assert_eq!(o.label, "{n1} -/-> {n2,n3}");
    }
}
