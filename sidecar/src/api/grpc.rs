//! The client API over gRPC (`parliament.client.v1.Client`), on localhost.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use parliament_proto::client as pb;
use parliament_proto::client::client_server::{Client, ClientServer};
use prost::Message as _;
use tokio_stream::wrappers::WatchStream;
use tonic::{Code, Request, Response, Status};

use crate::api::service;
use crate::node::{ClientError, NodeHandle, RolesView};

/// The gRPC service.
#[derive(Clone, Debug)]
pub struct ClientService {
    node: NodeHandle,
}

impl ClientService {
    /// The service over `node`.
    #[must_use]
    pub fn new(node: NodeHandle) -> ClientService {
        ClientService { node }
    }

    /// As a tonic server.
    #[must_use]
    pub fn into_server(self) -> ClientServer<ClientService> {
        ClientServer::new(self)
    }
}

/// The gRPC status for a client error: the code says what kind, the message what to do,
/// and the details carry one `ErrorDetail`.
#[must_use]
pub fn status(error: &ClientError) -> Status {
    let (code, detail) = match error {
        ClientError::NotLeader { leader, term, .. } => (
            Code::FailedPrecondition,
            Some(pb::error_detail::Kind::NotLeader(pb::NotLeader {
                leader: leader.as_ref().map_or_else(String::new, |l| l.name.clone()),
                leader_id: leader.as_ref().map_or(0, |l| l.id.0),
                leader_address: leader
                    .as_ref()
                    .and_then(|l| l.address.clone())
                    .unwrap_or_default(),
                term: *term,
            })),
        ),
        ClientError::NoQuorum {
            group,
            since_unix_ms,
        } => (
            Code::Unavailable,
            Some(pb::error_detail::Kind::NoQuorum(pb::NoQuorum {
                group: u64::from(*group == "commons"),
                since_unix_ms: *since_unix_ms,
            })),
        ),
        ClientError::Conflict { current_revision } => (
            Code::Aborted,
            Some(pb::error_detail::Kind::Conflict(pb::Conflict {
                current_revision: *current_revision,
            })),
        ),
        ClientError::BadRequest { field, reason } => (
            Code::InvalidArgument,
            Some(pb::error_detail::Kind::BadRequest(pb::BadRequest {
                field: field.clone(),
                reason: reason.clone(),
            })),
        ),
        ClientError::StaleFence { highest } => (
            Code::PermissionDenied,
            Some(pb::error_detail::Kind::StaleFence(pb::StaleFence {
                highest: Some(pb::FencingToken {
                    group: highest.group.0,
                    term: highest.term.0,
                }),
            })),
        ),
        ClientError::Busy(_) => (Code::ResourceExhausted, None),
        ClientError::Timeout(_) => (Code::DeadlineExceeded, None),
        ClientError::Refused(_) => (Code::FailedPrecondition, None),
        ClientError::Unavailable(_) => (Code::Unavailable, None),
    };
    match detail {
        Some(kind) => {
            let bytes = pb::ErrorDetail { kind: Some(kind) }.encode_to_vec();
            Status::with_details(code, error.to_string(), bytes.into())
        }
        None => Status::new(code, error.to_string()),
    }
}

/// Reads the `ErrorDetail` of a status, if it has one.
#[must_use]
pub fn detail(status: &Status) -> Option<pb::error_detail::Kind> {
    pb::ErrorDetail::decode(status.details())
        .ok()
        .and_then(|d| d.kind)
}

fn answer<T>(r: Result<T, ClientError>) -> Result<Response<T>, Status> {
    r.map(Response::new).map_err(|e| status(&e))
}

type RoleStream = Pin<Box<dyn Stream<Item = Result<pb::RoleEvent, Status>> + Send>>;

#[tonic::async_trait]
impl Client for ClientService {
    async fn roles(
        &self,
        _: Request<pb::RolesRequest>,
    ) -> Result<Response<pb::RolesResponse>, Status> {
        let view = self.node.roles().borrow().clone();
        Ok(Response::new(service::roles(&self.node, &view)))
    }

    type WatchRolesStream = RoleStream;

