//! Compiles the `.proto` files with protox (pure Rust: no system `protoc`) and generates
//! prost messages and tonic services with tonic-prost-build.

use std::error::Error;

const PROTOS: &[&str] = &[
    "parliament/peer/v1/peer.proto",
    "parliament/client/v1/client.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["."])?;
    tonic_prost_build::configure().bytes(".").compile_fds(fds)?;
    Ok(())
}
