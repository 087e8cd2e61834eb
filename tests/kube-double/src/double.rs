//! `KubeDouble`: the running server, its address and its request counts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::counts::RequestCounts;
use crate::routes::{Shared, handle};
use crate::store::Store;
use crate::{Error, Result};

/// An API server in memory, listening on 127.0.0.1 until dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let double = parliament_kube_double::KubeDouble::start().await?;
/// let config = kube::Config::new(double.url().parse()?);
/// let client = kube::Client::try_from(config)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KubeDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl KubeDouble {
    /// Starts a double with bookmarks every second.
    ///
    /// # Errors
    /// [`Error::Bind`] when no port on 127.0.0.1 can be had.
    pub async fn start() -> Result<KubeDouble> {
        Self::start_with_bookmarks(Duration::from_secs(1)).await
    }

    /// Starts a double that sends watch bookmarks (to watches that allow them) every
    /// `bookmark_interval`.
    ///
    /// # Errors
    /// [`Error::Bind`] when no port on 127.0.0.1 can be had.
    pub async fn start_with_bookmarks(bookmark_interval: Duration) -> Result<KubeDouble> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| Error::Bind { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { source })?;
        let shared = Arc::new(Shared {
            store: Store::new(),
            bookmark_interval,
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the kube double stopped serving");
            }
        });
        Ok(KubeDouble {
            addr,
            shared,
            server,
        })
    }

    /// The base URL to give `kube::Config::new`, such as `http://127.0.0.1:41234`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests served so far, per verb and resource.
    #[must_use]
    pub fn requests(&self) -> RequestCounts {
        self.shared.store.counts()
    }

    /// Forgets the counts, to measure from now on.
    pub fn reset_requests(&self) {
        self.shared.store.reset_counts();
    }
}

impl Drop for KubeDouble {
    fn drop(&mut self) {
        self.server.abort();
    }
}
