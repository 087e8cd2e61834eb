//! `Store`: the objects, their resourceVersions, the change history watches resume from,
//! and the request counts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::api_error::ApiError;
use crate::counts::RequestCounts;
use crate::label_selector::LabelSelector;
use crate::merge::{merge_patch, server_side_apply};
use crate::resource::ResourceType;
use crate::time::now_rfc3339;

/// Object key: resource id, namespace ("" for cluster-scoped objects), name.
pub(crate) type Key = (String, String, String);

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One committed change, as watches see it.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub(crate) rv: u64,
    pub(crate) resource: String,
    pub(crate) namespace: String,
    pub(crate) kind: ChangeKind,
    /// The object after the change (for a deletion, the last state with the new rv).
    pub(crate) object: Value,
    /// The object before, for telling watchers with a selector that it left or entered.
    pub(crate) previous: Option<Value>,
}

/// The kinds of PATCH the double understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchKind {
    Apply { force: bool },
    Merge,
    Json,
}

/// Which part of an object a write addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Main,
    Status,
}

#[derive(Debug, Default)]
struct Inner {
    /// Changes kept for watches that resume from an older resourceVersion; older get 410.
    history_limit: usize,
    rv: u64,
    uids: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Arc<Change>>,
    /// What each manager last applied to each object part, for server-side apply.
    applied: HashMap<(Key, String, bool), Value>,
    counts: RequestCounts,
}

/// The double's state, shared by all request handlers.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
}

/// Where a watch starts: the events to send first, the live feed, and the rv reached.
pub(crate) struct WatchStart {
    pub(crate) backlog: Vec<Arc<Change>>,
    pub(crate) feed: broadcast::Receiver<Arc<Change>>,
    pub(crate) rv: u64,
}

impl Store {
    pub(crate) fn new(history: usize) -> Self {
        let (changes, _) = broadcast::channel(4096);
        Store {
            inner: Mutex::new(Inner {
                history_limit: history.max(1),
                ..Inner::default()
            }),
            changes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked cannot leave the maps half-written: every write is one
        // insert or remove. Carry on with the data.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn count(&self, verb: &str, resource: &str) {
        self.lock().counts.add(verb, resource);
    }

    pub(crate) fn counts(&self) -> RequestCounts {
        self.lock().counts.clone()
    }

    pub(crate) fn reset_counts(&self) {
        self.lock().counts = RequestCounts::default();
    }

    pub(crate) fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Value, ApiError> {
        self.lock()
            .objects
            .get(&key(rt, ns, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.id(), name))
    }

    pub(crate) fn list(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        selector: &LabelSelector,
        fields: &FieldSelector,
    ) -> Value {
        let inner = self.lock();
        let id = rt.id();
        let items: Vec<Value> = inner
            .objects
            .iter()
            .filter(|((r, n, _), _)| *r == id && ns.is_none_or(|ns| ns == n))
            .filter(|(_, o)| selector.matches(o) && fields.matches(o))
            .map(|(_, o)| o.clone())
            .collect();
        json!({
            "kind": format!("{}List", rt.kind),
            "apiVersion": rt.api_version(),
            "metadata": {"resourceVersion": inner.rv.to_string()},
            "items": items,
        })
    }

    pub(crate) fn create(
        &self,
        rt: &ResourceType,
        ns: &str,
        mut body: Value,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let name = match name_of(&body) {
            Some(name) => name,
            None => match body
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
            {
                Some(prefix) => format!("{prefix}{:05x}", inner.uids + 1),
                None => return Err(ApiError::invalid("metadata.name: Required value")),
            },
        };
        let k = key(rt, ns, &name);
        if inner.objects.contains_key(&k) {
            return Err(ApiError::already_exists(&rt.id(), &name));
        }
        if rt.status_subresource
            && let Some(object) = body.as_object_mut()
        {
            object.remove("status");
        }
        inner.uids += 1;
        let uid = format!("{:08x}-0000-4000-8000-{:012x}", inner.uids, inner.uids);
        let meta = metadata_mut(&mut body);
        meta.insert("name".into(), json!(name));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(ns));
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.insert("generation".into(), json!(1));
        meta.remove("deletionTimestamp");
        meta.remove("generateName");
        set_type(&mut body, rt);
        Ok(inner.commit(&self.changes, k, Some(body), None, ChangeKind::Added))
    }

