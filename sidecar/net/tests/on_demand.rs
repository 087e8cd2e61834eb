//! Streams opened on demand (`Connect::OnDemand`, the default): a pair connects only
//! once one of them sends, either side may dial, idle streams close, and a pair that
//! dialled each other at once settles on one stream.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parliament_engine::NodeId;
use parliament_net::{Connect, Transport};
use support::*;
use tracing::info;

const IDLE: Duration = Duration::from_millis(300);

fn on_demand(c: &mut parliament_net::TransportConfig) {
    c.connect = Connect::OnDemand { idle_timeout: IDLE };
}

fn streams(t: &Transport, peer: u64) -> usize {
    t.stats(NodeId(peer)).expect("link").streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_open_on_the_first_send_and_close_once_idle() {
    init_tracing();
    let (_roster, mut nodes) = cluster_with(3, on_demand).await;
    let (c, _c_rx) = nodes.pop().expect("c");
    let (b, mut b_rx) = nodes.pop().expect("b");
    let (a, mut a_rx) = nodes.pop().expect("a");

    info!("--- a sends to b: only that pair connects");
    a.send(NodeId(2), &envelope(1, 2, 0)).expect("a sends");
    let got = recv(&mut b_rx, "a's envelope at b").await;
    assert_eq!((got.peer, got.envelope), (NodeId(1), envelope(1, 2, 0)));
    // An eager transport dials every pair at start; by now a and b would also have
    // streams to c.
    for (t, peer) in [(&a, 3), (&b, 3), (&c, 1), (&c, 2)] {
        let s = t.stats(NodeId(peer)).expect("link");
        assert_eq!(
            (s.connects, s.connect_failures, s.streams),
            (0, 0, 0),
            "{s:?}"
        );
    }

    info!("--- b answers on the stream a opened");
    b.send(NodeId(1), &envelope(2, 1, 1)).expect("b sends");
    let got = recv(&mut a_rx, "b's answer at a").await;
    assert_eq!((got.peer, got.envelope), (NodeId(2), envelope(2, 1, 1)));
    assert_eq!(b.stats(NodeId(1)).expect("link").connects, 1);
    assert_eq!(a.stats(NodeId(2)).expect("link").connects, 1);

    info!("--- silence: the stream closes on both sides");
    eventually("the idle stream to close", || {
        streams(&a, 2) == 0 && streams(&b, 1) == 0
    })
    .await;
    let closes =
        a.stats(NodeId(2)).expect("a").idle_closes + b.stats(NodeId(1)).expect("b").idle_closes;
    assert!(closes >= 1, "closed for idleness, not by an error");

    info!("--- b (the higher id) sends again: it dials, and a receives");
    b.send(NodeId(1), &envelope(2, 1, 2)).expect("b sends");
    let got = recv(&mut a_rx, "b's envelope after the idle close").await;
    assert_eq!(got.envelope, envelope(2, 1, 2));
    assert_eq!(b.stats(NodeId(1)).expect("link").connects, 2);
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

/// Counts what arrives on `rx` until the transport stops.
fn drain(mut rx: tokio::sync::mpsc::Receiver<parliament_net::Inbound>) -> Arc<AtomicU64> {
    let count = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&count);
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_that_dials_each_other_at_once_settles_on_one_stream() {
    init_tracing();
    const ROUNDS: u64 = 5;
    let (_roster, mut nodes) = cluster_with(2, on_demand).await;
    let (b, b_rx) = nodes.pop().expect("b");
    let (a, a_rx) = nodes.pop().expect("a");
    let (at_a, at_b) = (drain(a_rx), drain(b_rx));
    let mut doubled = 0;
    let mut sent = 0;
    for round in 0..ROUNDS {
        eventually("every stream to close", || {
            streams(&a, 2) == 0 && streams(&b, 1) == 0
        })
        .await;
        let before =
            a.stats(NodeId(2)).expect("a").connects + b.stats(NodeId(1)).expect("b").connects;
        info!(
            round,
            "--- both send at once, then keep talking for 4 idle timeouts"
        );
        let until = tokio::time::Instant::now() + 4 * IDLE;
        let mut seq = round * 10_000;
        while tokio::time::Instant::now() < until {
            a.send(NodeId(2), &envelope(1, 2, seq)).expect("a sends");
            b.send(NodeId(1), &envelope(2, 1, seq)).expect("b sends");
            seq += 1;
            sent += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Both members write on the stream the lower id dialled (the rule itself is
        // tested in `link`), so a second stream carried nothing and has closed by now.
        assert_eq!((streams(&a, 2), streams(&b, 1)), (1, 1), "round {round}");
        let after =
            a.stats(NodeId(2)).expect("a").connects + b.stats(NodeId(1)).expect("b").connects;
        // A stream counts once at each end: 2 for one stream, 4 for two.
        if after - before > 2 {
            doubled += 1;
        }
    }
    info!(doubled, "rounds in which both dialled");
    eventually("every envelope to arrive", || {
        at_a.load(Ordering::Relaxed) + at_b.load(Ordering::Relaxed) >= 2 * sent
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}
