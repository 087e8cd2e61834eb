//! A client of the member API for the commands: connects over gRPC and follows
//! "not the leader" answers to the leader they name, and retries through elections
//! until a deadline.

use std::future::Future;
use std::time::Duration;

use parliament_proto::client as pb;
use parliament_proto::client::client_client::ClientClient;
use tokio::time::Instant;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::api::grpc;

/// Hops to follow before giving up.
const MAX_HOPS: usize = 6;

/// Connects to a member's client API.
///
/// # Errors
/// The address is malformed or nothing answers there.
pub async fn connect(addr: &str) -> Result<ClientClient<Channel>, Status> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| Status::invalid_argument(format!("bad address {addr}: {e}")))?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10));
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| Status::unavailable(format!("cannot reach {addr}: {e}")))?;
    Ok(ClientClient::new(channel))
}

/// Calls `op` at `addr`, then at each leader named by a refusal, retrying on
/// unavailability until `deadline`. Returns the answer and the member that gave it.
///
/// # Errors
/// The last refusal when no member took the request in time.
pub async fn call<T, F, Fut>(addr: &str, deadline: Duration, op: F) -> Result<(T, String), Status>
where
    F: Fn(ClientClient<Channel>) -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let until = Instant::now() + deadline;
    let mut at = addr.to_owned();
    let mut hops = 0;
    let mut pause = Duration::from_millis(50);
    loop {
        let result = match connect(&at).await {
            Ok(c) => op(c).await,
            Err(e) => Err(e),
        };
        let status = match result {
            Ok(v) => return Ok((v, at)),
            Err(s) => s,
        };
        let next = match grpc::detail(&status) {
            Some(pb::error_detail::Kind::NotLeader(nl)) if !nl.leader_address.is_empty() => {
                Some(nl.leader_address)
            }
            _ => None,
        };
        match next {
            Some(leader) if hops < MAX_HOPS => {
                hops += 1;
                at = leader;
                continue;
            }
            _ => {}
        }
        let retry = grpc::retryable(status.code())
            || (status.code() == Code::FailedPrecondition && next.is_none());
        if !retry || Instant::now() + pause > until {
            return Err(status);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
        // Start again where we were asked to: the leader may have moved.
        at = addr.to_owned();
        hops = 0;
    }
}