    pub(crate) fn replace(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        body: Value,
        part: Part,
        manager: Option<&str>,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let k = key(rt, ns, name);
        let old = inner
            .objects
            .get(&k)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.id(), name))?;
        check_rv(rt, name, &old, &body)?;
        inner.write(&self.changes, rt, k, old, body, part, manager, "Update")
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "a PATCH request has this many parts"
    )]
    pub(crate) fn patch(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        kind: PatchKind,
        body: &Value,
        part: Part,
        manager: Option<&str>,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let k = key(rt, ns, name);
        let Some(old) = inner.objects.get(&k).cloned() else {
            if let PatchKind::Apply { .. } = kind {
                drop(inner);
                let created = self.create(rt, ns, body.clone())?;
                let mut inner = self.lock();
                if let Some(manager) = manager {
                    inner
                        .applied
                        .insert((k, manager.to_owned(), part == Part::Status), body.clone());
                }
                return Ok(created);
            }
            return Err(ApiError::not_found(&rt.id(), name));
        };
        let mut new = old.clone();
        let operation = match kind {
            PatchKind::Apply { force: _ } => {
                check_rv(rt, name, &old, body)?;
                let manager = manager.ok_or_else(|| {
                    ApiError::bad_request("fieldManager is required for apply patches")
                })?;
                let slot = (k.clone(), manager.to_owned(), part == Part::Status);
                server_side_apply(
                    &mut new,
                    &strip_server_fields(body),
                    inner.applied.get(&slot),
                );
                inner.applied.insert(slot, strip_server_fields(body));
                "Apply"
            }
            PatchKind::Merge => {
                check_rv(rt, name, &old, body)?;
                merge_patch(&mut new, body);
                "Update"
            }
            PatchKind::Json => {
                let mut patch: json_patch::Patch = serde_json::from_value(body.clone())
                    .map_err(|e| ApiError::bad_request(format!("not a JSON patch: {e}")))?;
                // As the API server does: a missing field tests equal to null.
                patch.0.retain(|op| match op {
                    json_patch::PatchOperation::Test(t) => {
                        !(t.value.is_null() && new.pointer(t.path.as_str()).is_none())
                    }
                    _ => true,
                });
                json_patch::patch(&mut new, &patch).map_err(|e| {
                    ApiError::invalid(format!("the JSON patch does not apply: {e}"))
                })?;
                "Update"
            }
        };
        inner.write(&self.changes, rt, k, old, new, part, manager, operation)
    }

    pub(crate) fn delete(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        inner.delete(&self.changes, &key(rt, ns, name), &rt.id(), name)
    }

    /// Starts a watch at `rv` ("" or "0": the current objects as ADDED first).
    pub(crate) fn watch(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        rv: Option<&str>,
    ) -> Result<WatchStart, ApiError> {
        let inner = self.lock();
        let feed = self.changes.subscribe();
        let id = rt.id();
        let since = match rv.filter(|rv| !rv.is_empty() && *rv != "0") {
            None => {
                let backlog = inner
                    .objects
                    .iter()
                    .filter(|((r, n, _), _)| *r == id && ns.is_none_or(|ns| ns == n))
                    .map(|((r, n, _), o)| {
                        Arc::new(Change {
                            rv: inner.rv,
                            resource: r.clone(),
                            namespace: n.clone(),
                            kind: ChangeKind::Added,
                            object: o.clone(),
                            previous: None,
                        })
                    })
                    .collect();
                return Ok(WatchStart {
                    backlog,
                    feed,
                    rv: inner.rv,
                });
            }
            Some(rv) => rv.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("resourceVersion {rv:?} is not a number"))
            })?,
        };
        let oldest = inner
            .history
            .front()
            .map_or(inner.rv, |c| c.rv.saturating_sub(1));
        if since < oldest {
            return Err(ApiError::gone(format!(
                "too old resource version: {since} ({oldest})"
            )));
        }
        let backlog = inner
            .history
            .iter()
            .filter(|c| c.rv > since && c.resource == id && ns.is_none_or(|ns| ns == c.namespace))
            .cloned()
            .collect();
        Ok(WatchStart {
            backlog,
            feed,
            rv: inner.rv.max(since),
        })
    }
}

