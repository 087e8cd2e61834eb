//! `Request`: one HTTP request parsed into resource, namespace, name, subresource and
//! verb, and dispatched to the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api_error::ApiError;
use crate::label_selector::LabelSelector;
use crate::resource::ResourceType;
use crate::store::{FieldSelector, Part, PatchKind, Store, name_of};
use crate::watch::{WatchFilter, stream};

/// Shared state of the handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) bookmark_interval: Duration,
}

/// A request, parsed from its path.
#[derive(Debug)]
struct Request {
    resource: ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    part: Part,
}

impl Request {
    fn parse(path: &str) -> Result<Request, ApiError> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return Err(ApiError::not_found("path", path)),
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some((*ns).to_owned()), rest),
            _ => (None, rest),
        };
        let (plural, name, part) = match rest {
            [plural] => (*plural, None, Part::Main),
            [plural, name] => (*plural, Some((*name).to_owned()), Part::Main),
            [plural, name, "status"] => (*plural, Some((*name).to_owned()), Part::Status),
            _ => return Err(ApiError::not_found("path", path)),
        };
        let resource = ResourceType::find(group, version, plural).ok_or_else(|| {
            ApiError::not_found("resource", &format!("{group}/{version}/{plural}"))
        })?;
        if name.is_some() && resource.namespaced != namespace.is_some() {
            return Err(ApiError::not_found("path", path));
        }
        Ok(Request {
            resource,
            namespace,
            name,
            part,
        })
    }

    fn counted_resource(&self) -> String {
        match self.part {
            Part::Main => self.resource.id(),
            Part::Status => format!("{}/status", self.resource.id()),
        }
    }
}

/// The one handler: every path goes through here.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match dispatch(&shared, &method, &uri, &query, &headers, &body) {
        Ok(Reply::Object(code, value)) => (code, axum::Json(value)).into_response(),
        Ok(Reply::WatchError(error)) => {
            let mut line =
                serde_json::json!({"type": "ERROR", "object": error.status()}).to_string();
            line.push('\n');
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(line))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Ok(Reply::Watch(filter, start)) => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(stream(*filter, start)))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(error) => {
            tracing::debug!(%method, %uri, code = error.code, message = %error.message, "refused");
            error.into_response()
        }
    }
}

enum Reply {
    Object(StatusCode, Value),
    /// A watch that ends at once after one ERROR event, as a real API server answers a
    /// watch from a resourceVersion too old to resume (the watcher then lists again).
    WatchError(ApiError),
    Watch(Box<WatchFilter>, crate::store::WatchStart),
}

fn dispatch(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Reply, ApiError> {
    let store = &shared.store;
    let request = Request::parse(uri.path())?;
    let rt = request.resource;
    let ns = request.namespace.as_deref().unwrap_or("");
    let resource = request.counted_resource();
    let manager = query.get("fieldManager").map(String::as_str);
    let json_body = || -> Result<Value, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))
    };
    let flag = |name: &str| query.get(name).is_some_and(|v| v == "true" || v == "1");
    match (method, request.name.as_deref()) {
        (&Method::GET, None) => {
            let labels =
                LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
            let fields =
                FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str))?;
            let namespace = request.namespace.clone();
            if flag("watch") {
                store.count("watch", &resource);
                let start = match store.watch(
                    &rt,
                    namespace.as_deref(),
                    query.get("resourceVersion").map(String::as_str),
                ) {
                    Ok(start) => start,
                    Err(error) if error.code == 410 => return Ok(Reply::WatchError(error)),
                    Err(error) => return Err(error),
                };
                let timeout = query
                    .get("timeoutSeconds")
                    .and_then(|t| t.parse().ok())
                    .map_or(Duration::from_secs(1800), Duration::from_secs);
                Ok(Reply::Watch(
                    Box::new(WatchFilter {
                        resource: rt,
                        namespace,
                        labels,
                        fields,
                        bookmarks: flag("allowWatchBookmarks"),
                        bookmark_interval: shared.bookmark_interval,
                        timeout,
                    }),
                    start,
                ))
            } else {
                store.count("list", &resource);
                Ok(Reply::Object(
                    StatusCode::OK,
                    store.list(&rt, namespace.as_deref(), &labels, &fields),
                ))
            }
        }
        (&Method::GET, Some(name)) => {
            store.count("get", &resource);
            Ok(Reply::Object(StatusCode::OK, store.get(&rt, ns, name)?))
        }
        (&Method::POST, None) => {
            store.count("create", &resource);
            Ok(Reply::Object(
                StatusCode::CREATED,
                store.create(&rt, ns, json_body()?)?,
            ))
        }
        (&Method::PUT, Some(name)) => {
            store.count("update", &resource);
            let body = json_body()?;
            if name_of(&body).is_some_and(|n| n != name) {
                return Err(ApiError::bad_request(
                    "the name in the body does not match the URL",
                ));
            }
            Ok(Reply::Object(
                StatusCode::OK,
                store.replace(&rt, ns, name, body, request.part, manager)?,
            ))
        }
        (&Method::PATCH, Some(name)) => {
            store.count("patch", &resource);
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let kind = match content_type.split(';').next().unwrap_or("").trim() {
                "application/apply-patch+yaml" | "application/apply-patch+json" => {
                    PatchKind::Apply {
                        force: flag("force"),
                    }
                }
                "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                    PatchKind::Merge
                }
                "application/json-patch+json" => PatchKind::Json,
                other => {
                    return Err(ApiError::unsupported(format!(
                        "patch type {other:?} is not supported"
                    )));
                }
            };
            Ok(Reply::Object(
                StatusCode::OK,
                store.patch(&rt, ns, name, kind, &json_body()?, request.part, manager)?,
            ))
        }
        (&Method::DELETE, Some(name)) => {
            store.count("delete", &resource);
            Ok(Reply::Object(StatusCode::OK, store.delete(&rt, ns, name)?))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "{method} {} is not supported",
            uri.path()
        ))),
    }
}
