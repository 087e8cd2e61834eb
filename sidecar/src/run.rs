//! `parliament run`: one member — the engine task, the client API (gRPC and HTTP/JSON
//! on one port) and the metrics port, until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use parliament_engine::NodeId;
use parliament_net::TlsConfig;

use crate::api::grpc::ClientService;
use crate::api::http;
use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::node::{Node, NodeOptions, Settings};
use crate::settings;

/// Options of `parliament run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Kubernetes mode: who this member is comes from the downward API (POD_NAME,
    /// POD_NAMESPACE, POD_UID, POD_IP, PARLIAMENT_NAME), the roster from the ConfigMap the
    /// operator publishes, the timings from the Parliament's spec; roles are published to
    /// the pod's labels and the Parliament's status. `--roster`, `--cluster`, `--member`
    /// and `--spec` are then not used.
    #[arg(long, conflicts_with_all = ["roster", "cluster", "member", "spec"])]
    pub kubernetes: bool,
    /// The roster: the JSON the operator publishes (districts and members).
    #[arg(long, required_unless_present = "kubernetes")]
    pub roster: Option<PathBuf>,
    /// The parliament's name (the Parliament object's name).
    #[arg(long, required_unless_present = "kubernetes")]
    pub cluster: Option<String>,
    /// This member's id in the roster.
    #[arg(long, required_unless_present = "kubernetes")]
    pub member: Option<u64>,
    /// Where this member keeps its ledger.
    #[arg(long)]
    pub data: PathBuf,
    /// A Parliament YAML whose timeouts and sessions to use (defaults otherwise).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Client API (gRPC and HTTP/JSON).
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub api: String,
    /// Metrics, /healthz and /readyz.
    #[arg(long, default_value = "127.0.0.1:7402")]
    pub metrics: String,
    /// Where the peer service listens (default: this member's roster address).
    #[arg(long)]
    pub peer_listen: Option<String>,
    /// CA certificate (PEM) for mutual TLS between members.
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    pub tls_ca: Option<PathBuf>,
    /// This member's certificate (PEM); its SAN must be its roster identity.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// This member's private key (PEM).
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Stop cleanly when standard input closes (how `parliament up` stops its members).
    #[arg(long, hide = true)]
    pub exit_on_stdin_eof: bool,
    /// How long a client request may wait, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub request_timeout_ms: u64,
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::File {
        path: path.clone(),
        source,
    })
}

/// Reads the settings of a Parliament YAML, refusing an invalid spec with every problem.
///
/// # Errors
/// The file cannot be read, is not a Parliament, or its spec is invalid.
pub fn spec_settings(path: &PathBuf) -> Result<Settings> {
    let text = read(path)?;
    let parliament = parliament_crds::parliament_from_yaml(&text)
        .map_err(|e| Error::Spec(format!("{}: {e}", path.display())))?;
    parliament_crds::validate(&parliament.spec).map_err(|errors| {
        Error::Spec(
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    Ok(settings::from_spec(&parliament.spec))
}

/// Runs one member until a signal.
///
/// # Errors
/// Anything that stops the member from starting, or a ledger failure while running.
pub async fn run(args: RunArgs) -> Result<()> {
    if [&args.tls_ca, &args.tls_cert, &args.tls_key]
        .iter()
        .any(|f| f.is_some() != args.tls_ca.is_some())
    {
        return Err(Error::Config(
            "--tls-ca, --tls-cert and --tls-key go together".to_owned(),
        ));
    }
    if args.kubernetes {
        let k = crate::kubernetes::start(&args).await?;
        let tls = crate::kubernetes::peer_tls(
            &args,
            &k.tls,
            k.directory.cluster(),
            std::path::Path::new(crate::kubernetes::TLS_DIR),
        )?;
        return serve(
            args,
            k.directory,
            k.member,
            k.settings,
            tls,
            Some(k.publish),
        )
        .await;
    }
    let (Some(roster), Some(cluster), Some(member)) = (&args.roster, &args.cluster, args.member)
    else {
        return Err(Error::Config(
            "give --roster, --cluster and --member, or --kubernetes".to_owned(),
        ));
    };
    let published = parliament_crds::Roster::from_json(&read(roster)?)
        .map_err(|e| Error::Roster(format!("{}: {e}", roster.display())))?;
    let directory = Arc::new(Directory::new(cluster, &published)?);
    let settings = match &args.spec {
        Some(p) => spec_settings(p)?,
        None => Settings::default(),
    };
    let tls = match (&args.tls_ca, &args.tls_cert, &args.tls_key) {
        (Some(ca), Some(cert), Some(key)) => Some(TlsConfig::from_files(ca, cert, key)?),
        _ => None,
    };
    serve(args, directory, NodeId(member), settings, tls, None).await
}

/// Runs the member until a signal; with `publish`, hands it the roles to publish.
async fn serve(
    args: RunArgs,
    directory: Arc<Directory>,
    member: NodeId,
    settings: Settings,
    tls: Option<TlsConfig>,
    publish: Option<crate::kubernetes::Publish>,
) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    let node = Node::start(
        NodeOptions {
            directory,
            member,
            data_dir: args.data.clone(),
            settings,
            tls,
            peer_listen: args.peer_listen.clone(),
            request_timeout: Duration::from_millis(args.request_timeout_ms),
            tick: Duration::from_millis(5),
        },
        metrics,
    )
    .await?;
    let handle = node.handle.clone();
    if let Some(publish) = publish {
        publish.spawn(handle.clone());
    }

    let api_listener = bind(&args.api).await?;
    let ops_listener = bind(&args.metrics).await?;
    let grpc = tonic::service::Routes::new(ClientService::new(handle.clone()).into_server())
        .into_axum_router();
    let app = http::router(handle.clone()).merge(grpc);
    let ops = http::ops_router(handle.clone());
    tracing::info!(%member, api = %args.api, metrics = %args.metrics, "member running");

    let mut task = node.task;
    let api = tokio::spawn(async move { axum::serve(api_listener, app).await });
    let ops = tokio::spawn(async move { axum::serve(ops_listener, ops).await });
    let stdin_closed = async {
        if args.exit_on_stdin_eof {
            use tokio::io::AsyncReadExt as _;
            let mut buf = [0u8; 64];
            let mut stdin = tokio::io::stdin();
            while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
        } else {
            std::future::pending::<()>().await;
        }
    };
    let outcome = tokio::select! {
        r = &mut task => Some(r),
        () = shutdown_signal() => None,
        () = stdin_closed => None,
    };
    api.abort();
    ops.abort();
    match outcome {
        Some(Ok(r)) => r,
        Some(Err(e)) => Err(Error::Serve {
            what: "engine task",
            message: e.to_string(),
        }),
        None => {
            tracing::info!("signal received; stopping");
            handle.shutdown();
            match task.await {
                Ok(r) => r,
                Err(e) => Err(Error::Serve {
                    what: "engine task",
                    message: e.to_string(),
                }),
            }
        }
    }
}

async fn bind(addr: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen {
            addr: addr.to_owned(),
            source,
        })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
