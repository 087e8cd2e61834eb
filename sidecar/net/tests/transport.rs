//! The peer transport over real tonic on 127.0.0.1: exchange of every envelope kind,
//! reconnects, back-pressure, size limits, malformed input and the roster handshake.

mod support;

use parliament_engine::NodeId;
use parliament_engine::westminster::{Envelope, Refused, SessionMessage};
use parliament_net::{Connect, Error, Transport};
use parliament_proto::peer::{self, Frame, frame};
use prost::Message as _;
use support::*;
use tonic::Code;
use tracing::info;

/// The kind of a test envelope, through every nested enum. Exhaustive: a new variant of
/// `Envelope`, `SessionMessage` or `Refused` breaks compilation here until it is listed
/// (and then fails the test below until `support::envelope` sends it).
fn kind(e: &Envelope) -> &'static str {
    match e {
        Envelope::District(_) => "district",
        Envelope::Commons {
            forwarded: false, ..
        } => "commons",
        Envelope::Commons {
            forwarded: true, ..
        } => "commons forwarded",
        Envelope::Session(SessionMessage::Submit { .. }) => "submit",
        Envelope::Session(SessionMessage::Batch { .. }) => "batch",
        Envelope::Session(SessionMessage::Refused { reason, .. }) => match reason {
            Refused::NotLeader { .. } => "refused not leader",
            Refused::Busy { .. } => "refused busy",
            Refused::WrongDistrict { .. } => "refused wrong district",
            Refused::Invalid(_) => "refused invalid",
            Refused::Engine(_) => "refused by the engine",
        },
    }
}

