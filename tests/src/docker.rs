//! Docker for the image tests: builds an image with `images/build.sh`, makes a network
//! of its own, and runs containers that are removed when dropped.
//!
//! A test calls [`available`] first. Without a working Docker daemon it prints why and
//! skips, unless `PARLIAMENT_REQUIRE_DOCKER` is set (as `.ci/run` sets it where `docker
//! info` works), which turns the missing daemon into a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether the image tests can run: `Ok(true)` with a daemon, `Ok(false)` after printing
/// why they skip.
///
/// # Errors
/// Docker is missing but `PARLIAMENT_REQUIRE_DOCKER` asks for it.
pub fn available() -> Result<bool, String> {
    let why = match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Ok(out) if out.status.success() => return Ok(true),
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => format!("cannot run docker: {e}"),
    };
    if std::env::var_os("PARLIAMENT_REQUIRE_DOCKER").is_some() {
        return Err(format!(
            "Docker is required here (PARLIAMENT_REQUIRE_DOCKER) but: {why}"
        ));
    }
    println!("skipped: no Docker daemon ({why})");
    Ok(false)
}

fn run(args: &[&str]) -> Result<Output, String> {
    Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run docker {}: {e}", args.join(" ")))
}

fn checked(args: &[&str]) -> Result<String, String> {
    let out = run(args)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A name no other test process on this machine uses at the same time.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The repository's `images/build.sh`.
#[must_use]
pub fn build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/build.sh")
}

/// An image built by `images/build.sh KIND --binary BINARY`, removed when dropped.
#[derive(Debug)]
pub struct Image {
    /// The image's tag.
    pub tag: String,
}

impl Image {
    /// Builds the `kind` image (`sidecar` or `operator`) from `binary`.
    ///
    /// # Errors
    /// The script failed; its standard error is in the message.
    pub fn build(kind: &str, binary: &Path) -> Result<Image, String> {
        let tag = format!("{}:test", unique(&format!("parliament-{kind}")));
        let out = Command::new("bash")
            .arg(build_script())
            .arg(kind)
            .arg("--binary")
            .arg(binary)
            .args(["--tag", &tag])
            .output()
            .map_err(|e| format!("cannot run images/build.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "images/build.sh {kind} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let printed = String::from_utf8_lossy(&out.stdout);
        if printed.lines().last() != Some(tag.as_str()) {
            return Err(format!(
                "images/build.sh printed {printed:?}, not the tag {tag}"
            ));
        }
        Ok(Image { tag })
    }

    /// The user the image runs as (`Config.User`).
    ///
    /// # Errors
    /// `docker image inspect` failed.
    pub fn user(&self) -> Result<String, String> {
        checked(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            &self.tag,
        ])
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = run(&["image", "rm", "--force", &self.tag]);
    }
}

/// A bridge network of its own, `10.<a>.<b>.0/24`, removed when dropped.
#[derive(Debug)]
pub struct Network {
    /// The network's name.
    pub name: String,
    /// The first three octets, `10.a.b`.
    prefix: String,
}

impl Network {
    /// Creates a network on a /24 that no other network on this daemon holds.
    ///
    /// # Errors
    /// Every subnet tried was taken, or Docker refused.
    pub fn create() -> Result<Network, String> {
        let name = unique("parliament-test");
        let pid = std::process::id();
        let mut last = String::new();
        for attempt in 0..16u32 {
            let n = (pid.wrapping_mul(31).wrapping_add(attempt)) % 60_000;
            let prefix = format!("10.{}.{}", 100 + n / 250 % 150, n % 250);
            match checked(&[
                "network",
                "create",
                "--driver",
                "bridge",
                "--subnet",
                &format!("{prefix}.0/24"),
                "--gateway",
                &format!("{prefix}.1"),
                &name,
            ]) {
                Ok(_) => return Ok(Network { name, prefix }),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The host's address on this network, where containers reach the test process.
    #[must_use]
    pub fn gateway(&self) -> String {
        format!("{}.1", self.prefix)
    }

    /// The address [`Container::run`] gives to the `index`th container (from 0).
    #[must_use]
    pub fn address(&self, index: u8) -> String {
        format!("{}.{}", self.prefix, u16::from(index) + 10)
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = run(&["network", "rm", &self.name]);
    }
}

/// How to run one container.
#[derive(Debug, Default)]
pub struct Spec<'a> {
    /// The network's address, from [`Network::address`].
    pub ip: Option<String>,
    /// DNS names other containers on the network reach this one by.
    pub aliases: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Host files mounted read-only: (host path, container path).
    pub files: Vec<(PathBuf, String)>,
    /// Writable scratch directories (tmpfs) inside the container.
    pub tmpfs: Vec<String>,
    /// Arguments after the image (the entrypoint's).
    pub args: Vec<&'a str>,
}

/// A detached container, removed (killed first) when dropped.
#[derive(Debug)]
pub struct Container {
    /// The container's name.
    pub name: String,
}

impl Container {
    /// Starts `image` on `network`.
    ///
    /// # Errors
    /// Docker refused to start it.
    pub fn run(image: &Image, network: &Network, spec: &Spec<'_>) -> Result<Container, String> {
        let name = unique("parliament");
        let mut args: Vec<String> = ["run", "--detach", "--name", &name, "--network"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.push(network.name.clone());
        if let Some(ip) = &spec.ip {
            args.extend(["--ip".to_owned(), ip.clone()]);
        }
        for alias in &spec.aliases {
            args.extend(["--network-alias".to_owned(), alias.clone()]);
        }
        for (key, value) in &spec.env {
            args.extend(["--env".to_owned(), format!("{key}={value}")]);
        }
        for (host, inside) in &spec.files {
            args.extend([
                "--volume".to_owned(),
                format!("{}:{inside}:ro", host.display()),
            ]);
        }
        for dir in &spec.tmpfs {
            args.extend(["--tmpfs".to_owned(), format!("{dir}:rw,mode=1777")]);
        }
        args.push(image.tag.clone());
        args.extend(spec.args.iter().map(|s| (*s).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        checked(&refs)?;
        Ok(Container { name })
    }

    /// Kills the container with SIGKILL, as a node failure would, and returns once it
    /// has stopped (`docker kill` only sends the signal).
    ///
    /// # Errors
    /// Docker refused.
    pub fn kill(&self) -> Result<(), String> {
        checked(&["kill", "--signal", "KILL", &self.name])?;
        checked(&["wait", &self.name]).map(drop)
    }

    /// Whether the container is still running.
    ///
    /// # Errors
    /// `docker inspect` failed.
    pub fn running(&self) -> Result<bool, String> {
        checked(&["inspect", "--format", "{{.State.Running}}", &self.name]).map(|s| s == "true")
    }

    /// Everything it wrote to standard output and error so far.
    #[must_use]
    pub fn logs(&self) -> String {
        match run(&["logs", &self.name]) {
            Ok(out) => format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => e,
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = run(&["rm", "--force", &self.name]);
    }
}
