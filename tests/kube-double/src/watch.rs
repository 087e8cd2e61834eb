//! `WatchStream`: one watch request's stream of JSON lines.

use std::time::Duration;

use axum::body::Bytes;
use futures::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::label_selector::LabelSelector;
use crate::resource::ResourceType;
use crate::store::{Change, ChangeKind, FieldSelector, WatchStart};

/// What one watch wants to see.
#[derive(Debug)]
pub(crate) struct WatchFilter {
    pub(crate) resource: ResourceType,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: LabelSelector,
    pub(crate) fields: FieldSelector,
    pub(crate) bookmarks: bool,
    pub(crate) bookmark_interval: Duration,
    pub(crate) timeout: Duration,
}

impl WatchFilter {
    /// The watch event line for a change, if this watch sees it: a change that makes an
    /// object match is ADDED, one that makes it stop matching is DELETED.
    fn event(&self, change: &Change) -> Option<Value> {
        if change.resource != self.resource.id()
            || self
                .namespace
                .as_deref()
                .is_some_and(|ns| ns != change.namespace)
        {
            return None;
        }
        let matches = |o: &Value| self.labels.matches(o) && self.fields.matches(o);
        let now = matches(&change.object);
        let before = change.previous.as_ref().is_some_and(matches);
        let kind = match change.kind {
            ChangeKind::Added if now => "ADDED",
            ChangeKind::Deleted if before || (change.previous.is_none() && now) => "DELETED",
            ChangeKind::Modified if now && before => "MODIFIED",
            ChangeKind::Modified if now => "ADDED",
            ChangeKind::Modified if before => "DELETED",
            _ => return None,
        };
        Some(json!({"type": kind, "object": change.object}))
    }

    fn bookmark(&self, rv: u64) -> Value {
        json!({
            "type": "BOOKMARK",
            "object": {
                "kind": self.resource.kind,
                "apiVersion": self.resource.api_version(),
                "metadata": {"resourceVersion": rv.to_string()},
            },
        })
    }
}

fn line(value: &Value) -> Bytes {
    let mut text = value.to_string();
    text.push('\n');
    Bytes::from(text)
}

/// The stream of a watch: the backlog, then live changes, with bookmarks every
/// `bookmark_interval` when asked for, until the timeout. A watcher that falls too far
/// behind is cut off and resumes from its last resourceVersion, as with a real API server.
pub(crate) fn stream(
    filter: WatchFilter,
    start: WatchStart,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let WatchStart {
        backlog,
        mut feed,
        rv,
    } = start;
    async_stream(move |tx| async move {
        let mut seen = rv;
        for change in backlog {
            seen = seen.max(change.rv);
            if let Some(event) = filter.event(&change)
                && tx.send(line(&event)).await.is_err()
            {
                return;
            }
        }
        let deadline = tokio::time::Instant::now() + filter.timeout;
        let mut ticker = tokio::time::interval(filter.bookmark_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let out = tokio::select! {
                () = tokio::time::sleep_until(deadline) => return,
                () = tx.closed() => return,
                _ = ticker.tick(), if filter.bookmarks => Some(filter.bookmark(seen)),
                change = feed.recv() => match change {
                    Ok(change) if change.rv > seen => {
                        seen = change.rv;
                        filter.event(&change)
                    }
                    Ok(_) => None,
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return,
                },
            };
            if let Some(event) = out
                && tx.send(line(&event)).await.is_err()
            {
                return;
            }
        }
    })
}

/// A stream fed by a task through a small channel.
fn async_stream<F, Fut>(body: F) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Bytes>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(body(tx));
    futures::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(rx), Ok)
}
