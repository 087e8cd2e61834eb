//! Client request ids: what makes a retried write apply once.

use std::fmt;

use crate::state::error::Result;
use crate::state::wire::{Reader, Wire, Writer};

/// The id of one write of one client session: the session's client id (from
/// [`Outcome::SessionOpened`](crate::state::Outcome::SessionOpened)) and a sequence
/// number the client picks, starting at 1 and unique within the session.
///
/// A write retried with the same id applies at most once; the retry gets the first
/// attempt's response back (docs/store.md#sessions-and-retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId {
    /// The session, as the scope assigned it.
    pub client: u64,
    /// The request's number within the session; 1 or more.
    pub seq: u64,
}

impl RequestId {
    /// The id of request `seq` of session `client`.
    #[must_use]
    pub const fn new(client: u64, seq: u64) -> RequestId {
        RequestId { client, seq }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}#{}", self.client, self.seq)
    }
}

impl Wire for RequestId {
    fn put(&self, w: &mut Writer) {
        w.u64(self.client);
        w.u64(self.seq);
    }

    fn take(r: &mut Reader<'_>) -> Result<RequestId> {
        Ok(RequestId {
            client: r.u64("request client")?,
            seq: r.u64("request seq")?,
        })
    }
}
