//! The client API over HTTP/JSON (axum), mirroring the gRPC service operation for
//! operation: each route builds the gRPC request message and calls the same
//! [`service`] function. Values are UTF-8 text here; use gRPC for arbitrary bytes.
//! Role changes stream as server-sent events.

use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use parliament_engine::state::Scope;
use parliament_proto::client as pb;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_stream::wrappers::WatchStream;

use crate::api::service;
use crate::node::{ClientError, NodeHandle, RolesView};

/// The routes of the client API.
pub fn router(node: NodeHandle) -> Router {
    Router::new()
        .route("/v1/roles", get(roles))
        .route("/v1/roles/watch", get(watch_roles))
        .route("/v1/kv", get(kv_get).put(kv_put))
        .route("/v1/kv/delete", post(kv_delete))
        .route("/v1/kv/cas", post(kv_cas))
        .route("/v1/sessions", post(open_session))
        .route("/v1/sessions/close", post(close_session))
        .route("/v1/barrier", post(barrier))
        .with_state(node)
}

/// An error as the HTTP API shows it: a status and a JSON body saying what to do.
#[derive(Debug)]
pub struct HttpError(pub ClientError);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let e = &self.0;
        let (status, code, extra) = match e {
            ClientError::NotLeader {
                group,
                leader,
                term,
            } => (
                StatusCode::MISDIRECTED_REQUEST,
                "not-leader",
                json!({
                    "group": group,
                    "term": term,
                    "leader": leader.as_ref().map(|l| l.name.clone()),
                    "leaderId": leader.as_ref().map(|l| l.id.0),
                    "leaderAddress": leader.as_ref().and_then(|l| l.address.clone()),
                }),
            ),
            ClientError::NoQuorum {
                group,
                since_unix_ms,
            } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "no-quorum",
                json!({"group": group, "sinceUnixMs": since_unix_ms}),
            ),
            ClientError::Conflict { current_revision } => (
                StatusCode::CONFLICT,
                "conflict",
                json!({"currentRevision": current_revision}),
            ),
            ClientError::BadRequest { field, reason } => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                json!({"field": field, "reason": reason}),
            ),
            ClientError::StaleFence { highest } => (
                StatusCode::FORBIDDEN,
                "stale-fence",
                json!({"highest": {"group": highest.group.0, "term": highest.term.0}}),
            ),
            ClientError::Busy(_) => (StatusCode::TOO_MANY_REQUESTS, "busy", json!({})),
            ClientError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout", json!({})),
            ClientError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused", json!({})),
            ClientError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", json!({}))
            }
        };
        let mut body = json!({"code": code, "message": e.to_string()});
        if let (Value::Object(b), Value::Object(x)) = (&mut body, extra) {
            b.extend(x);
        }
        (status, Json(json!({ "error": body }))).into_response()
    }
}

type HttpResult = Result<Json<Value>, HttpError>;

