//! Mutual TLS over 127.0.0.1: certificates from a throwaway CA, and the identity rule
//! (the dialer's certificate must name the roster identity of the member it claims).

mod support;

use parliament_engine::NodeId;
use parliament_net::{Roster, ThrowawayCa, TlsConfig, Transport, TransportConfig};
use support::*;
use tracing::info;

fn with_tls(mut c: TransportConfig, tls: TlsConfig) -> TransportConfig {
    c.tls = Some(tls);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_with_certificates_from_the_ca_exchange_envelopes_of_every_kind() {
    init_tracing();
    let ca = ThrowawayCa::new(CLUSTER).expect("ca");
    let (la, lb) = (listener().await, listener().await);
    let roster = roster(&[la.local_addr().expect("a"), lb.local_addr().expect("b")]);

    info!("--- certificates travel through files, as `parliament run` reads them");
    let dir = tempfile::tempdir().expect("tempdir");
    let issued = ca.issue("n1.westminster").expect("issue a");
    for (name, pem) in [
        ("ca.pem", &issued.ca_pem),
        ("a.pem", &issued.cert_pem),
        ("a.key", &issued.key_pem),
    ] {
        std::fs::write(dir.path().join(name), pem).expect("write pem");
    }
    let from_files = TlsConfig::from_files(
        dir.path().join("ca.pem"),
        dir.path().join("a.pem"),
        dir.path().join("a.key"),
    )
    .expect("read pems");
    assert_eq!(from_files.cert_pem, issued.cert_pem);
    assert!(
        !format!("{from_files:?}").contains("PRIVATE KEY"),
        "Debug must not print the key"
    );
    let missing =
        TlsConfig::from_files(dir.path().join("nope.pem"), "x", "y").expect_err("missing file");
    assert!(missing.to_string().contains("nope.pem"), "{missing}");

    let (a, mut a_rx) = Transport::start(with_tls(config(1), from_files), roster.clone(), la)
        .await
        .expect("a");
    let (b, mut b_rx) = Transport::start(
        with_tls(config(2), ca.issue("n2.westminster").expect("issue b")),
        roster,
        lb,
    )
    .await
    .expect("b");
    for seq in 0..KINDS {
        a.send(NodeId(2), &envelope(1, 2, seq)).expect("send");
        b.send(NodeId(1), &envelope(2, 1, seq)).expect("send");
    }
    for seq in 0..KINDS {
        assert_eq!(
            recv(&mut b_rx, "a's envelope over TLS").await.envelope,
            envelope(1, 2, seq)
        );
        assert_eq!(
            recv(&mut a_rx, "b's envelope over TLS").await.envelope,
            envelope(2, 1, seq)
        );
    }
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_identity_or_from_another_ca_is_refused() {
    init_tracing();
    let ca = ThrowawayCa::new(CLUSTER).expect("ca");
    let (l1, l2, l3) = (listener().await, listener().await, listener().await);
    let roster: Roster = roster(&[
        l1.local_addr().expect("1"),
        l2.local_addr().expect("2"),
        l3.local_addr().expect("3"),
    ]);
    let (b, mut b_rx) = Transport::start(
        with_tls(config(2), ca.issue("n2.westminster").expect("b")),
        roster.clone(),
        l2,
    )
    .await
    .expect("b");

    info!("--- member 1 dials with member 3's certificate: valid chain, wrong identity");
    let impostor = with_tls(config(1), ca.issue("n3.westminster").expect("n3"));
    let (imp, _rx) = Transport::start(impostor, roster.clone(), l1)
        .await
        .expect("impostor");
    imp.send(NodeId(2), &envelope(1, 2, 0)).expect("queued");
    eventually("the impostor's refused handshakes", || {
        imp.stats(NodeId(2)).expect("link").connect_failures >= 2
    })
    .await;
    assert_eq!(imp.stats(NodeId(2)).expect("link").connects, 0);
    imp.shutdown().await;

    info!("--- member 1 dials with its own name but from a stranger CA");
    let other = ThrowawayCa::new("elsewhere").expect("other ca");
    let l1 = listener().await;
    let mut roster2: Vec<_> = roster.members().cloned().collect();
    roster2[0].address = l1.local_addr().expect("addr").to_string();
    let stranger = with_tls(config(1), other.issue("n1.westminster").expect("n1"));
    let (s, _rx) = Transport::start(stranger, Roster::new(roster2), l1)
        .await
        .expect("stranger");
    s.send(NodeId(2), &envelope(1, 2, 0)).expect("queued");
    eventually("the stranger's failed TLS handshakes", || {
        s.stats(NodeId(2)).expect("link").connect_failures >= 2
    })
    .await;
    assert_eq!(s.stats(NodeId(2)).expect("link").connects, 0);
    assert!(
        b_rx.try_recv().is_err(),
        "nothing from refused peers reaches the engine"
    );
    s.shutdown().await;
    b.shutdown().await;
    drop(l3);
}