impl Inner {
    #[allow(
        clippy::too_many_arguments,
        reason = "one write path for PUT and every PATCH"
    )]
    fn write(
        &mut self,
        changes: &broadcast::Sender<Arc<Change>>,
        rt: &ResourceType,
        k: Key,
        old: Value,
        body: Value,
        part: Part,
        manager: Option<&str>,
        operation: &str,
    ) -> Result<Value, ApiError> {
        let mut new = match part {
            Part::Status => {
                let mut new = old.clone();
                match body.get("status") {
                    Some(status) => new["status"] = status.clone(),
                    None => {
                        if let Some(o) = new.as_object_mut() {
                            o.remove("status");
                        }
                    }
                }
                new
            }
            Part::Main => {
                let mut new = body;
                if rt.status_subresource {
                    match old.get("status") {
                        Some(status) => new["status"] = status.clone(),
                        None => {
                            if let Some(o) = new.as_object_mut() {
                                o.remove("status");
                            }
                        }
                    }
                }
                new
            }
        };
        // Fields only the server sets.
        let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let meta = metadata_mut(&mut new);
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "managedFields",
        ] {
            match old_meta.get(field) {
                Some(value) => meta.insert(field.to_owned(), value.clone()),
                None => meta.remove(field),
            };
        }
        set_type(&mut new, rt);
        if same(&new, &old) {
            return Ok(old);
        }
        if spec_of(&new) != spec_of(&old) {
            let generation = old_meta
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            metadata_mut(&mut new).insert("generation".into(), json!(generation + 1));
        }
        if let Some(manager) = manager {
            record_manager(&mut new, manager, operation, rt, part);
        }
        let deleting = new.pointer("/metadata/deletionTimestamp").is_some();
        let finalizers_left = new
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if deleting && !finalizers_left {
            let name = k.2.clone();
            self.objects.insert(k.clone(), new);
            return self.delete(changes, &k, &rt.id(), &name);
        }
        Ok(self.commit(changes, k, Some(new), Some(old), ChangeKind::Modified))
    }

    fn delete(
        &mut self,
        changes: &broadcast::Sender<Arc<Change>>,
        k: &Key,
        resource: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        let Some(old) = self.objects.get(k).cloned() else {
            return Err(ApiError::not_found(resource, name));
        };
        let has_finalizers = old
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if old.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok(old);
            }
            let mut new = old.clone();
            metadata_mut(&mut new).insert("deletionTimestamp".into(), json!(now_rfc3339()));
            return Ok(self.commit(
                changes,
                k.clone(),
                Some(new),
                Some(old),
                ChangeKind::Modified,
            ));
        }
        let gone = self.commit(changes, k.clone(), None, Some(old), ChangeKind::Deleted);
        self.applied.retain(|(key, _, _), _| key != k);
        // Garbage collection: dependents whose owner this was go too.
        if let Some(uid) = gone.pointer("/metadata/uid").and_then(Value::as_str) {
            let dependents: Vec<Key> = self
                .objects
                .iter()
                .filter(|(_, o)| {
                    o.pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for dependent in dependents {
                let (resource, name) = (dependent.0.clone(), dependent.2.clone());
                self.delete(changes, &dependent, &resource, &name)?;
            }
        }
        Ok(gone)
    }

    /// Stores (or removes) an object under a new resourceVersion and tells the watchers.
    fn commit(
        &mut self,
        changes: &broadcast::Sender<Arc<Change>>,
        k: Key,
        new: Option<Value>,
        old: Option<Value>,
        kind: ChangeKind,
    ) -> Value {
        self.rv += 1;
        let rv = self.rv;
        let mut object = match new {
            Some(new) => new,
            None => old.clone().unwrap_or_default(),
        };
        metadata_mut(&mut object).insert("resourceVersion".into(), json!(rv.to_string()));
        match kind {
            ChangeKind::Deleted => {
                self.objects.remove(&k);
            }
            ChangeKind::Added | ChangeKind::Modified => {
                self.objects.insert(k.clone(), object.clone());
            }
        }
        let change = Arc::new(Change {
            rv,
            resource: k.0,
            namespace: k.1,
            kind,
            object: object.clone(),
            previous: old,
        });
        self.history.push_back(change.clone());
        while self.history.len() > self.history_limit {
            self.history.pop_front();
        }
        // No receiver is fine: nobody watches.
        let _ = changes.send(change);
        object
    }
}

