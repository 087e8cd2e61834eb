//! `parliament up FILE`: a whole parliament on this machine from the same Parliament
//! YAML a cluster takes — child processes on 127.0.0.1, data under one folder, a live
//! status table, and a clean stop on Ctrl-C.

pub mod cluster;
pub mod plan;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use parliament_crds::spec::TlsMode;

pub use cluster::{ClusterOptions, LocalCluster};
pub use plan::{LocalMember, Shape, plan};

use crate::cli::status;
use crate::error::{Error, Result};

/// Options of `parliament up`.
#[derive(Args, Debug, Clone)]
pub struct UpArgs {
    /// The Parliament YAML.
    pub file: PathBuf,
    /// Districts (default: the spec's named districts, else 3).
    #[arg(long)]
    pub districts: Option<usize>,
    /// Members per district (default: the spec's pod lists, else 3).
    #[arg(long)]
    pub members: Option<usize>,
    /// Where the roster, certificates and ledgers go.
    #[arg(long, default_value = ".parliament")]
    pub data: PathBuf,
    /// First of the ports on 127.0.0.1 (three per member).
    #[arg(long, default_value_t = 17400)]
    pub base_port: u16,
    /// Seconds between refreshes of the status table.
    #[arg(long, default_value_t = 1.0)]
    pub refresh: f64,
    /// Stop once the parliament has convened (a Prime Minister and every district
    /// represented), printing the table; exit non-zero if it has not within this many
    /// seconds. Without it, `up` runs until Ctrl-C.
    #[arg(long)]
    pub until_convened: Option<u64>,
    /// `RUST_LOG` for the members (their logs go to <data>/<member>/member.log).
    #[arg(long, default_value = "info")]
    pub log: String,
}

/// Runs `parliament up`.
///
/// # Errors
/// The spec is invalid, files cannot be written, or members cannot be spawned.
pub async fn up(args: UpArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file).map_err(|source| Error::File {
        path: args.file.clone(),
        source,
    })?;
    let parliament = parliament_crds::parliament_from_yaml(&text)
        .map_err(|e| Error::Spec(format!("{}: {e}", args.file.display())))?;
    crate::run::spec_settings(&args.file)?;
    let name = parliament
        .metadata
        .name
        .clone()
        .unwrap_or_else(|| "parliament".to_owned());
    let shape = Shape {
        districts: args.districts,
        members: args.members,
        base_port: args.base_port,
    };
    let (roster, members) = plan(&name, &parliament.spec, shape)?;
    let exe = std::env::current_exe().map_err(|source| Error::File {
        path: PathBuf::from("/proc/self/exe"),
        source,
    })?;
    let spec_path = std::fs::canonicalize(&args.file).map_err(|source| Error::File {
        path: args.file.clone(),
        source,
    })?;
    let options = ClusterOptions {
        exe,
        data: args.data.clone(),
        name: name.clone(),
        spec: spec_path,
        tls: parliament.spec.tls.mode != TlsMode::Disabled,
        log: args.log.clone(),
        wrappers: std::collections::BTreeMap::new(),
    };
    let mut cluster = LocalCluster::prepare(options, roster, members)?;
    cluster.start_all()?;
    eprintln!(
        "parliament {name}: {} members in {} districts under {}; Ctrl-C stops them",
        cluster.members().len(),
        cluster.roster().districts.len(),
        args.data.display()
    );
    let outcome = watch(&mut cluster, &args).await;
    cluster.stop_all().await;
    eprintln!("parliament {name}: stopped");
    outcome
}

async fn watch(cluster: &mut LocalCluster, args: &UpArgs) -> Result<()> {
    let tty = std::io::stdout().is_terminal();
    let refresh = Duration::from_secs_f64(args.refresh.max(0.1));
    let started = tokio::time::Instant::now();
    let mut last = String::new();
    let mut ticker = tokio::time::interval(refresh);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = crate::run::shutdown_signal() => return Ok(()),
        }
        for (id, status) in cluster.reap() {
            let log = cluster
                .log_path(id)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            eprintln!("member {id} exited ({status}); see {log}");
        }
        let statuses = status::gather(cluster.roster()).await;
        let table = status::render(&statuses);
        if let Some(limit) = args.until_convened {
            if status::convened(&statuses) {
                println!("{table}");
                println!("convened in {:.1} s", started.elapsed().as_secs_f64());
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(limit) {
                println!("{table}");
                return Err(Error::Config(format!(
                    "the parliament did not convene within {limit} s; see the members' logs under {}",
                    args.data.display()
                )));
            }
            continue;
        }
        if tty {
            // Clear the screen and draw the table at the top.
            print!("\x1b[2J\x1b[H{table}");
        } else if table != last {
            println!("{table}");
        }
        last = table;
    }
}
