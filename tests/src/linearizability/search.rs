//! The Wing & Gong search for one key's operations, with Lowe's memoization.
//!
//! The operations with a known outcome become a doubly linked list of call and return
//! events in time order. The search walks it from the front: at a call it tries to
//! linearize that operation (the model must accept it), lifts the operation's events out
//! of the list and starts again from the front; at a return it has met an operation that
//! had to be linearized already, so after the last candidates (below) it backtracks,
//! restoring the last linearized operation and trying the candidate after it (Wing & Gong
//! 1993; Lowe 2017 §3). Porcupine (Athalye 2017) is the same algorithm.
//!
//! Operations with an unknown outcome never return, so they are never the reason to
//! backtrack: one may take effect at any point after its call, or never. They wait in a
//! separate list, sorted by call, and are tried only after every known call before the
//! first pending return. The search succeeds once every known operation is placed.
//!
//! Memoization prunes a configuration (known operations placed, state, unknown operations
//! placed) when one with the same known operations and state and a *subset* of its unknown
//! operations has been reached before: the smaller configuration can still use every
//! unknown operation the larger one can, and omitting one is always allowed, so it has
//! every completion the larger one has. With no unknown operations this is Lowe's cache of
//! (linearized set, state) pairs (Lowe 2017 §4). Trying known operations first makes the
//! small configurations come first, which is what keeps a handful of lost writes from
//! doubling the search each.

use std::fmt;
use std::mem;

use super::history::Op;
use super::memo::{Bitset, Memo};
use super::model::Model;
use super::outcome::{OpRef, Violation};

/// What the search concluded about one key.
pub(super) enum KeyVerdict {
    /// A linearization exists.
    Linearizable,
    /// None exists; the violation explains the deepest point the search reached.
    Violation(Box<Violation>),
    /// The step budget ran out first.
    Exhausted,
}

/// End of the list.
const NIL: usize = usize::MAX;
/// The list's head sentinel: node 0, never lifted.
const HEAD: usize = 0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Return,
}

struct Node {
    kind: Kind,
    /// Position of the operation in `Ops::known`.
    op: usize,
    prev: usize,
    next: usize,
    /// For a call, its return node.
    partner: usize,
}

/// The known operations' events as a list that can lift operations out and put them back
/// in reverse order (dancing links).
struct EventList {
    nodes: Vec<Node>,
}

impl EventList {
    /// `known` holds (call, return) per operation.
    fn new(known: &[(u64, u64)]) -> EventList {
        // (time, call before return, op): at equal times calls go first, so equal stamps
        // read as concurrent rather than ordered (see `Op`).
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(known.len() * 2);
        for (op, &(call, ret)) in known.iter().enumerate() {
            events.push((call, false, op));
            events.push((ret, true, op));
        }
        events.sort_unstable();

        let mut nodes = Vec::with_capacity(events.len() + 1);
        nodes.push(Node {
            kind: Kind::Call,
            op: NIL,
            prev: NIL,
            next: NIL,
            partner: NIL,
        });
        let mut call_node = vec![NIL; known.len()];
        for (_, is_return, op) in events {
            let index = nodes.len();
            let kind = if is_return { Kind::Return } else { Kind::Call };
            nodes.push(Node {
                kind,
                op,
                prev: index - 1,
                next: NIL,
                partner: NIL,
            });
            nodes[index - 1].next = index;
            match kind {
                Kind::Call => call_node[op] = index,
                Kind::Return => nodes[call_node[op]].partner = index,
            }
        }
        EventList { nodes }
    }

    fn first(&self) -> usize {
        self.nodes[HEAD].next
    }

    fn unlink(&mut self, node: usize) {
        let Node { prev, next, .. } = self.nodes[node];
        self.nodes[prev].next = next;
        if next != NIL {
            self.nodes[next].prev = prev;
        }
    }

