//! What the simulated clients did and were told: the history the linearizability checker
//! reads.
//!
//! Each operation carries two stamps for its call and its return: the global virtual time
//! (for people) and the simulator's step number (for the checker: unique and ordered, so
//! the real-time order of any two operations is exact).

use std::collections::BTreeSet;

use crate::linearizability::{KvInput, KvOutput, Op};
use crate::sim::{ClientOp, Request, Response, Stamp};

/// Every client operation of a run, in invocation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHistory {
    ops: Vec<ClientOp>,
}

impl ClientHistory {
    /// An empty history.
    #[must_use]
    pub fn new() -> ClientHistory {
        ClientHistory::default()
    }

    /// Records a call; returns the operation's id.
    pub fn invoke(&mut self, client: u32, key: &str, request: Request, call: Stamp) -> u64 {
        self.ops.push(ClientOp {
            client,
            key: key.to_owned(),
            request,
            call,
            ret: None,
            response: None,
        });
        self.ops.len() as u64 - 1
    }

    /// Records the answer to `op`. A second answer is ignored (the first one counts).
    pub fn complete(&mut self, op: u64, response: Response, ret: Stamp) {
        let Some(o) = usize::try_from(op).ok().and_then(|i| self.ops.get_mut(i)) else {
            return;
        };
        if o.ret.is_none() {
            o.ret = Some(ret);
            o.response = Some(response);
        }
    }

    /// The operation `op`.
    #[must_use]
    pub fn get(&self, op: u64) -> Option<&ClientOp> {
        usize::try_from(op).ok().and_then(|i| self.ops.get(i))
    }

    /// Every operation.
    #[must_use]
    pub fn ops(&self) -> &[ClientOp] {
        &self.ops
    }

    /// The history as the linearizability checker reads it: definitely failed operations
    /// left out, unanswered ones with an unknown outcome, times as step numbers.
    ///
    /// `committed` holds every value a committed entry wrote, known once the run has
    /// converged: an unanswered write whose value is not among them never took effect and
    /// is left out too (the recorder knows better than the client), which spares the
    /// search from trying it everywhere.
    #[must_use]
    pub fn to_kv_ops(&self, committed: &BTreeSet<Vec<u8>>) -> Vec<Op<KvInput, KvOutput>> {
        self.ops
            .iter()
            .filter(|o| !o.failed())
            .filter(|o| match (&o.request, &o.response) {
                (Request::Put { value }, None) => committed.contains(value),
                _ => true,
            })
            .map(|o| {
                let input = match &o.request {
                    Request::Put { value } => KvInput::Put(value.clone()),
                    Request::Get { .. } => KvInput::Get,
                };
                let output = o.response.as_ref().map(|r| match r {
                    Response::Value { value } => KvOutput::Value(value.clone()),
                    Response::Written { .. } | Response::Failed { .. } => KvOutput::Ok,
                });
                Op {
                    client: u64::from(o.client),
                    call: o.call.step,
                    ret: o.ret.map(|r| r.step),
                    key: o.key.clone(),
                    input,
                    output,
                }
            })
            .collect()
    }

    /// Counts for the report: (writes acknowledged, reads answered, definitely failed,
    /// unknown outcome).
    #[must_use]
    pub fn tally(&self) -> (u64, u64, u64, u64) {
        let mut t = (0, 0, 0, 0);
        for o in &self.ops {
            match &o.response {
                Some(Response::Written { .. }) => t.0 += 1,
                Some(Response::Value { .. }) => t.1 += 1,
                Some(Response::Failed { .. }) => t.2 += 1,
                None => t.3 += 1,
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::{CheckOptions, KvModel, check};
    use parliament_engine::engine::ReadLevel;
    use parliament_engine::{LogIndex, Time};

    #[test]
    fn first_answer_counts_and_unanswered_ops_stay_unknown() {
        let mut h = ClientHistory::new();
        let s = |step| Stamp {
            at: Time(step),
            step,
        };
        let a = h.invoke(
            1,
            "k0",
            Request::Put {
                value: b"v".to_vec(),
            },
            s(1),
        );
        let b = h.invoke(
            2,
            "k0",
            Request::Get {
                level: ReadLevel::Lease,
            },
            s(2),
        );
        h.complete(a, Response::Written { index: LogIndex(3) }, s(3));
        h.complete(
            a,
            Response::Failed {
                reason: "late".into(),
            },
            s(4),
        );
        assert_eq!(
            h.get(a).and_then(|o| o.response.clone()),
            Some(Response::Written { index: LogIndex(3) })
        );
        assert_eq!(h.get(b).map(|o| o.ret), Some(None));
        assert_eq!(h.tally(), (1, 0, 0, 1));
    }

    fn put(h: &mut ClientHistory, client: u32, value: &str, call: u64) -> u64 {
        let s = Stamp {
            at: Time(call),
            step: call,
        };
        h.invoke(
            client,
            "k0",
            Request::Put {
                value: value.as_bytes().to_vec(),
            },
            s,
        )
    }

    fn get(h: &mut ClientHistory, client: u32, call: u64) -> u64 {
        let s = Stamp {
            at: Time(call),
            step: call,
        };
        h.invoke(
            client,
            "k0",
            Request::Get {
                level: ReadLevel::Lease,
            },
            s,
        )
    }

    fn at(step: u64) -> Stamp {
        Stamp {
            at: Time(step),
            step,
        }
    }

    #[test]
    fn planted_stale_read_fails_the_linearizability_check() {
        let mut h = ClientHistory::new();
        let w = put(&mut h, 1, "a", 1);
        h.complete(w, Response::Written { index: LogIndex(2) }, at(2));
        // Invoked after the write was acknowledged, yet misses it: a stale lease read.
        let r = get(&mut h, 2, 3);
        h.complete(r, Response::Value { value: None }, at(4));
        let committed = BTreeSet::from([b"a".to_vec()]);
        let outcome = check(
            &KvModel::new(),
            &h.to_kv_ops(&committed),
            &CheckOptions::default(),
        );
        assert!(outcome.violation().is_some(), "{outcome}");
    }

    #[test]
    fn unanswered_writes_count_only_if_they_committed() {
        let mut h = ClientHistory::new();
        let lost = put(&mut h, 1, "lost", 1);
        let kept = put(&mut h, 2, "kept", 2);
        let refused = put(&mut h, 3, "refused", 3);
        h.complete(
            refused,
            Response::Failed {
                reason: "not the leader".into(),
            },
            at(4),
        );
        let r = get(&mut h, 3, 5);
        h.complete(
            r,
            Response::Value {
                value: Some(b"kept".to_vec()),
            },
            at(6),
        );
        let committed = BTreeSet::from([b"kept".to_vec()]);
        let ops = h.to_kv_ops(&committed);
        assert_eq!(ops.len(), 2, "{ops:?}");
        assert!(
            ops.iter()
                .all(|o| o.input != KvInput::Put(b"lost".to_vec()))
        );
        assert_eq!(
            ops[0].ret, None,
            "an unanswered write keeps an unknown outcome"
        );
        let outcome = check(&KvModel::new(), &ops, &CheckOptions::default());
        assert!(outcome.is_linearizable(), "{outcome}");
        let _ = (lost, kept);
    }
}
