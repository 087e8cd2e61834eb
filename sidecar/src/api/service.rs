//! The client operations, once: each takes the client API's request message, checks it
//! (a bad field is a [`ClientError::BadRequest`] naming it), asks the engine task, and
//! builds the response message. The gRPC service and the HTTP/JSON routes both call
//! these, so the two APIs cannot drift apart.

use bytes::Bytes;
use parliament_engine::engine::Role;
use parliament_engine::state::{
    Command, Key, KeyMeta, Outcome, Rejected, RequestId, Response, Revision, Scope, Write,
};
use parliament_engine::{FencingToken, GroupId, Term};
use parliament_proto::client as pb;

use crate::node::{ClientError, MemberRole, NodeHandle, ReadLevel, RolesView};

fn bad(field: &str, reason: impl Into<String>) -> ClientError {
    ClientError::BadRequest {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Reads the request's scope.
///
/// # Errors
/// [`ClientError::BadRequest`] when it is missing or names an invalid district.
pub fn scope(scope: Option<&pb::Scope>) -> Result<Scope, ClientError> {
    match scope.and_then(|s| s.kind.as_ref()) {
        None => Err(bad(
            "scope",
            "missing: set district (a name), global or critical",
        )),
        Some(pb::scope::Kind::Global(_)) => Ok(Scope::Global),
        Some(pb::scope::Kind::Critical(_)) => Ok(Scope::Critical),
        Some(pb::scope::Kind::District(name)) => Scope::parse(&format!("district/{name}"))
            .map_err(|e| bad("scope.district", e.to_string())),
    }
}

/// The proto form of a scope.
#[must_use]
pub fn scope_to_proto(scope: &Scope) -> pb::Scope {
    let kind = match scope {
        Scope::Global => pb::scope::Kind::Global(pb::Global {}),
        Scope::Critical => pb::scope::Kind::Critical(pb::Critical {}),
        Scope::District(name) => pb::scope::Kind::District(name.as_str().to_owned()),
    };
    pb::Scope { kind: Some(kind) }
}

fn key(key: &str) -> Result<Key, ClientError> {
    Key::new(key).map_err(|e| bad("key", e.to_string()))
}

fn token(t: &pb::FencingToken) -> FencingToken {
    FencingToken {
        group: GroupId(t.group),
        term: Term(t.term),
    }
}

fn token_to_proto(t: FencingToken) -> pb::FencingToken {
    pb::FencingToken {
        group: t.group.0,
        term: t.term.0,
    }
}

fn meta(m: KeyMeta) -> pb::KeyMeta {
    pb::KeyMeta {
        create_revision: m.create_revision.0,
        mod_revision: m.mod_revision.0,
        version: m.version,
    }
}

/// Runs the store's own admission checks (sizes) before the command takes a log entry,
/// with the limits every member's store uses, so that an oversize value is refused
/// naming its field.
fn admit(write: Write) -> Result<Command, ClientError> {
    let command = Command::Write(write);
    parliament_engine::state::Config::for_scopes([command.scope().clone()])
        .admit(&command)
        .map_err(|r| rejected(&r))?;
    Ok(command)
}

fn guarded(write: Write, options: Option<&pb::WriteOptions>) -> Result<Write, ClientError> {
    let Some(o) = options else {
        return Ok(write);
    };
    let mut write = write;
    if let Some(f) = &o.fence {
        write = write.with_fence(token(f));
    }
    if let Some(r) = &o.request {
        if r.seq == 0 {
            return Err(bad(
                "options.request.seq",
                "sequence numbers start at 1 within a session",
            ));
        }
        write = write.with_request(RequestId {
            client: r.client,
            seq: r.seq,
        });
    }
    Ok(write)
}

fn result(r: &Response) -> pb::WriteResult {
    pb::WriteResult {
        revision: r.revision.0,
        token: r.token.map(token_to_proto),
        replayed: r.replayed,
    }
}

/// Turns a store rejection into the error the client sees.
fn rejected(r: &Rejected) -> ClientError {
    match r {
        Rejected::StaleFence { seen, .. } => ClientError::StaleFence { highest: *seen },
        Rejected::Malformed { reason } => bad("command", reason.clone()),
        Rejected::TooLarge { field, .. } => bad(field, r.to_string()),
        other => ClientError::Refused(other.to_string()),
    }
}

/// Reads a key.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn get(node: &NodeHandle, req: pb::GetRequest) -> Result<pb::GetResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let key = key(&req.key)?;
    let options = req.read.unwrap_or_default();
    let level = match pb::ReadLevel::try_from(options.level) {
        Ok(pb::ReadLevel::Unspecified | pb::ReadLevel::Linearizable) => ReadLevel::Linearizable,
        Ok(pb::ReadLevel::Strict) => ReadLevel::Strict,
        Ok(pb::ReadLevel::Lease) => ReadLevel::Lease,
        Ok(pb::ReadLevel::AtLeastRevision) => ReadLevel::AtLeast(Revision(options.min_revision)),
        Ok(pb::ReadLevel::Stale) => ReadLevel::Stale,
        Err(_) => {
            return Err(bad(
                "read.level",
                format!("unknown read level {}", options.level),
            ));
        }
    };
    let answer = node.read(scope, key, level).await?;
    let served_by = node
        .directory()
        .member(answer.served_by)
        .map_or_else(|| answer.served_by.to_string(), |e| e.name.clone());
    Ok(match answer.read.value {
        Some(v) => pb::GetResponse {
            found: true,
            value: v.value,
            meta: Some(meta(v.meta)),
            revision: answer.read.revision.0,
            served_by,
        },
        None => pb::GetResponse {
            found: false,
            value: Bytes::new(),
            meta: None,
            revision: answer.read.revision.0,
            served_by,
        },
    })
}

/// Sets a key (or creates it if absent).
///
/// # Errors
/// A [`ClientError`] saying what to do; a create-if-absent of a present key is a
/// [`ClientError::Conflict`].
pub async fn put(node: &NodeHandle, req: pb::PutRequest) -> Result<pb::PutResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let key = key(&req.key)?;
    let write = if req.if_absent {
        Write::create_if_absent(scope, key, req.value)
    } else {
        Write::put(scope, key, req.value)
    };
    let write = guarded(write, req.options.as_ref())?;
    let r = node.write(admit(write)?).await?;
    match &r.outcome {
        Outcome::Written { meta: m } => Ok(pb::PutResponse {
            result: Some(result(&r)),
            meta: Some(meta(*m)),
        }),
        Outcome::Conflict { current_revision } => Err(ClientError::Conflict {
            current_revision: current_revision.0,
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to a put",
            other.name()
        ))),
    }
}

