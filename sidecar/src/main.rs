//! `parliament`: run a member, a whole parliament on this machine, or talk to one.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use parliament::cli::{kv, roles, status};
use parliament::{local, run};

#[derive(Parser, Debug)]
#[command(
    name = "parliament",
    version,
    about = "Hierarchical leader election and consensus, organised like a Westminster parliament"
)]
struct Cli {
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs one member: the sidecar.
    Run(Box<RunCommand>),
    /// Runs a whole parliament on this machine from a Parliament YAML.
    Up(local::UpArgs),
    /// Shows roles, terms, fencing tokens, districts and the session of a parliament.
    Status(status::StatusArgs),
    /// Reads and writes the replicated store.
    Kv(kv::KvArgs),
    /// Shows one member's roles, or watches them change.
    Roles(roles::RolesArgs),
}

#[derive(clap::Args, Debug)]
struct RunCommand {
    #[command(flatten)]
    args: run::RunArgs,
}

fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(cli.log_json);
    match cli.command {
        Command::Run(r) => run::run(r.args).await?,
        Command::Up(args) => local::up(args).await?,
        Command::Status(args) => println!("{}", status::run(args).await?),
        Command::Kv(args) => match kv::run(args).await {
            Ok(out) => println!("{out}"),
            Err(status) => anyhow::bail!("{:?}: {}", status.code(), status.message()),
        },
        Command::Roles(args) => {
            if let Err(status) = roles::run(args).await {
                anyhow::bail!("{:?}: {}", status.code(), status.message());
            }
        }
    }
    Ok(())
}
