//! Helpers for the transport tests: clusters on 127.0.0.1 with ephemeral ports, numbered
//! envelopes of every kind, waits with deadlines that fail loudly, and a raw peer client
//! for protocol abuse.

#![allow(dead_code)] // each test binary uses a different subset

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use parliament_engine::engine::{Entry, Message, MessageBody, Payload, Rejected};
use parliament_engine::westminster::{
    DistrictId, Envelope, Refused, SessionEntry, SessionMessage, Ticket,
};
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
    cluster_with(n, |_| {}).await
}

/// [`cluster`], with `adjust` applied to every member's configuration.
pub async fn cluster_with(
    n: usize,
    adjust: impl Fn(&mut TransportConfig),
) -> (Roster, Vec<(Transport, mpsc::Receiver<Inbound>)>) {
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
        let mut c = config(i as u64 + 1);
        adjust(&mut c);
        let node = Transport::start(c, roster.clone(), l)
            .await
            .expect("start a transport");
        nodes.push(node);
    }
    (roster, nodes)
}

/// How many kinds [`envelope`] takes in turn.
pub const KINDS: u64 = 10;

/// An engine message of `group` from `from` to `to` numbered `seq` (carried as its term).
pub fn msg(group: u64, from: u64, to: u64, seq: u64) -> Message {
    Message {
        group: GroupId(group),
        from: NodeId(from),
        to: NodeId(to),
        term: Term(seq),
        body: MessageBody::TimeoutNow,
    }
}

/// The ticket of write `seq` accepted at `origin`.
pub fn ticket(origin: u64, seq: u64) -> Ticket {
    Ticket {
        origin: NodeId(origin),
        epoch: 1_000,
        seq,
    }
}

/// Envelope number `seq` from member `from` to member `to`. Successive numbers take
/// every kind in turn (see [`KINDS`]): a district message, a Commons message sent and
/// one forwarded, and the session messages — a submit, a batch, and a refusal of each
/// reason — and each carries `seq`, so a receiver checks order and content with `==`.
pub fn envelope(from: u64, to: u64, seq: u64) -> Envelope {
    let refused = |reason| {
        Envelope::Session(SessionMessage::Refused {
            ticket: ticket(to, seq),
            reason,
        })
    };
    match seq % KINDS {
        0 => Envelope::District(msg(7, from, to, seq)),
        1 => Envelope::Commons {
            incarnation: Term(seq),
            forwarded: false,
            origin: None,
            message: msg(0, from, to, seq),
        },
        2 => Envelope::Commons {
            incarnation: Term(seq),
            forwarded: true,
            origin: Some(NodeId(from)),
            message: msg(0, from, to, seq),
        },
        3 => Envelope::Session(SessionMessage::Submit {
            ticket: ticket(from, seq),
            command: Bytes::from(seq.to_be_bytes().to_vec()),
        }),
        4 => Envelope::Session(SessionMessage::Batch {
            district: DistrictId(from),
            entries: (0..3)
                .map(|i| SessionEntry {
                    ticket: ticket(from, seq * 3 + i),
                    command: Bytes::from(vec![i as u8; 5]),
                })
                .collect(),
        }),
        5 => refused(Refused::NotLeader {
            group: GroupId(0),
            leader: Some(NodeId(from)),
        }),
        6 => refused(Refused::Busy {
            district: DistrictId(from),
            queued: seq as usize,
            max: 1_024,
        }),
        7 => refused(Refused::WrongDistrict {
            scope: format!("district/{seq}"),
        }),
        8 => refused(Refused::Invalid(format!("write {seq} is invalid"))),
        _ => refused(Refused::Engine(Rejected::TooManyUncommitted {
            limit: seq as usize,
        })),
    }
}

/// A district append numbered `seq` carrying `payload` bytes.
pub fn big(from: u64, to: u64, seq: u64, payload: usize) -> Envelope {
    Envelope::District(Message {
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
        ..msg(7, from, to, seq)
    })
}

/// A session batch numbered `seq` whose one write carries `payload` bytes.
pub fn big_batch(from: u64, seq: u64, payload: usize) -> Envelope {
    Envelope::Session(SessionMessage::Batch {
        district: DistrictId(from),
        entries: vec![SessionEntry {
            ticket: ticket(from, seq),
            command: Bytes::from(vec![0xCD; payload]),
        }],
    })
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
    hello_version(member, cluster, PEER_PROTOCOL_VERSION)
}

pub fn hello_version(member: u64, cluster: &str, protocol_version: u32) -> Frame {
    Frame {
        kind: Some(frame::Kind::Hello(Hello {
            member,
            cluster: cluster.to_owned(),
            protocol_version,
        })),
    }
}

/// A frame of `envelopes`, as a peer's writer sends it.
pub fn batch(envelopes: Vec<parliament_proto::peer::Envelope>) -> Frame {
    Frame {
        kind: Some(frame::Kind::Batch(parliament_proto::peer::Batch {
            envelopes,
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
