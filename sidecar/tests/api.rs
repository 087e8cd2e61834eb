//! The client API of real member processes: every operation at every scope and read
//! level over gRPC and HTTP/JSON, redirects to the leader, and bad input refused with a
//! clear error that changes nothing.

mod common;

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use parliament::api::grpc;
use parliament::cli::client;
use parliament_proto::client as pb;
use tonic::Code;

fn scope(kind: pb::scope::Kind) -> Option<pb::Scope> {
    Some(pb::Scope { kind: Some(kind) })
}

fn global() -> Option<pb::Scope> {
    scope(pb::scope::Kind::Global(pb::Global {}))
}

fn district(name: &str) -> Option<pb::Scope> {
    scope(pb::scope::Kind::District(name.to_owned()))
}

async fn put(addr: &str, s: Option<pb::Scope>, key: &str, value: &str) -> pb::PutResponse {
    let req = pb::PutRequest {
        scope: s,
        key: key.to_owned(),
        value: Bytes::from(value.to_owned()),
        options: None,
        if_absent: false,
    };
    client::call(addr, Duration::from_secs(20), |mut c| {
        let req = req.clone();
        async move { c.put(req).await.map(tonic::Response::into_inner) }
    })
    .await
    .expect("put is answered")
    .0
}

async fn get(
    addr: &str,
    s: Option<pb::Scope>,
    key: &str,
    level: pb::ReadLevel,
    min: u64,
) -> pb::GetResponse {
    let req = pb::GetRequest {
        scope: s,
        key: key.to_owned(),
        read: Some(pb::ReadOptions {
            level: level as i32,
            min_revision: min,
        }),
    };
    client::call(addr, Duration::from_secs(20), |mut c| {
        let req = req.clone();
        async move { c.get(req).await.map(tonic::Response::into_inner) }
    })
    .await
    .expect("get is answered")
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_at_every_scope_and_level_over_grpc_and_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    tracing::info!("--- start 3 districts of 3 members with mutual TLS");
    let mut cluster = common::start(dir.path(), "api", 3, 3, true, 21_000);
    let statuses = common::convened(&cluster, Duration::from_secs(60)).await;
    let names: Vec<String> = cluster
        .roster()
        .districts
        .iter()
        .map(|d| d.name.clone())
        .collect();
    let first = &names[0];
    let (rep, _) = common::holder(&statuses, pb::RoleKind::Representative, Some(first))
        .expect("a representative");
    let follower = cluster
        .members()
        .iter()
        .find(|m| &m.district == first && m.id != rep)
        .expect("a follower")
        .id;
    let follower_api = common::api(&cluster, follower);

    tracing::info!("--- a district write at a follower is redirected to the representative");
    let mut c = client::connect(&follower_api).await.expect("connect");
    let refused = c
        .put(pb::PutRequest {
            scope: district(first),
            key: "k".to_owned(),
            value: Bytes::from_static(b"v"),
            options: None,
            if_absent: false,
        })
        .await
        .expect_err("a follower does not take district writes");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    match grpc::detail(&refused) {
        Some(pb::error_detail::Kind::NotLeader(nl)) => {
            assert_eq!(nl.leader_id, rep);
            assert_eq!(nl.leader_address, common::api(&cluster, rep));
        }
        other => panic!("expected NotLeader, got {other:?}"),
    }
    let w = put(&follower_api, district(first), "k", "v1").await;
    let rev = w.result.expect("result").revision;
    assert!(rev > 0);

    tracing::info!("--- district reads at every level");
    for level in [
        pb::ReadLevel::Strict,
        pb::ReadLevel::Linearizable,
        pb::ReadLevel::Lease,
    ] {
        let r = get(&follower_api, district(first), "k", level, 0).await;
        assert!(r.found, "{level:?}");
        assert_eq!(&r.value[..], b"v1", "{level:?}");
        assert!(r.revision >= rev);
    }
    let r = get(
        &follower_api,
        district(first),
        "k",
        pb::ReadLevel::AtLeastRevision,
        rev,
    )
    .await;
    assert_eq!(
        (&r.value[..], r.served_by.as_str()),
        (
            &b"v1"[..],
            cluster
                .member(follower)
                .map(|m| m.name.as_str())
                .unwrap_or("")
        )
    );

    tracing::info!("--- a global write at a plain member of another district, read everywhere");
    let other = cluster
        .members()
        .iter()
        .find(|m| m.district == names[2])
        .expect("member")
        .id;
    let g = put(&common::api(&cluster, other), global(), "g", "hello").await;
    let grev = g.result.expect("result").revision;
    for m in cluster.members().to_vec() {
        let r = get(&m.api, global(), "g", pb::ReadLevel::AtLeastRevision, grev).await;
        assert_eq!(&r.value[..], b"hello", "at {}", m.name);
    }
    for level in [
        pb::ReadLevel::Strict,
        pb::ReadLevel::Linearizable,
        pb::ReadLevel::Lease,
    ] {
        let r = get(&follower_api, global(), "g", level, 0).await;
        assert_eq!(&r.value[..], b"hello", "{level:?}");
    }

    tracing::info!("--- compare-and-swap, create-if-absent and delete");
    let mut c = client::connect(&common::api(&cluster, rep))
        .await
        .expect("connect");
    let current = w.meta.expect("meta").mod_revision;
    let cas = |expect: u64, value: &'static str| pb::CasRequest {
        scope: district(first),
        key: "k".to_owned(),
        expect_revision: expect,
        new: Some(pb::cas_request::New::Value(Bytes::from_static(
            value.as_bytes(),
        ))),
        options: None,
    };
    let ok = c.cas(cas(current, "v2")).await.expect("cas").into_inner();
    assert!(ok.succeeded);
    let stale = c.cas(cas(current, "v3")).await.expect("cas").into_inner();
    assert!(!stale.succeeded);
    assert_eq!(stale.current_revision, ok.meta.expect("meta").mod_revision);
    let conflict = c
        .put(pb::PutRequest {
            scope: district(first),
            key: "k".to_owned(),
            value: Bytes::from_static(b"x"),
            options: None,
            if_absent: true,
        })
        .await
        .expect_err("the key exists");
    assert_eq!(conflict.code(), Code::Aborted);
    assert!(matches!(
        grpc::detail(&conflict),
        Some(pb::error_detail::Kind::Conflict(_))
    ));
    let deleted = c
        .delete(pb::DeleteRequest {
            scope: district(first),
            key: "k".to_owned(),
            options: None,
        })
        .await
        .expect("delete")
        .into_inner();
    assert!(deleted.existed);

    tracing::info!("--- bad input is refused, naming the field, and changes nothing");
    let bad = |s: Option<pb::Scope>, key: &str, value: Bytes| pb::PutRequest {
        scope: s,
        key: key.to_owned(),
        value,
        options: None,
        if_absent: false,
    };
    for (req, field) in [
        (bad(None, "k", Bytes::new()), "scope"),
        (
            bad(district("no such district!"), "k", Bytes::new()),
            "scope.district",
        ),
        (bad(global(), "", Bytes::new()), "key"),
        (
            bad(global(), "big", Bytes::from(vec![7u8; 2 << 20])),
            "value",
        ),
    ] {
        let e = c.put(req).await.expect_err("bad input");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        match grpc::detail(&e) {
            Some(pb::error_detail::Kind::BadRequest(b)) => assert_eq!(b.field, field, "{e:?}"),
            other => panic!("expected BadRequest for {field}, got {other:?}: {e:?}"),
        }
    }
    let e = c
        .get(pb::GetRequest {
            scope: global(),
            key: "g".to_owned(),
            read: Some(pb::ReadOptions {
                level: 99,
                min_revision: 0,
            }),
        })
        .await
        .expect_err("unknown level");
    assert_eq!(e.code(), Code::InvalidArgument);
    let r = get(
        &follower_api,
        global(),
        "big",
        pb::ReadLevel::Linearizable,
        0,
    )
    .await;
    assert!(!r.found, "the oversize put changed nothing");

    tracing::info!("--- the HTTP/JSON API mirrors it");
    let rep_api = common::api(&cluster, rep);
    let body = format!(r#"{{"scope":"district/{first}","key":"h","value":"json"}}"#);
    let (code, text) = common::http(&rep_api, "PUT", "/v1/kv", Some(&body)).await;
    assert_eq!(code, 200, "{text}");
    let (code, text) = common::http(
        &rep_api,
        "GET",
        &format!("/v1/kv?scope=district/{first}&key=h&level=lease"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains(r#""value":"json""#), "{text}");
    let (code, text) = common::http(&follower_api, "PUT", "/v1/kv", Some(&body)).await;
    assert_eq!(code, 421, "{text}");
    assert!(
        text.contains(r#""code":"not-leader""#) && text.contains(&rep_api),
        "{text}"
    );
    let (code, text) = common::http(
        &rep_api,
        "PUT",
        "/v1/kv",
        Some(r#"{"scope":"global","key":"x""#),
    )
    .await;
    assert!((400..500).contains(&code), "malformed JSON: {code} {text}");
    let (code, text) = common::http(&rep_api, "GET", "/v1/kv?scope=nowhere&key=h", None).await;
    assert_eq!(code, 400, "{text}");
    assert!(text.contains(r#""field":"scope""#), "{text}");
    let (code, text) = common::http(&rep_api, "GET", "/v1/roles", None).await;
    assert_eq!(code, 200, "{text}");
    assert!(
        text.contains(r#""role":"representative""#) || text.contains(r#""role":"prime-minister""#),
        "{text}"
    );
    let metrics = &cluster.member(rep).expect("rep").metrics.clone();
    let (code, text) = common::http(metrics, "GET", "/metrics", None).await;
    assert_eq!(code, 200);
    assert!(text.contains("parliament_commit_seconds"), "{text}");
    let (code, _) = common::http(metrics, "GET", "/readyz", None).await;
    assert_eq!(code, 200);

    tracing::info!("--- watching roles starts with the full picture");
    let mut c = client::connect(&rep_api).await.expect("connect");
    let mut stream = c
        .watch_roles(pb::WatchRolesRequest {})
        .await
        .expect("watch")
        .into_inner();
    match stream.next().await {
        Some(Ok(pb::RoleEvent {
            kind: Some(pb::role_event::Kind::Snapshot(s)),
        })) => assert_eq!(s.member_id, rep),
        other => panic!("expected a snapshot first, got {other:?}"),
    }
    cluster.stop_all().await;
}