    async fn watch_roles(
        &self,
        _: Request<pb::WatchRolesRequest>,
    ) -> Result<Response<RoleStream>, Status> {
        let node = self.node.clone();
        let mut last: Option<RolesView> = None;
        let stream = WatchStream::new(self.node.roles()).flat_map(move |view| {
            let events = role_events(&node, last.as_ref(), &view);
            last = Some(view);
            futures::stream::iter(events.into_iter().map(Ok))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get(
        &self,
        request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::GetResponse>, Status> {
        answer(service::get(&self.node, request.into_inner()).await)
    }

    async fn put(
        &self,
        request: Request<pb::PutRequest>,
    ) -> Result<Response<pb::PutResponse>, Status> {
        answer(service::put(&self.node, request.into_inner()).await)
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<pb::DeleteResponse>, Status> {
        answer(service::delete(&self.node, request.into_inner()).await)
    }

    async fn cas(
        &self,
        request: Request<pb::CasRequest>,
    ) -> Result<Response<pb::CasResponse>, Status> {
        answer(service::cas(&self.node, request.into_inner()).await)
    }

    async fn open_session(
        &self,
        request: Request<pb::OpenSessionRequest>,
    ) -> Result<Response<pb::OpenSessionResponse>, Status> {
        answer(service::open_session(&self.node, request.into_inner()).await)
    }

    async fn close_session(
        &self,
        request: Request<pb::CloseSessionRequest>,
    ) -> Result<Response<pb::CloseSessionResponse>, Status> {
        answer(service::close_session(&self.node, request.into_inner()).await)
    }

    async fn barrier(
        &self,
        request: Request<pb::BarrierRequest>,
    ) -> Result<Response<pb::BarrierResponse>, Status> {
        answer(service::barrier(&self.node, request.into_inner()).await)
    }
}

/// The events a watcher gets for a new view: the full picture first, then one
/// `RoleChanged` per role that changed hands.
pub(crate) fn role_events(
    node: &NodeHandle,
    last: Option<&RolesView>,
    view: &RolesView,
) -> Vec<pb::RoleEvent> {
    let Some(last) = last else {
        return vec![pb::RoleEvent {
            kind: Some(pb::role_event::Kind::Snapshot(service::roles(node, view))),
        }];
    };
    let d = node.directory();
    let district = d.district_name(view.district).to_owned();
    let mut out = Vec::new();
    if last.representative != view.representative || last.district_term != view.district_term {
        let holder = view.representative.map(|rep| {
            let entry = d.member(rep);
            pb::RoleGrant {
                kind: pb::RoleKind::Representative as i32,
                member: entry.map_or_else(|| rep.to_string(), |e| e.name.clone()),
                member_id: rep.0,
                district: district.clone(),
                token: Some(pb::FencingToken {
                    group: view.district.group().0,
                    term: view.district_term.0,
                }),
            }
        });
        out.push(changed(pb::RoleKind::Representative, &district, holder));
    }
    let pm = |v: &RolesView| v.member_role() == crate::node::MemberRole::PrimeMinister;
    if pm(last) != pm(view) {
        let holder = pm(view).then(|| {
            let entry = d.member(view.member);
            pb::RoleGrant {
                kind: pb::RoleKind::PrimeMinister as i32,
                member: entry.map_or_else(|| view.member.to_string(), |e| e.name.clone()),
                member_id: view.member.0,
                district: district.clone(),
                token: view.seat.and_then(|s| s.token).map(|t| pb::FencingToken {
                    group: t.group.0,
                    term: t.term.0,
                }),
            }
        });
        out.push(changed(pb::RoleKind::PrimeMinister, &district, holder));
    }
    out
}

fn changed(kind: pb::RoleKind, district: &str, holder: Option<pb::RoleGrant>) -> pb::RoleEvent {
    pb::RoleEvent {
        kind: Some(pb::role_event::Kind::Changed(pb::RoleChanged {
            kind: kind as i32,
            district: district.to_owned(),
            holder,
        })),
    }
}

/// Whether a status code is worth retrying elsewhere or later.
#[must_use]
pub fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded
    )
}
