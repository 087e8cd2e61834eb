//! A simulated client: one operation at a time, to whichever member it believes leads.

use parliament_engine::NodeId;
use parliament_engine::engine::ReadLevel;

use crate::sim::{Request, SimRng};

/// The operation a client is waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its id in the history.
    pub op: u64,
    /// The member it was sent to.
    pub node: NodeId,
}

/// One client of the workload.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its id (also in every value it writes).
    pub id: u32,
    /// The member it will send its next request to.
    pub target: NodeId,
    /// The operation in flight, if any.
    pub pending: Option<Pending>,
    /// Whether it still issues new operations.
    pub active: bool,
    seq: u64,
}

impl Client {
    /// A client that first tries `target`.
    #[must_use]
    pub fn new(id: u32, target: NodeId) -> Client {
        Client {
            id,
            target,
            pending: None,
            active: true,
            seq: 0,
        }
    }

    /// Chooses the next operation: half writes of a unique value, half reads spread over
    /// the three read levels.
    pub fn next_request(&mut self, rng: &mut SimRng, keys: u32) -> (String, Request) {
        self.seq += 1;
        let key = format!("k{}", rng.below(u64::from(keys.max(1))));
        let roll = rng.below(100);
        let request = if roll < 50 {
            Request::Put {
                value: format!("c{}-{}", self.id, self.seq).into_bytes(),
            }
        } else {
            let level = if roll < 65 {
                ReadLevel::Linearizable
            } else if roll < 85 {
                ReadLevel::Lease
            } else {
                ReadLevel::Strict
            };
            Request::Get { level }
        };
        (key, request)
    }

    /// Follows a "not the leader" hint, or tries someone else at random without one.
    pub fn redirect(&mut self, hint: Option<NodeId>, members: &[NodeId], rng: &mut SimRng) {
        self.target = match hint {
            Some(leader) => leader,
            None => {
                let others: Vec<NodeId> = members
                    .iter()
                    .copied()
                    .filter(|m| *m != self.target)
                    .collect();
                rng.pick(&others).copied().unwrap_or(self.target)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_unique_and_hints_are_followed() {
        let mut rng = SimRng::new(1);
        let mut c = Client::new(7, NodeId(1));
        let mut values = std::collections::BTreeSet::new();
        for _ in 0..200 {
            if let (_, Request::Put { value }) = c.next_request(&mut rng, 3) {
                assert!(values.insert(value));
            }
        }
        let members = [NodeId(1), NodeId(2), NodeId(3)];
        c.redirect(Some(NodeId(3)), &members, &mut rng);
        assert_eq!(c.target, NodeId(3));
        c.redirect(None, &members, &mut rng);
        assert_ne!(c.target, NodeId(3));
    }
}
