//! The `parliament-operator` binary: runs the controller against the cluster in the
//! kubeconfig or the pod's service account.

use anyhow::Context as _;
use parliament_operator::controller::{Settings, run};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let client = kube::Client::try_default()
        .await
        .context("cannot build a Kubernetes client from the kubeconfig or service account")?;
    let settings = Settings {
        namespace: std::env::var("WATCH_NAMESPACE")
            .ok()
            .filter(|ns| !ns.is_empty()),
        instance: std::env::var("POD_NAME").ok(),
        shutdown_on_signal: true,
        ..Settings::default()
    };
    tracing::info!(namespace = ?settings.namespace, "parliament-operator starting");
    run(client, settings).await;
    Ok(())
}