/// Removes a key.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn delete(
    node: &NodeHandle,
    req: pb::DeleteRequest,
) -> Result<pb::DeleteResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let key = key(&req.key)?;
    let write = guarded(Write::delete(scope, key), req.options.as_ref())?;
    let r = node.write(admit(write)?).await?;
    match &r.outcome {
        Outcome::Deleted { existed } => Ok(pb::DeleteResponse {
            result: Some(result(&r)),
            existed: *existed,
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to a delete",
            other.name()
        ))),
    }
}

/// Compare-and-swap on the key's mod revision. A mismatch is an answer.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn cas(node: &NodeHandle, req: pb::CasRequest) -> Result<pb::CasResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let key = key(&req.key)?;
    let value = match req.new {
        Some(pb::cas_request::New::Value(v)) => Some(v),
        Some(pb::cas_request::New::Delete(_)) => None,
        None => {
            return Err(bad(
                "new",
                "missing: set value, or delete to remove the key",
            ));
        }
    };
    let write = Write::compare_and_swap(scope, key, Revision(req.expect_revision), value);
    let write = guarded(write, req.options.as_ref())?;
    let r = node.write(admit(write)?).await?;
    match &r.outcome {
        Outcome::Written { meta: m } => Ok(pb::CasResponse {
            result: Some(result(&r)),
            succeeded: true,
            meta: Some(meta(*m)),
            current_revision: m.mod_revision.0,
        }),
        Outcome::Deleted { .. } => Ok(pb::CasResponse {
            result: Some(result(&r)),
            succeeded: true,
            meta: None,
            current_revision: 0,
        }),
        Outcome::Conflict { current_revision } => Ok(pb::CasResponse {
            result: Some(result(&r)),
            succeeded: false,
            meta: None,
            current_revision: current_revision.0,
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to a compare-and-swap",
            other.name()
        ))),
    }
}

