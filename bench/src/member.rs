//! `parliament-bench run …`: this binary as one Parliament member, the same as
//! `parliament run …` (the same `RunArgs`, the same `parliament::run::run`), so that the
//! failover part can spawn real member processes without a second binary to build.

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// The first argument that makes this binary a member.
pub const COMMAND: &str = "run";

/// `run`'s command line: exactly `parliament run`'s.
#[derive(Parser, Debug)]
#[command(
    name = "parliament-bench run",
    about = "One Parliament member, as `parliament run`"
)]
struct MemberCli {
    #[command(flatten)]
    args: parliament::run::RunArgs,
}

/// Runs one member until a signal or until its stdin closes. `argv` starts with
/// [`COMMAND`], which clap takes for the program's name.
///
/// # Errors
/// Bad arguments, or whatever stops the member (`parliament::run::run`'s errors).
pub fn run(argv: &[String]) -> anyhow::Result<()> {
    let cli = match MemberCli::try_parse_from(argv) {
        Ok(cli) => cli,
        // --help and --version print and exit 0; mistakes print usage and exit 2.
        Err(e) => e.exit(),
    };
    // As sidecar/src/main.rs: RUST_LOG, text on stderr.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("the member's tokio runtime")?;
    runtime
        .block_on(parliament::run::run(cli.args))
        .context("member")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_arguments_local_cluster_gives_a_member() {
        let argv: Vec<String> = [
            COMMAND,
            "--roster",
            "r.json",
            "--cluster",
            "web",
            "--member",
            "3",
            "--data",
            "d",
            "--spec",
            "s.yaml",
            "--api",
            "127.0.0.1:1",
            "--metrics",
            "127.0.0.1:2",
            "--exit-on-stdin-eof",
        ]
        .map(str::to_owned)
        .to_vec();
        let cli = MemberCli::try_parse_from(&argv).unwrap();
        assert_eq!(cli.args.member, Some(3));
        assert!(cli.args.exit_on_stdin_eof);
        assert!(MemberCli::try_parse_from([COMMAND, "--member", "x"]).is_err());
    }
}
