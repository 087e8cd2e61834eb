//! `KubeDouble`: the running server, its address and its request counts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::counts::RequestCounts;
use crate::routes::{Shared, handle};
use crate::store::Store;
use crate::{Error, Result};

/// How a double behaves where API servers differ by configuration.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How often watches that allow bookmarks get one. Default: 1 s.
    pub bookmark_interval: Duration,
    /// How many changes are kept for watches resuming from an older resourceVersion;
    /// a watch from before them gets an ERROR event with code 410 (Expired). Default: 50,000.
    pub history: usize,
    /// Where to listen. Default: 127.0.0.1, a port the system picks. Tests that run
    /// members in containers give the address of their network's gateway.
    pub listen: SocketAddr,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bookmark_interval: Duration::from_secs(1),
            history: 50_000,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// An API server in memory, listening (on 127.0.0.1 unless [`Options::listen`] says
/// otherwise) until dropped.
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
    /// Starts a double with the default [`Options`].
    ///
    /// # Errors
    /// [`Error::Bind`] when no port on 127.0.0.1 can be had.
    pub async fn start() -> Result<KubeDouble> {
        Self::start_with(Options::default()).await
    }

    /// Starts a double with the given options.
    ///
    /// # Errors
    /// [`Error::Bind`] when [`Options::listen`] cannot be bound.
    pub async fn start_with(options: Options) -> Result<KubeDouble> {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| Error::Bind { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { source })?;
        let shared = Arc::new(Shared {
            store: Store::new(options.history),
            bookmark_interval: options.bookmark_interval,
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

    /// Writes a kubeconfig at `path` whose current context points at this double (no
    /// credentials; `namespace` as the context's default), as a pod's in-cluster config or
    /// a user's kubeconfig would point at an API server. For binaries the tests start.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_kubeconfig(
        &self,
        path: &std::path::Path,
        namespace: Option<&str>,
    ) -> std::io::Result<()> {
        let namespace = namespace
            .map(|ns| format!("    namespace: {ns}\n"))
            .unwrap_or_default();
        std::fs::write(
            path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: {}\ncontexts:\n- name: double\n  context:\n    cluster: double\n    user: nobody\n{namespace}current-context: double\nusers:\n- name: nobody\n  user: {{}}\n",
                self.url()
            ),
        )
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
