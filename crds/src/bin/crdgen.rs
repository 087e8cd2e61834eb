//! Prints the Parliament CustomResourceDefinition as YAML, as the Helm chart ships it:
//! `cargo run -p parliament-crds --bin crdgen > charts/parliament/crds/parliament.dev_parliaments.yaml`.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let yaml = match parliament_crds::crd_yaml() {
        Ok(yaml) => yaml,
        Err(error) => {
            eprintln!("crdgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::io::stdout().lock().write_all(yaml.as_bytes()) {
        eprintln!("crdgen: cannot write to stdout: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
