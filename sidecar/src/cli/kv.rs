//! `parliament kv`: get, put, delete and compare-and-swap against a member, with scope
//! and read level; follows the leader it is sent to.

use std::time::Duration;

use bytes::Bytes;
use clap::{Args, Subcommand};
use parliament_engine::state::Scope;
use parliament_proto::client as pb;
use tonic::Status;

use crate::api::{http, service};
use crate::cli::client;

/// Options of `parliament kv`.
#[derive(Args, Debug, Clone)]
pub struct KvArgs {
    /// A member's client API address.
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub api: String,
    /// The scope: global, critical or district/<name>.
    #[arg(long, default_value = "global")]
    pub scope: String,
    /// How long to keep trying (through elections and redirects), in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// What to do.
    #[command(subcommand)]
    pub op: KvOp,
}

/// A store operation.
#[derive(Subcommand, Debug, Clone)]
pub enum KvOp {
    /// Reads a key.
    Get {
        /// The key.
        key: String,
        /// strict, linearizable, lease, at-least-revision or stale.
        #[arg(long, default_value = "linearizable")]
        level: String,
        /// For at-least-revision: the scope revision the answer must include.
        #[arg(long, default_value_t = 0)]
        min_revision: u64,
    },
    /// Sets a key.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Only if the key is absent.
        #[arg(long)]
        if_absent: bool,
    },
    /// Removes a key.
    Delete {
        /// The key.
        key: String,
    },
    /// Sets (or with --delete removes) a key if its mod revision is --expect (0: absent).
    Cas {
        /// The key.
        key: String,
        /// The mod revision the key must have.
        #[arg(long)]
        expect: u64,
        /// The new value.
        value: Option<String>,
        /// Remove the key instead.
        #[arg(long)]
        delete: bool,
    },
}

fn token(t: Option<&pb::FencingToken>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| format!("({}, {})", t.group, t.term))
}

/// Runs one operation and prints its answer.
///
/// # Errors
/// The request was refused or no member answered in time; the message says why.
pub async fn run(args: KvArgs) -> Result<String, Status> {
    let scope = Scope::parse(&args.scope).map_err(|e| {
        Status::invalid_argument(format!(
            "--scope {}: {e}; use global, critical or district/<name>",
            args.scope
        ))
    })?;
    let scope = service::scope_to_proto(&scope);
    let deadline = Duration::from_millis(args.timeout_ms);
    match args.op {
        KvOp::Get {
            key,
            level,
            min_revision,
        } => {
            let level =
                http::level_of(&level).map_err(|e| Status::invalid_argument(e.to_string()))?;
            let req = pb::GetRequest {
                scope: Some(scope),
                key,
                read: Some(pb::ReadOptions {
                    level: level as i32,
                    min_revision,
                }),
            };
            let (r, _) = client::call(&args.api, deadline, |mut c| {
                let req = req.clone();
                async move { c.get(req).await.map(tonic::Response::into_inner) }
            })
            .await?;
            Ok(if r.found {
                let m = r.meta.unwrap_or_default();
                format!(
                    "{}\nrevision {} (mod {}, create {}, version {}) served by {}",
                    String::from_utf8_lossy(&r.value),
                    r.revision,
                    m.mod_revision,
                    m.create_revision,
                    m.version,
                    r.served_by
                )
            } else {
                format!(
                    "(absent) at revision {} served by {}",
                    r.revision, r.served_by
                )
            })
        }
        KvOp::Put {
            key,
            value,
            if_absent,
        } => {
            let req = pb::PutRequest {
                scope: Some(scope),
                key,
                value: Bytes::from(value),
                options: None,
                if_absent,
            };
            let (r, at) = client::call(&args.api, deadline, |mut c| {
                let req = req.clone();
                async move { c.put(req).await.map(tonic::Response::into_inner) }
            })
            .await?;
            let res = r.result.unwrap_or_default();
            Ok(format!(
                "ok: revision {} fencing token {} (via {at})",
                res.revision,
                token(res.token.as_ref())
            ))
        }
        KvOp::Delete { key } => {
            let req = pb::DeleteRequest {
                scope: Some(scope),
                key,
                options: None,
            };
            let (r, _) = client::call(&args.api, deadline, |mut c| {
                let req = req.clone();
                async move { c.delete(req).await.map(tonic::Response::into_inner) }
            })
            .await?;
            let res = r.result.unwrap_or_default();
            Ok(format!(
                "{}: revision {}",
                if r.existed { "deleted" } else { "absent" },
                res.revision
            ))
        }
        KvOp::Cas {
            key,
            expect,
            value,
            delete,
        } => {
            let new = match (value, delete) {
                (Some(v), false) => pb::cas_request::New::Value(Bytes::from(v)),
                (None, true) => pb::cas_request::New::Delete(pb::Delete {}),
                _ => {
                    return Err(Status::invalid_argument(
                        "give a value, or --delete to remove the key",
                    ));
                }
            };
            let req = pb::CasRequest {
                scope: Some(scope),
                key,
                expect_revision: expect,
                new: Some(new),
                options: None,
            };
            let (r, _) = client::call(&args.api, deadline, |mut c| {
                let req = req.clone();
                async move { c.cas(req).await.map(tonic::Response::into_inner) }
            })
            .await?;
            let res = r.result.unwrap_or_default();
            Ok(if r.succeeded {
                format!("swapped: revision {}", res.revision)
            } else {
                format!(
                    "not swapped: the key is at mod revision {} (0: absent)",
                    r.current_revision
                )
            })
        }
    }
}
