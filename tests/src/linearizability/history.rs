//! Recorded client operations: [`Op`] and the [`History`] recorder that stamps them.

/// One client operation as observed from outside the system.
///
/// Times are plain ordered integers (virtual ms, wall ns, or an event counter). Operation
/// `a` precedes `b` in real time only when `a.ret < b.call`: equal stamps count as
/// concurrent, which can hide a violation but never invents one. Stamp with a counter that
/// ticks on every event (as [`History`] does) to keep the real-time order exact.
///
/// Leave out operations that definitely failed without effect (a rejection the store
/// guarantees had no effect); they are not part of the object's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op<I, O> {
    /// The client that issued the operation; used only to explain a failure.
    pub client: u64,
    /// When the client invoked it.
    pub call: u64,
    /// When the client received the answer; `None` when it never did (timed out, crashed,
    /// connection lost). Such an operation may have taken effect at any point after `call`,
    /// or never.
    pub ret: Option<u64>,
    /// The key the operation touched; the history is checked one key at a time.
    pub key: String,
    /// What was asked.
    pub input: I,
    /// What was answered; `None` when not observed (always the case when `ret` is `None`,
    /// unless the recorder knows better).
    pub output: Option<O>,
}

impl<I, O> Op<I, O> {
    /// An operation that completed with `output` at `ret`.
    pub fn completed(
        client: u64,
        key: impl Into<String>,
        input: I,
        output: O,
        call: u64,
        ret: u64,
    ) -> Self {
        Op {
            client,
            call,
            ret: Some(ret),
            key: key.into(),
            input,
            output: Some(output),
        }
    }

    /// An operation whose outcome the client never learned.
    pub fn unknown(client: u64, key: impl Into<String>, input: I, call: u64) -> Self {
        Op {
            client,
            call,
            ret: None,
            key: key.into(),
            input,
            output: None,
        }
    }
}

/// Identifies an operation recorded by [`History::invoke`], to complete it later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpId(usize);

/// A mistake in how a [`History`] was driven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The id was not issued by this history.
    #[error("operation {} was not recorded by this history", id.0)]
    UnknownOp {
        /// The offending id.
        id: OpId,
    },
    /// The operation was already completed; a client gets one answer per call.
    #[error("operation {} was completed twice; record one answer per call", id.0)]
    AlreadyCompleted {
        /// The offending id.
        id: OpId,
    },
}

/// Records operations as they happen and stamps call and return with one event counter,
/// so the real-time order in the history is exactly the order the recorder saw.
///
/// Call [`History::invoke`] just before the request leaves the client and
/// [`History::complete`] just after the answer arrives. Operations never completed stay
/// with an unknown outcome, which is what a crashed or timed-out client means.
#[derive(Debug, Clone)]
pub struct History<I, O> {
    ops: Vec<Op<I, O>>,
    clock: u64,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History {
            ops: Vec::new(),
            clock: 0,
        }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Record that `client` invoked `input` on `key`.
    pub fn invoke(&mut self, client: u64, key: impl Into<String>, input: I) -> OpId {
        let call = self.tick();
        self.ops.push(Op::unknown(client, key, input, call));
        OpId(self.ops.len() - 1)
    }

    /// Record the answer to an invoked operation.
    ///
    /// # Errors
    ///
    /// [`HistoryError::UnknownOp`] for an id from another history,
    /// [`HistoryError::AlreadyCompleted`] for a second answer to one call.
    pub fn complete(&mut self, id: OpId, output: O) -> Result<(), HistoryError> {
        let ret = self.clock;
        let op = self
            .ops
            .get_mut(id.0)
            .ok_or(HistoryError::UnknownOp { id })?;
        if op.ret.is_some() {
            return Err(HistoryError::AlreadyCompleted { id });
        }
        op.ret = Some(ret);
        op.output = Some(output);
        self.clock += 1;
        Ok(())
    }

    /// The operations recorded so far, in invocation order.
    #[must_use]
    pub fn ops(&self) -> &[Op<I, O>] {
        &self.ops
    }

    /// The recorded operations, consuming the history.
    #[must_use]
    pub fn into_ops(self) -> Vec<Op<I, O>> {
        self.ops
    }

    fn tick(&mut self) -> u64 {
        let now = self.clock;
        self.clock += 1;
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_follow_event_order_and_uncompleted_ops_stay_unknown() {
        let mut history: History<&str, &str> = History::new();
        let a = history.invoke(1, "k", "put");
        let b = history.invoke(2, "k", "get");
        assert_eq!(history.complete(a, "ok"), Ok(()));
        let ops = history.ops();
        assert_eq!((ops[0].call, ops[0].ret), (0, Some(2)));
        assert_eq!((ops[1].call, ops[1].ret, ops[1].output), (1, None, None));
        assert_eq!(
            history.complete(a, "again"),
            Err(HistoryError::AlreadyCompleted { id: a })
        );
        let foreign = OpId(7);
        assert_eq!(
            history.complete(foreign, "x"),
            Err(HistoryError::UnknownOp { id: foreign })
        );
        assert_eq!(history.complete(b, "v"), Ok(()));
        assert_eq!(history.ops()[1].ret, Some(3));
    }
}