#[test]
fn the_test_envelopes_take_every_kind_in_turn() {
    let kinds: std::collections::BTreeSet<_> =
        (0..KINDS).map(|seq| kind(&envelope(1, 2, seq))).collect();
    assert_eq!(kinds.len() as u64, KINDS, "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_exchange_batches_of_every_kind_both_ways_in_order() {
    init_tracing();
    // Eager: one stream from the start, so order holds from the first envelope (two
    // streams dialled at once on demand each keep their own order, not a joint one).
    let (_roster, mut nodes) = cluster_with(2, |c| c.connect = Connect::Eager).await;
    let (b, mut b_rx) = nodes.pop().expect("b");
    let (a, mut a_rx) = nodes.pop().expect("a");

    info!("--- queue 200 envelopes each way, every kind in turn, before any stream is up");
    for seq in 0..200 {
        a.send(NodeId(2), &envelope(1, 2, seq)).expect("a sends");
        b.send(NodeId(1), &envelope(2, 1, seq)).expect("b sends");
    }
    info!("--- each side receives all of them, in order, intact, from the right peer");
    for seq in 0..200 {
        let got = recv(&mut b_rx, &format!("envelope {seq} at b")).await;
        assert_eq!((got.peer, got.envelope), (NodeId(1), envelope(1, 2, seq)));
        let got = recv(&mut a_rx, &format!("envelope {seq} at a")).await;
        assert_eq!((got.peer, got.envelope), (NodeId(2), envelope(2, 1, seq)));
    }
    info!("--- they travelled in batches, on one stream");
    // Counters move just after the hand-off to HTTP/2, so wait for them to settle.
    eventually("a to count 200 sent envelopes", || {
        a.stats(NodeId(2)).expect("a's link to b").sent_messages == 200
    })
    .await;
    let stats = a.stats(NodeId(2)).expect("a's link to b");
    assert!(
        stats.sent_frames < stats.sent_messages,
        "no batching: {stats:?}"
    );
    let payload: u64 = (0..200)
        .map(|seq| peer::Envelope::from(&envelope(1, 2, seq)).encoded_len() as u64)
        .sum();
    // Each envelope costs its encoding plus a tag and a length inside its frame, and
    // each frame a few bytes of headers.
    assert!(
        stats.sent_bytes >= payload + 2 * 200 && stats.sent_bytes <= payload + 10 * 200,
        "{} bytes for {payload} of envelopes: {stats:?}",
        stats.sent_bytes
    );
    assert_eq!(a.stats_handle().peer(NodeId(2)), Some(stats));
    assert_eq!(stats.connects, 1, "{stats:?}");
    assert_eq!(b.stats(NodeId(1)).expect("b's link").connects, 1);
    // The counter moves just after the delivery the test already saw.
    eventually("b to count 200 received envelopes", || {
        b.stats(NodeId(1)).expect("b's link").received_messages == 200
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_peers_exchange_all_to_all() {
    init_tracing();
    let (_roster, mut nodes) = cluster(3).await;
    for (i, (t, _)) in nodes.iter().enumerate() {
        let from = i as u64 + 1;
        for to in 1..=3u64 {
            if to != from {
                for seq in 0..50 {
                    t.send(NodeId(to), &envelope(from, to, seq)).expect("send");
                }
            }
        }
    }
    for (i, (_, rx)) in nodes.iter_mut().enumerate() {
        let me = i as u64 + 1;
        let mut next = std::collections::BTreeMap::<u64, u64>::new();
        for _ in 0..100 {
            let got = recv(rx, &format!("envelopes at member {me}")).await;
            let seq = next.entry(got.peer.get()).or_default();
            assert_eq!(
                got.envelope,
                envelope(got.peer.get(), me, *seq),
                "per-peer order"
            );
            *seq += 1;
        }
        assert_eq!(next.len(), 2, "both other peers were heard: {next:?}");
    }
    for (t, _) in nodes {
        t.shutdown().await;
    }
}

/// Sends numbered envelopes until one arrives: envelopes sent into a dead stream before
/// the sender notices are lost, as consensus allows.
async fn deliver_eventually(
    from: &Transport,
    from_id: u64,
    to_id: u64,
    rx: &mut tokio::sync::mpsc::Receiver<parliament_net::Inbound>,
    what: &str,
) {
    within(what, async {
        let mut seq = 1000;
        loop {
            from.send(NodeId(to_id), &envelope(from_id, to_id, seq))
                .expect("send");
            seq += 1;
            if let Ok(Some(got)) =
                tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await
            {
                assert_eq!(got.peer, NodeId(from_id));
                let sent = (1000..seq)
                    .map(|s| envelope(from_id, to_id, s))
                    .collect::<Vec<_>>();
                assert!(
                    sent.contains(&got.envelope),
                    "{:?} was never sent",
                    got.envelope
                );
                return;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_peers_are_redialled_and_delivery_resumes() {
    init_tracing();
    let (roster, mut nodes) = cluster(2).await;
    let (b, mut b_rx) = nodes.pop().expect("b");
    let (a, mut a_rx) = nodes.pop().expect("a");
    let b_addr = b.local_addr();
    let a_addr = a.local_addr();
    deliver_eventually(&a, 1, 2, &mut b_rx, "a first message at b").await;

    info!("--- restart b (the listener); a redials");
    b.shutdown().await;
    drop(b_rx);
    let listener = tokio::net::TcpListener::bind(b_addr)
        .await
        .expect("rebind b's port");
    let (b, mut b_rx) = Transport::start(config(2), roster.clone(), listener)
        .await
        .expect("restart b");
    deliver_eventually(&a, 1, 2, &mut b_rx, "a's messages at the restarted b").await;
    deliver_eventually(&b, 2, 1, &mut a_rx, "the restarted b's messages at a").await;
    let stats = a.stats(NodeId(2)).expect("link");
    assert!(stats.connects >= 2, "a reconnected: {stats:?}");

    info!("--- restart a (the dialer); it dials again on start");
    a.shutdown().await;
    drop(a_rx);
    let listener = tokio::net::TcpListener::bind(a_addr)
        .await
        .expect("rebind a's port");
    let (a, mut a_rx) = Transport::start(config(1), roster, listener)
        .await
        .expect("restart a");
    deliver_eventually(&b, 2, 1, &mut a_rx, "b's messages at the restarted a").await;
    deliver_eventually(&a, 1, 2, &mut b_rx, "the restarted a's messages at b").await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_stays_within_the_queue_bound_and_drops_the_oldest() {
    init_tracing();
    const CAPACITY: usize = 64;
    const FLOOD: u64 = 20_000;
    let mut listeners = vec![listener().await, listener().await];
    let addrs: Vec<_> = listeners
        .iter()
        .map(|l| l.local_addr().expect("addr"))
        .collect();
    let roster = roster(&addrs);
    let mut ca = config(1);
    ca.queue_capacity = CAPACITY;
    let mut cb = config(2);
    cb.inbound_capacity = 4;
    let lb = listeners.pop().expect("b listener");
    let la = listeners.pop().expect("a listener");
    let (a, _a_rx) = Transport::start(ca, roster.clone(), la).await.expect("a");
    let (b, mut b_rx) = Transport::start(cb, roster, lb).await.expect("b");
    // The first envelope opens the stream (streams open on demand).
    a.send(NodeId(2), &envelope(1, 2, 0)).expect("send");
    within("a's stream to b", a.wait_connected(NodeId(2)))
        .await
        .expect("peer");
    let first = recv(&mut b_rx, "the first envelope at b").await;
    assert_eq!(first.envelope, envelope(1, 2, 0));

    info!("--- flood b, which does not read, with {FLOOD} 1 KiB appends");
    for seq in 0..FLOOD {
        a.send(NodeId(2), &big(1, 2, seq, 1024))
            .expect("send never waits");
        if seq % 256 == 0 {
            tokio::task::yield_now().await;
        }
        let queued = a.stats(NodeId(2)).expect("link").queued;
        assert!(queued <= CAPACITY, "queue at {queued} exceeds {CAPACITY}");
    }
    let stats = a.stats(NodeId(2)).expect("link");
    info!(?stats, "after the flood");
    assert!(stats.queue_high_water <= CAPACITY, "{stats:?}");
    assert!(
        stats.dropped_overflow > 0,
        "back-pressure must drop: {stats:?}"
    );
    assert!(
        stats.dropped_overflow + stats.sent_messages + stats.queued as u64 <= FLOOD + 1,
        "{stats:?}"
    );

    info!("--- b drains; the newest envelope survived the drops");
    within("the last flood envelope at b", async {
        loop {
            let got = recv(&mut b_rx, "flood envelopes at b").await;
            if got.envelope == big(1, 2, FLOOD - 1, 1024) {
                break;
            }
        }
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_messages_are_refused_at_send_and_oversize_frames_reset_the_stream() {
    init_tracing();
    let mut listeners = vec![listener().await, listener().await];
    let addrs: Vec<_> = listeners
        .iter()
        .map(|l| l.local_addr().expect("addr"))
        .collect();
    let roster = roster(&addrs);
    let limits = |mut c: parliament_net::TransportConfig| {
        c.max_frame_bytes = 64 * 1024;
        c.max_message_bytes = 16 * 1024;
        c
    };
    let lb = listeners.pop().expect("b listener");
    let la = listeners.pop().expect("a listener");
    let (b, mut b_rx) = Transport::start(limits(config(2)), roster.clone(), lb)
        .await
        .expect("b");

    info!("--- a raw peer posing as member 1 sends a frame over b's limit");
    let huge = batch(vec![peer::Envelope::from(&big(1, 2, 0, 100 * 1024))]);
    let (response, _keep) = raw_stream(b.local_addr(), vec![hello(1, CLUSTER), huge]).await;
    let mut inbound = response.expect("the hello is accepted");
    let first = within("b's hello", inbound.message()).await.expect("hello");
    assert!(matches!(
        first,
        Some(Frame {
            kind: Some(frame::Kind::Hello(_))
        })
    ));
    let status = within("b resets the stream", inbound.message())
        .await
        .expect_err("an oversize frame must fail the stream");
    info!(%status, "b's answer");
    assert_eq!(status.code(), Code::OutOfRange, "{status}");
    assert!(status.message().contains("too large"), "{status}");

    info!("--- the real member 1 connects; sends refuse oversize envelopes, the rest flow");
    let (a, _a_rx) = Transport::start(limits(config(1)), roster, la)
        .await
        .expect("a");
    let err = a
        .send(NodeId(2), &big(1, 2, 1, 32 * 1024))
        .expect_err("over max_message_bytes");
    assert!(
        matches!(
            err,
            Error::MessageTooLarge {
                peer: NodeId(2),
                envelope: "district",
                kind: "append",
                limit: 16384,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("district append message to n2 is "),
        "{err}"
    );
    assert!(
        err.to_string().contains("over the 16384-byte limit"),
        "{err}"
    );
    let err = a
        .send(NodeId(2), &big_batch(1, 1, 32 * 1024))
        .expect_err("a session batch over max_message_bytes");
    assert!(
        matches!(
            err,
            Error::MessageTooLarge {
                envelope: "session",
                kind: "batch",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(a.stats(NodeId(2)).expect("link").dropped_oversize, 2);
    // Many envelopes near the limit: batches must split to stay under the frame limit.
    let near = |seq| {
        if seq % 2 == 0 {
            big(1, 2, seq, 15 * 1024)
        } else {
            big_batch(1, seq, 15 * 1024)
        }
    };
    for seq in 0..20 {
        a.send(NodeId(2), &near(seq)).expect("under the limit");
    }
    for seq in 0..20 {
        let got = recv(&mut b_rx, &format!("envelope {seq} at b")).await;
        assert_eq!(got.envelope, near(seq));
    }
    eventually("a to count 20 sent envelopes", || {
        a.stats(NodeId(2)).expect("link").sent_messages == 20
    })
    .await;
    let stats = a.stats(NodeId(2)).expect("link");
    assert!(
        stats.sent_frames >= 5,
        "20 x 15 KiB cannot fit in fewer than 5 64 KiB frames: {stats:?}"
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_envelopes_are_dropped_and_counted_and_the_stream_is_kept() {
    init_tracing();
    let l = listener().await;
    let roster = roster(&[
        "127.0.0.1:9"
            .parse()
            .expect("member 1's address, never dialled by b"),
        l.local_addr().expect("addr"),
    ]);
    let mut c = config(2);
    c.max_frame_bytes = 64 * 1024;
    c.max_message_bytes = 16 * 1024;
    let (b, mut b_rx) = Transport::start(c, roster, l).await.expect("b");

    info!("--- a raw peer posing as member 1 mixes malformed envelopes with good ones");
    let good = |seq| peer::Envelope::from(&envelope(1, 2, seq));
    let no_kind = peer::Envelope { kind: None };
    let no_group = {
        let mut e = peer::Envelope::from(&envelope(1, 2, 4));
        let Some(peer::envelope::Kind::Session(peer::SessionMessage {
            kind: Some(peer::session_message::Kind::Batch(batch)),
        })) = &mut e.kind
        else {
            panic!("envelope 4 is a session batch: {e:?}");
        };
        batch.district = u64::MAX;
        e
    };
    let too_many = peer::Envelope::from(&Envelope::Session(SessionMessage::Batch {
        district: parliament_engine::westminster::DistrictId(1),
        entries: vec![
            parliament_engine::westminster::SessionEntry {
                ticket: ticket(1, 0),
                command: bytes::Bytes::new(),
            };
            parliament_proto::MAX_SESSION_BATCH_ENTRIES + 1
        ],
    }));
    let oversize = peer::Envelope::from(&big(1, 2, 0, 20 * 1024));
    let frames = vec![
        hello(1, CLUSTER),
        batch(vec![
            good(0),
            no_kind,
            good(1),
            no_group,
            too_many,
            oversize,
            good(2),
        ]),
        batch(vec![good(3)]),
    ];
    let (response, _keep) = raw_stream(b.local_addr(), frames).await;
    let _inbound = response.expect("the hello is accepted");

    info!("--- the good envelopes arrive in order, the second frame too: the stream is kept");
    for seq in 0..4 {
        let got = recv(&mut b_rx, &format!("good envelope {seq} at b")).await;
        assert_eq!((got.peer, got.envelope), (NodeId(1), envelope(1, 2, seq)));
    }
    let stats = b.stats(NodeId(1)).expect("b's link to 1");
    assert_eq!(stats.malformed, 4, "{stats:?}");
    assert!(
        b_rx.try_recv().is_err(),
        "nothing malformed reaches the engine"
    );
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_peers_and_strangers_are_refused_at_the_handshake() {
    init_tracing();
    let (_roster, mut nodes) = cluster(2).await;
    let (b, mut b_rx) = nodes.pop().expect("b");
    let cases = [
        (
            "unknown member",
            hello(99, CLUSTER),
            Code::PermissionDenied,
            "member n99 is not in the roster",
        ),
        (
            "other cluster",
            hello(1, "holyrood"),
            Code::PermissionDenied,
            "cluster \"holyrood\"",
        ),
        (
            "own id",
            hello(2, CLUSTER),
            Code::PermissionDenied,
            "own id",
        ),
        (
            "an old peer speaking version 1 (bare engine messages)",
            hello_version(1, CLUSTER, 1),
            Code::FailedPrecondition,
            "peer protocol version 1 is not supported (this member speaks 2)",
        ),
        (
            "batch before hello",
            batch(vec![]),
            Code::InvalidArgument,
            "must be a hello",
        ),
    ];
    for (name, first, code, reason) in cases {
        let (response, _keep) = raw_stream(b.local_addr(), vec![first]).await;
        let status = response.expect_err(name);
        assert_eq!(status.code(), code, "{name}: {status}");
        assert!(status.message().contains(reason), "{name}: {status}");
    }

    info!("--- a real transport outside b's roster keeps failing to connect");
    let outsider_listener = listener().await;
    let outsider_roster = roster_with_outsider(
        b.local_addr(),
        outsider_listener.local_addr().expect("addr"),
    );
    let (outsider, _rx) = Transport::start(config(0), outsider_roster, outsider_listener)
        .await
        .expect("outsider");
    // The outsider claims id 0, which b's roster lacks.
    outsider
        .send(NodeId(2), &envelope(0, 2, 0))
        .expect("queued");
    eventually("the outsider's failed handshakes", || {
        outsider.stats(NodeId(2)).expect("link").connect_failures >= 2
    })
    .await;
    assert_eq!(outsider.stats(NodeId(2)).expect("link").connects, 0);
    assert!(
        b_rx.try_recv().is_err(),
        "nothing from strangers reaches the engine"
    );
    outsider.shutdown().await;
    b.shutdown().await;
    drop(nodes);
}

/// A roster where member 0 (unknown to b) lives at `outsider` and member 2 is b.
fn roster_with_outsider(
    b: std::net::SocketAddr,
    outsider: std::net::SocketAddr,
) -> parliament_net::Roster {
    parliament_net::Roster::new([member(0, outsider), member(2, b)])
}
