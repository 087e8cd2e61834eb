//! Helpers for the transport tests: clusters on 127.0.0.1 with ephemeral ports, waits
//! with deadlines that fail loudly, and a raw peer client for protocol abuse.

#![allow(dead_code)] // each test binary uses a different subset

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use parliament_engine::engine::{Entry, Message, MessageBody, Payload};
use parliament_engine::{GroupId, LogIndex, NodeId, Term};
use parliament_net::{Inbound, Member, Roster, Transport, TransportConfig};
use parliament_proto::PEER_PROTOCOL_VERSION;
use parliament_proto::peer::peer_client::PeerClient;
use parliament_proto::peer::{Frame, Hello, frame};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tonic::Streaming;

pub const CLUSTER: &str = "westminster";
/// How long any single wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "parliament_net=info".into()),
        )
        .with_test_writer()
        .try_init();
}

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port")
}

/// A roster of members `1..=addrs.len()` at `addrs`.
pub fn roster(addrs: &[SocketAddr]) -> Roster {
    Roster::new(
        addrs
            .iter()
            .enumerate()
            .map(|(i, a)| member(i as u64 + 1, *a)),
    )
}

pub fn member(id: u64, addr: SocketAddr) -> Member {
    Member {
        id: NodeId(id),
        address: addr.to_string(),
        identity: format!("n{id}.{CLUSTER}"),
    }
}

/// A config with quick redials, for tests.
pub fn config(id: u64) -> TransportConfig {
    let mut c = TransportConfig::new(CLUSTER, NodeId(id));
    c.backoff_initial = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(200);
    c.rng_seed = Some(id);
    c
}

/// Starts members `1..=n` on fresh ports.
pub async fn cluster(n: usize) -> (Roster, Vec<(Transport, mpsc::Receiver<Inbound>)>) {
    let mut listeners = Vec::new();
    for _ in 0..n {
        listeners.push(listener().await);
    }
    let addrs: Vec<SocketAddr> = listeners
        .iter()
        .map(|l| l.local_addr().expect("addr"))
        .collect();
    let roster = roster(&addrs);
    let mut nodes = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let node = Transport::start(config(i as u64 + 1), roster.clone(), l)
            .await
            .expect("start a transport");
        nodes.push(node);
    }
    (roster, nodes)
}

/// A message from `from` to `to` numbered `seq` (carried as its term).
pub fn msg(from: u64, to: u64, seq: u64) -> Message {
    Message {
        group: GroupId(7),
        from: NodeId(from),
        to: NodeId(to),
        term: Term(seq),
        body: MessageBody::TimeoutNow,
    }
}

/// An append carrying `payload` bytes.
pub fn big(from: u64, to: u64, seq: u64, payload: usize) -> Message {
    Message {
        body: MessageBody::Append {
            prev_index: LogIndex(0),
            prev_term: Term(0),
            entries: vec![Entry {
                term: Term(1),
                index: LogIndex(1),
                payload: Payload::Command(Bytes::from(vec![0xAB; payload])),
            }],
            commit: LogIndex(0),
            round: seq,
        },
        ..msg(from, to, seq)
    }
}

/// Awaits `fut` or fails the test saying what it waited for.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {DEADLINE:?} waiting for {what}"),
    }
}

/// The next inbound message, or a loud failure.
pub async fn recv(rx: &mut mpsc::Receiver<Inbound>, what: &str) -> Inbound {
    within(what, rx.recv())
        .await
        .unwrap_or_else(|| panic!("inbound channel closed while waiting for {what}"))
}

/// Polls `cond` until it holds, failing loudly at the deadline.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    within(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

pub fn hello(member: u64, cluster: &str) -> Frame {
    Frame {
        kind: Some(frame::Kind::Hello(Hello {
            member,
            cluster: cluster.to_owned(),
            protocol_version: PEER_PROTOCOL_VERSION,
        })),
    }
}

/// Opens a raw stream to `addr` that sends `frames` and then stays open.
pub async fn raw_stream(
    addr: SocketAddr,
    frames: Vec<Frame>,
) -> (Result<Streaming<Frame>, tonic::Status>, mpsc::Sender<Frame>) {
    let mut client = PeerClient::connect(format!("http://{addr}"))
        .await
        .expect("connect a raw client")
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    let (tx, rx) = mpsc::channel(frames.len() + 1);
    for f in frames {
        tx.try_send(f).expect("room for the frames");
    }
    let response = within(
        "the raw stream's response",
        client.stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
    .await;
    (response.map(tonic::Response::into_inner), tx)
}