/// Opens a client session.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn open_session(
    node: &NodeHandle,
    req: pb::OpenSessionRequest,
) -> Result<pb::OpenSessionResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let r = node.write(Command::OpenSession { scope }).await?;
    match &r.outcome {
        Outcome::SessionOpened { client } => Ok(pb::OpenSessionResponse {
            client: *client,
            result: Some(result(&r)),
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to opening a session",
            other.name()
        ))),
    }
}

/// Closes a client session.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn close_session(
    node: &NodeHandle,
    req: pb::CloseSessionRequest,
) -> Result<pb::CloseSessionResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let r = node
        .write(Command::CloseSession {
            scope,
            client: req.client,
        })
        .await?;
    match &r.outcome {
        Outcome::SessionClosed => Ok(pb::CloseSessionResponse {
            result: Some(result(&r)),
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to closing a session",
            other.name()
        ))),
    }
}

/// Commits a marker, optionally raising the scope's fence.
///
/// # Errors
/// A [`ClientError`] saying what to do.
pub async fn barrier(
    node: &NodeHandle,
    req: pb::BarrierRequest,
) -> Result<pb::BarrierResponse, ClientError> {
    let scope = scope(req.scope.as_ref())?;
    let r = node
        .write(Command::Barrier {
            scope,
            fence: req.fence.as_ref().map(token),
        })
        .await?;
    match &r.outcome {
        Outcome::Barrier => Ok(pb::BarrierResponse {
            result: Some(result(&r)),
        }),
        Outcome::Rejected(why) => Err(rejected(why)),
        other => Err(ClientError::Refused(format!(
            "unexpected answer {} to a barrier",
            other.name()
        ))),
    }
}

fn grant(
    node: &NodeHandle,
    kind: pb::RoleKind,
    member: parliament_engine::NodeId,
    token: Option<FencingToken>,
) -> pb::RoleGrant {
    let d = node.directory();
    let entry = d.member(member);
    pb::RoleGrant {
        kind: kind as i32,
        member: entry.map_or_else(|| member.to_string(), |e| e.name.clone()),
        member_id: member.0,
        district: entry.map_or_else(String::new, |e| d.district_name(e.district).to_owned()),
        token: token.map(token_to_proto),
    }
}

/// The roles as this member knows them: its own first.
#[must_use]
pub fn roles(node: &NodeHandle, view: &RolesView) -> pb::RolesResponse {
    let d = node.directory();
    let me = view.member;
    let mut roles = Vec::new();
    let own = match view.member_role() {
        MemberRole::PrimeMinister => pb::RoleKind::PrimeMinister,
        MemberRole::Representative => pb::RoleKind::Representative,
        MemberRole::Member => pb::RoleKind::Member,
    };
    let own_token = match view.member_role() {
        MemberRole::PrimeMinister => view.seat.and_then(|s| s.token),
        MemberRole::Representative => view.district_token,
        MemberRole::Member => None,
    };
    roles.push(grant(node, own, me, own_token));
    if own == pb::RoleKind::PrimeMinister {
        // The Prime Minister is also its district's representative.
        roles.push(grant(
            node,
            pb::RoleKind::Representative,
            me,
            view.district_token,
        ));
    }
    for lord in &view.lords {
        roles.push(grant(node, pb::RoleKind::Lord, *lord, None));
    }
    if let Some(rep) = view.representative.filter(|r| *r != me) {
        roles.push(grant(
            node,
            pb::RoleKind::Representative,
            rep,
            Some(FencingToken {
                group: view.district.group(),
                term: view.district_term,
            }),
        ));
    }
    let entry = d.member(me);
    pb::RolesResponse {
        member: entry.map_or_else(|| me.to_string(), |e| e.name.clone()),
        member_id: me.0,
        district: d.district_name(view.district).to_owned(),
        roles,
        session: view.session.map_or(0, |s| s.0),
        reputation: view
            .reputation
            .iter()
            .map(|(id, score)| {
                let name = d
                    .member(*id)
                    .map_or_else(|| id.to_string(), |e| e.name.clone());
                (name, u64::from(*score))
            })
            .collect(),
    }
}

/// Whether this member is ready to serve: it knows a district leader (its district has
/// a quorum it can reach).
#[must_use]
pub fn ready(view: &RolesView) -> bool {
    view.representative.is_some() || view.district_role == Role::Leader
}
