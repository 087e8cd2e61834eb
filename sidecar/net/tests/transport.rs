//! The peer transport over real tonic on 127.0.0.1: exchange, reconnects, back-pressure,
//! size limits and the roster handshake.

mod support;

use parliament_engine::NodeId;
use parliament_net::{Error, Transport};
use parliament_proto::peer::{Batch, Frame, frame};
use support::*;
use tonic::Code;
use tracing::info;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_exchange_batches_both_ways_in_order() {
    init_tracing();
    let (_roster, mut nodes) = cluster(2).await;
    let (b, mut b_rx) = nodes.pop().expect("b");
    let (a, mut a_rx) = nodes.pop().expect("a");

    info!("--- queue 200 messages each way before any stream is up");
    for seq in 0..200 {
        a.send(NodeId(2), &msg(1, 2, seq)).expect("a sends");
        b.send(NodeId(1), &msg(2, 1, seq)).expect("b sends");
    }
    info!("--- each side receives all of them, in order, from the right peer");
    for seq in 0..200 {
        let got = recv(&mut b_rx, &format!("message {seq} at b")).await;
        assert_eq!((got.peer, got.message), (NodeId(1), msg(1, 2, seq)));
        let got = recv(&mut a_rx, &format!("message {seq} at a")).await;
        assert_eq!((got.peer, got.message), (NodeId(2), msg(2, 1, seq)));
    }
    info!("--- they travelled in batches, on one stream");
    // Counters move just after the hand-off to HTTP/2, so wait for them to settle.
    eventually("a to count 200 sent messages", || {
        a.stats(NodeId(2)).expect("a's link to b").sent_messages == 200
    })
    .await;
    let stats = a.stats(NodeId(2)).expect("a's link to b");
    assert!(
        stats.sent_frames < stats.sent_messages,
        "no batching: {stats:?}"
    );
    assert_eq!(stats.connects, 1, "{stats:?}");
    assert_eq!(b.stats(NodeId(1)).expect("b's link").connects, 1);
    // The counter moves just after the delivery the test already saw.
    eventually("b to count 200 received messages", || {
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
                    t.send(NodeId(to), &msg(from, to, seq)).expect("send");
                }
            }
        }
    }
    for (i, (_, rx)) in nodes.iter_mut().enumerate() {
        let me = i as u64 + 1;
        let mut next = std::collections::BTreeMap::<u64, u64>::new();
        for _ in 0..100 {
            let got = recv(rx, &format!("messages at member {me}")).await;
            let seq = next.entry(got.peer.get()).or_default();
            assert_eq!(got.message, msg(got.peer.get(), me, *seq), "per-peer order");
            *seq += 1;
        }
        assert_eq!(next.len(), 2, "both other peers were heard: {next:?}");
    }
    for (t, _) in nodes {
        t.shutdown().await;
    }
}

/// Sends numbered messages until one arrives: messages sent into a dead stream before
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
            from.send(NodeId(to_id), &msg(from_id, to_id, seq))
                .expect("send");
            seq += 1;
            if let Ok(Some(got)) =
                tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await
            {
                assert_eq!(got.peer, NodeId(from_id));
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
    within("a's stream to b", a.wait_connected(NodeId(2)))
        .await
        .expect("peer");

    info!("--- flood b, which does not read, with {FLOOD} 1 KiB messages");
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
        stats.dropped_overflow + stats.sent_messages + stats.queued as u64 <= FLOOD,
        "{stats:?}"
    );

    info!("--- b drains; the newest message survived the drops");
    within("the last flood message at b", async {
        loop {
            let got = recv(&mut b_rx, "flood messages at b").await;
            if got.message == big(1, 2, FLOOD - 1, 1024) {
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
    let huge = Frame {
        kind: Some(frame::Kind::Batch(Batch {
            messages: vec![parliament_proto::peer::Message::from(&big(
                1,
                2,
                0,
                100 * 1024,
            ))],
        })),
    };
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

    info!("--- the real member 1 connects; sends refuse oversize messages, the rest flow");
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
                kind: "append",
                limit: 16384,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("over the 16384-byte limit"),
        "{err}"
    );
    assert_eq!(a.stats(NodeId(2)).expect("link").dropped_oversize, 1);
    // Many messages near the limit: batches must split to stay under the frame limit.
    for seq in 0..20 {
        a.send(NodeId(2), &big(1, 2, seq, 15 * 1024))
            .expect("under the limit");
    }
    for seq in 0..20 {
        let got = recv(&mut b_rx, &format!("message {seq} at b")).await;
        assert_eq!(got.message, big(1, 2, seq, 15 * 1024));
    }
    eventually("a to count 20 sent messages", || {
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
async fn unknown_peers_and_strangers_are_refused_at_the_handshake() {
    init_tracing();
    let (_roster, mut nodes) = cluster(2).await;
    let (b, mut b_rx) = nodes.pop().expect("b");
    let cases = [
        (
            "unknown member",
            hello(99, CLUSTER),
            "member n99 is not in the roster",
        ),
        (
            "other cluster",
            hello(1, "holyrood"),
            "cluster \"holyrood\"",
        ),
        ("own id", hello(2, CLUSTER), "own id"),
        (
            "batch before hello",
            Frame {
                kind: Some(frame::Kind::Batch(Batch::default())),
            },
            "must be a hello",
        ),
    ];
    for (name, first, reason) in cases {
        let (response, _keep) = raw_stream(b.local_addr(), vec![first]).await;
        let status = response.expect_err(name);
        assert!(
            matches!(
                status.code(),
                Code::PermissionDenied | Code::InvalidArgument
            ),
            "{name}: {status}"
        );
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