fn scope_of(text: &str) -> Result<pb::Scope, HttpError> {
    let scope = Scope::parse(text).map_err(|e| {
        HttpError(ClientError::BadRequest {
            field: "scope".to_owned(),
            reason: format!("{e}; use global, critical or district/<name>"),
        })
    })?;
    Ok(service::scope_to_proto(&scope))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fence {
    group: u64,
    term: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestIdBody {
    client: u64,
    seq: u64,
}

fn options(fence: Option<Fence>, request: Option<RequestIdBody>) -> Option<pb::WriteOptions> {
    if fence.is_none() && request.is_none() {
        return None;
    }
    Some(pb::WriteOptions {
        fence: fence.map(|f| pb::FencingToken {
            group: f.group,
            term: f.term,
        }),
        request: request.map(|r| pb::RequestId {
            client: r.client,
            seq: r.seq,
        }),
    })
}

fn write_result(r: Option<&pb::WriteResult>) -> Value {
    r.map_or(Value::Null, |r| {
        json!({
            "revision": r.revision,
            "token": r.token.as_ref().map(|t| json!({"group": t.group, "term": t.term})),
            "replayed": r.replayed,
        })
    })
}

fn key_meta(m: Option<&pb::KeyMeta>) -> Value {
    m.map_or(Value::Null, |m| {
        json!({
            "createRevision": m.create_revision,
            "modRevision": m.mod_revision,
            "version": m.version,
        })
    })
}

async fn roles(State(node): State<NodeHandle>) -> Json<Value> {
    let view = node.roles().borrow().clone();
    Json(roles_json(&node, &view))
}

/// The roles as JSON: the gRPC `RolesResponse`, plus the raw view for `status`.
pub(crate) fn roles_json(node: &NodeHandle, view: &RolesView) -> Value {
    let r = service::roles(node, view);
    let d = node.directory();
    json!({
        "member": r.member,
        "memberId": r.member_id,
        "district": r.district,
        "role": view.member_role().label(),
        "districtTerm": view.district_term.0,
        "representative": view.representative.and_then(|id| d.member(id)).map(|e| e.name.clone()),
        "commonsTerm": view.seat.map(|s| s.term.0),
        "primeMinisterDistrict": view.seat.and_then(|s| s.leader).map(|l| d.district_name(l).to_owned()),
        "session": r.session,
        "globalCommit": view.global_commit.0,
        "globalRevision": view.global_revision,
        "queued": view.queued,
        "roles": r.roles.iter().map(|g| json!({
            "kind": pb::RoleKind::try_from(g.kind).map_or("unspecified", |k| match k {
                pb::RoleKind::Member => "member",
                pb::RoleKind::Representative => "representative",
                pb::RoleKind::PrimeMinister => "prime-minister",
                pb::RoleKind::Lord => "lord",
                pb::RoleKind::Unspecified => "unspecified",
            }),
            "member": g.member,
            "memberId": g.member_id,
            "district": g.district,
            "token": g.token.as_ref().map(|t| json!({"group": t.group, "term": t.term})),
        })).collect::<Vec<_>>(),
    })
}

async fn watch_roles(
    State(node): State<NodeHandle>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let n = node.clone();
    let stream = WatchStream::new(node.roles()).map(move |view| {
        Ok(Event::default()
            .event("roles")
            .data(roles_json(&n, &view).to_string()))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GetQuery {
    scope: String,
    key: String,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    min_revision: Option<u64>,
}

/// Parses a read level's name as `kv --level` and the HTTP API spell it.
///
/// # Errors
/// A [`ClientError::BadRequest`] listing the levels.
pub fn level_of(name: &str) -> Result<pb::ReadLevel, ClientError> {
    match name {
        "strict" => Ok(pb::ReadLevel::Strict),
        "linearizable" => Ok(pb::ReadLevel::Linearizable),
        "lease" => Ok(pb::ReadLevel::Lease),
        "at-least-revision" => Ok(pb::ReadLevel::AtLeastRevision),
        "stale" => Ok(pb::ReadLevel::Stale),
        other => Err(ClientError::BadRequest {
            field: "level".to_owned(),
            reason: format!(
                "unknown read level {other:?}; use strict, linearizable, lease, at-least-revision or stale"
            ),
        }),
    }
}

async fn kv_get(State(node): State<NodeHandle>, Query(q): Query<GetQuery>) -> HttpResult {
    let level = match q.level.as_deref() {
        None => pb::ReadLevel::Linearizable,
        Some(l) => level_of(l).map_err(HttpError)?,
    };
    let req = pb::GetRequest {
        scope: Some(scope_of(&q.scope)?),
        key: q.key,
        read: Some(pb::ReadOptions {
            level: level as i32,
            min_revision: q.min_revision.unwrap_or(0),
        }),
    };
    let r = service::get(&node, req).await.map_err(HttpError)?;
    Ok(Json(json!({
        "found": r.found,
        "value": r.found.then(|| String::from_utf8_lossy(&r.value).into_owned()),
        "meta": key_meta(r.meta.as_ref()),
        "revision": r.revision,
        "servedBy": r.served_by,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PutBody {
    scope: String,
    key: String,
    value: String,
    #[serde(default)]
    if_absent: bool,
    fence: Option<Fence>,
    request: Option<RequestIdBody>,
}

async fn kv_put(State(node): State<NodeHandle>, Json(b): Json<PutBody>) -> HttpResult {
    let req = pb::PutRequest {
        scope: Some(scope_of(&b.scope)?),
        key: b.key,
        value: Bytes::from(b.value),
        options: options(b.fence, b.request),
        if_absent: b.if_absent,
    };
    let r = service::put(&node, req).await.map_err(HttpError)?;
    Ok(Json(json!({
        "result": write_result(r.result.as_ref()),
        "meta": key_meta(r.meta.as_ref()),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteBody {
    scope: String,
    key: String,
    fence: Option<Fence>,
    request: Option<RequestIdBody>,
}

async fn kv_delete(State(node): State<NodeHandle>, Json(b): Json<DeleteBody>) -> HttpResult {
    let req = pb::DeleteRequest {
        scope: Some(scope_of(&b.scope)?),
        key: b.key,
        options: options(b.fence, b.request),
    };
    let r = service::delete(&node, req).await.map_err(HttpError)?;
    Ok(Json(json!({
        "result": write_result(r.result.as_ref()),
        "existed": r.existed,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CasBody {
    scope: String,
    key: String,
    expect_revision: u64,
    value: Option<String>,
    #[serde(default)]
    delete: bool,
    fence: Option<Fence>,
    request: Option<RequestIdBody>,
}

async fn kv_cas(State(node): State<NodeHandle>, Json(b): Json<CasBody>) -> HttpResult {
    let new = match (b.value, b.delete) {
        (Some(v), false) => pb::cas_request::New::Value(Bytes::from(v)),
        (None, true) => pb::cas_request::New::Delete(pb::Delete {}),
        _ => {
            return Err(HttpError(ClientError::BadRequest {
                field: "value".to_owned(),
                reason: "set exactly one of value or delete: true".to_owned(),
            }));
        }
    };
    let req = pb::CasRequest {
        scope: Some(scope_of(&b.scope)?),
        key: b.key,
        expect_revision: b.expect_revision,
        new: Some(new),
        options: options(b.fence, b.request),
    };
    let r = service::cas(&node, req).await.map_err(HttpError)?;
    Ok(Json(json!({
        "result": write_result(r.result.as_ref()),
        "succeeded": r.succeeded,
        "meta": key_meta(r.meta.as_ref()),
        "currentRevision": r.current_revision,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScopeBody {
    scope: String,
    client: Option<u64>,
    fence: Option<Fence>,
}

async fn open_session(State(node): State<NodeHandle>, Json(b): Json<ScopeBody>) -> HttpResult {
    let req = pb::OpenSessionRequest {
        scope: Some(scope_of(&b.scope)?),
    };
    let r = service::open_session(&node, req).await.map_err(HttpError)?;
    Ok(Json(
        json!({"client": r.client, "result": write_result(r.result.as_ref())}),
    ))
}

async fn close_session(State(node): State<NodeHandle>, Json(b): Json<ScopeBody>) -> HttpResult {
    let Some(client) = b.client else {
        return Err(HttpError(ClientError::BadRequest {
            field: "client".to_owned(),
            reason: "missing: the session's client id".to_owned(),
        }));
    };
    let req = pb::CloseSessionRequest {
        scope: Some(scope_of(&b.scope)?),
        client,
    };
    let r = service::close_session(&node, req)
        .await
        .map_err(HttpError)?;
    Ok(Json(json!({"result": write_result(r.result.as_ref())})))
}

async fn barrier(State(node): State<NodeHandle>, Json(b): Json<ScopeBody>) -> HttpResult {
    let req = pb::BarrierRequest {
        scope: Some(scope_of(&b.scope)?),
        fence: b.fence.map(|f| pb::FencingToken {
            group: f.group,
            term: f.term,
        }),
    };
    let r = service::barrier(&node, req).await.map_err(HttpError)?;
    Ok(Json(json!({"result": write_result(r.result.as_ref())})))
}

/// The operability routes on the metrics port: /metrics, /healthz, /readyz.
pub fn ops_router(node: NodeHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(node): State<NodeHandle>| async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    node.metrics().encode(),
                )
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(|State(node): State<NodeHandle>| async move {
                let view = node.roles().borrow().clone();
                if service::ready(&view) {
                    (
                        StatusCode::OK,
                        "ready: a district leader is known".to_owned(),
                    )
                } else {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not ready: no district leader known yet".to_owned(),
                    )
                }
            }),
        )
        .with_state(node)
}

/// Used by tests and the CLI to decode the error body.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: Value,
}