    fn relink(&mut self, node: usize) {
        let Node { prev, next, .. } = self.nodes[node];
        self.nodes[prev].next = node;
        if next != NIL {
            self.nodes[next].prev = node;
        }
    }

    /// Take a call and its return out of the list.
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.nodes[call].partner);
    }

    /// Undo the matching `lift`; lifts must be undone in reverse order.
    fn unlift(&mut self, call: usize) {
        self.relink(self.nodes[call].partner);
        self.relink(call);
    }
}

/// Where the scan for the next operation to place stands.
#[derive(Clone, Copy)]
enum Cursor {
    /// At a node of the known list.
    Known(usize),
    /// Past the known candidates, at position `next` of the unknown list; `boundary` is
    /// the first pending return, which no placement may come after.
    Unknown { next: usize, boundary: usize },
}

struct Frame<S> {
    /// The cursor that placed the operation; the scan resumes just after it.
    placed: Cursor,
    /// The state before it.
    state: S,
}

/// The deepest point reached, kept to explain a failure. Operations are indices into
/// the checked slice.
struct Deepest<S> {
    prefix: Vec<usize>,
    state: S,
    blocked: usize,
    pending: Vec<usize>,
}

/// Search for a linearization of the operations `members` (indices into `ops`, all on
/// `key`), taking at most `max_steps` steps.
pub(super) fn check_key<M: Model>(
    model: &M,
    ops: &[Op<M::Input, M::Output>],
    members: &[usize],
    key: &str,
    max_steps: u64,
) -> KeyVerdict {
    // Indices into `ops`: the known operations, and the unknown ones sorted by call.
    let (known, mut unknown): (Vec<usize>, Vec<usize>) =
        members.iter().partition(|&&index| ops[index].ret.is_some());
    unknown.sort_by_key(|&index| (ops[index].call, index));
    let times: Vec<(u64, u64)> = known
        .iter()
        .map(|&index| (ops[index].call, ops[index].ret.unwrap_or(u64::MAX)))
        .collect();
    let mut list = EventList::new(&times);
    let op_of = |cursor: Cursor, list: &EventList| match cursor {
        Cursor::Known(node) => known[list.nodes[node].op],
        Cursor::Unknown { next, .. } => unknown[next],
    };
    // The latest call time that may still be placed before `boundary` returns.
    let limit = |boundary: usize, list: &EventList| match list.nodes.get(boundary) {
        Some(node) => times[node.op].1,
        None => u64::MAX,
    };

    let mut known_left = known.len();
    let mut state = model.init();
    let mut known_set = Bitset::new(known.len());
    let mut unknown_set = Bitset::new(unknown.len());
    let mut memo = Memo::new();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut deepest: Option<Deepest<M::State>> = None;
    let mut steps: u64 = 0;
    let mut cursor = Cursor::Known(list.first());

    loop {
        if known_left == 0 {
            return KeyVerdict::Linearizable;
        }
        steps += 1;
        if steps > max_steps {
            return KeyVerdict::Exhausted;
        }

        // Find the operation under the cursor, or move the cursor on.
        let candidate = match cursor {
            Cursor::Known(node) if node != NIL && list.nodes[node].kind == Kind::Call => {
                Some(list.nodes[node].op)
            }
            Cursor::Known(node) => {
                // The end of the list cannot be reached while a known operation is
                // unplaced (its return is still listed ahead); should it be, the limit
                // below is unbounded and the search stays sound.
                debug_assert!(node != NIL, "search ran off the list with known ops left");
                cursor = Cursor::Unknown {
                    next: 0,
                    boundary: node,
                };
                continue;
            }
            Cursor::Unknown { next, boundary } => {
                // Skipping placed operations is a bit test each, not worth a step.
                let limit = limit(boundary, &list);
                let next = (next..unknown.len()).find(|&u| !unknown_set.contains(u));
                match next {
                    Some(next) if ops[unknown[next]].call <= limit => {
                        cursor = Cursor::Unknown { next, boundary };
                        Some(next)
                    }
                    _ => None,
                }
            }
        };

        if let Some(position) = candidate {
            let op = &ops[op_of(cursor, &list)];
            let placed = model.step(&state, &op.input, op.output.as_ref());
            let set = match cursor {
                Cursor::Known(_) => &mut known_set,
                Cursor::Unknown { .. } => &mut unknown_set,
            };
            set.set(position);
            match placed {
                Some(next) if memo.remember(&known_set, &next, &unknown_set) => {
                    let before = mem::replace(&mut state, next);
                    stack.push(Frame {
                        placed: cursor,
                        state: before,
                    });
                    if let Cursor::Known(node) = cursor {
                        list.lift(node);
                        known_left -= 1;
                    }
                    cursor = Cursor::Known(list.first());
                }
                _ => {
                    match cursor {
                        Cursor::Known(_) => known_set.clear(position),
                        Cursor::Unknown { .. } => unknown_set.clear(position),
                    }
                    cursor = advance(cursor, &list);
                }
            }
            continue;
        }

        // No candidate is left before the first pending return: that operation cannot be
        // placed after this prefix. Remember the deepest such point, then backtrack.
        if let Cursor::Unknown { boundary, .. } = cursor
            && boundary != NIL
            && deepest
                .as_ref()
                .is_none_or(|d| stack.len() > d.prefix.len())
        {
            let limit = limit(boundary, &list);
            let mut pending = Vec::new();
            let mut node = list.first();
            while node != NIL && node != boundary {
                pending.push(known[list.nodes[node].op]);
                node = list.nodes[node].next;
            }
            pending.extend(
                (0..unknown.len())
                    .filter(|&u| !unknown_set.contains(u))
                    .map(|u| unknown[u])
                    .filter(|&index| ops[index].call <= limit),
            );
            deepest = Some(Deepest {
                prefix: stack.iter().map(|f| op_of(f.placed, &list)).collect(),
                state: state.clone(),
                blocked: known[list.nodes[boundary].op],
                pending,
            });
        }
        let Some(frame) = stack.pop() else {
            break;
        };
        state = frame.state;
        match frame.placed {
            Cursor::Known(node) => {
                known_set.clear(list.nodes[node].op);
                list.unlift(node);
                known_left += 1;
            }
            Cursor::Unknown { next, .. } => unknown_set.clear(next),
        }
        cursor = advance(frame.placed, &list);
    }

    match deepest {
        Some(deepest) => KeyVerdict::Violation(Box::new(explain(ops, key, deepest))),
        // Unreachable: the search only runs out of candidates at a pending return, which
        // records `deepest`. Should that ever break, "no verdict" is the answer that
        // cannot pass a broken history.
        None => KeyVerdict::Exhausted,
    }
}

/// The candidate after `cursor`.
fn advance(cursor: Cursor, list: &EventList) -> Cursor {
    match cursor {
        Cursor::Known(node) => Cursor::Known(list.nodes[node].next),
        Cursor::Unknown { next, boundary } => Cursor::Unknown {
            next: next + 1,
            boundary,
        },
    }
}

fn explain<I: fmt::Display, O: fmt::Display, S: fmt::Display>(
    ops: &[Op<I, O>],
    key: &str,
    deepest: Deepest<S>,
) -> Violation {
    let describe = |index: usize| {
        let op = &ops[index];
        let output = match &op.output {
            Some(output) => output.to_string(),
            None => "?".to_owned(),
        };
        OpRef {
            index,
            client: op.client,
            call: op.call,
            ret: op.ret,
            text: format!("{} -> {output}", op.input),
        }
    };
    Violation {
        key: key.to_owned(),
        prefix: deepest.prefix.into_iter().map(describe).collect(),
        state: deepest.state.to_string(),
        blocked: describe(deepest.blocked),
        pending: deepest.pending.into_iter().map(describe).collect(),
    }
}