/// `metadata.name=x` and `metadata.namespace=x` field selectors.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldSelector(Vec<(String, String, bool)>);

impl FieldSelector {
    pub(crate) fn parse(text: &str) -> Result<FieldSelector, ApiError> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, value, equal) = if let Some((f, v)) = term.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (f, v, true)
            } else {
                return Err(ApiError::bad_request(format!(
                    "bad field selector {term:?}"
                )));
            };
            if !matches!(
                field,
                "metadata.name" | "metadata.namespace" | "spec.nodeName"
            ) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            terms.push((field.to_owned(), value.to_owned(), equal));
        }
        Ok(FieldSelector(terms))
    }

    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, value, equal)| {
            let pointer = format!("/{}", field.replace('.', "/"));
            let actual = object
                .pointer(&pointer)
                .and_then(Value::as_str)
                .unwrap_or("");
            (actual == value) == *equal
        })
    }
}

fn key(rt: &ResourceType, ns: &str, name: &str) -> Key {
    let ns = if rt.namespaced { ns } else { "" };
    (rt.id(), ns.to_owned(), name.to_owned())
}

pub(crate) fn name_of(object: &Value) -> Option<String> {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(meta)) => meta,
        // Made an object just above.
        _ => unreachable!("metadata was just made an object"),
    }
}

fn set_type(object: &mut Value, rt: &ResourceType) {
    object["kind"] = json!(rt.kind);
    object["apiVersion"] = json!(rt.api_version());
}

/// A precondition: a body that names a resourceVersion must name the current one.
fn check_rv(rt: &ResourceType, name: &str, live: &Value, body: &Value) -> Result<(), ApiError> {
    match body
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        Some(rv) if !rv.is_empty() => {
            let current = live
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str);
            if current == Some(rv) {
                Ok(())
            } else {
                Err(ApiError::conflict(
                    &rt.id(),
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ))
            }
        }
        _ => Ok(()),
    }
}

fn strip_server_fields(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
        ] {
            meta.remove(field);
        }
    }
    body
}

/// Everything but metadata and status: a change here bumps metadata.generation.
fn spec_of(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(o) = object.as_object_mut() {
        o.remove("metadata");
        o.remove("status");
    }
    object
}

/// Equal apart from resourceVersion and managed fields: such a write changes nothing.
fn same(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
            meta.remove("managedFields");
        }
        v
    };
    strip(a) == strip(b)
}

fn record_manager(
    object: &mut Value,
    manager: &str,
    operation: &str,
    rt: &ResourceType,
    part: Part,
) {
    let subresource = match part {
        Part::Main => None,
        Part::Status => Some("status"),
    };
    let mut entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": rt.api_version(),
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    });
    if let Some(sub) = subresource {
        entry["subresource"] = json!(sub);
    }
    let meta = metadata_mut(object);
    let fields = meta.entry("managedFields").or_insert_with(|| json!([]));
    if let Value::Array(entries) = fields {
        entries.retain(|e| {
            !(e["manager"] == manager
                && e["operation"] == operation
                && e.get("subresource").and_then(Value::as_str) == subresource)
        });
        entries.push(entry);
    }
}
