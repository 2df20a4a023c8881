//! Builds the smtpclient component (profile `component`, `wasm32-wasip2`) so that the host embeds it:
//! `cargo run -p host-example` needs no manual step. The component is built by a nested
//! cargo in its own target directory, so it never contends with the outer build's lock.
//!
//! The same build makes the wasi-run file: the WASI adapter and the command component, and
//! their composition with the client component (unchanged, byte for byte) into
//! `target/wasi-run/smtpclient-cli.wasm`, which `wasmtime run` executes as is (`compose.rs`).

#[path = "build/compose.rs"]
mod compose;

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
/// The workspace's profile for the component (Cargo.toml: `[profile.component]`).
const PROFILE: &str = "component";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host-example lives in the workspace");
    for watched in [
        "src",
        "wit",
        "command-line",
        "wasi-run",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=SMTPCLIENT_COMPONENT");

    // An embedder or a test may bring its own build of the component.
    let given = env::var_os("SMTPCLIENT_COMPONENT").map(PathBuf::from);
    let mut packages = vec![ADAPTER_PACKAGE, COMMAND_PACKAGE];
    if given.is_none() {
        packages.push("smtpclient");
    }
    let built = build_components(root, &packages);
    let wasm = given.unwrap_or_else(|| built.join("smtpclient.wasm"));
    println!(
        "cargo:rustc-env=SMTPCLIENT_COMPONENT_WASM={}",
        wasm.display()
    );
    let composed = root
        .join("target")
        .join("wasi-run")
        .join("smtpclient-cli.wasm");
    if let Err(error) = compose::compose(
        &wasm,
        &built.join("smtpclient_wasi_adapter.wasm"),
        &built.join("smtpclient-cli.wasm"),
        &composed,
    ) {
        panic!("composing {}: {error}", composed.display());
    }
    println!("cargo:rustc-env=SMTPCLIENT_CLI_WASM={}", composed.display());
}

/// The WASI adapter's package (`wasi-run/adapter`, a cdylib component).
const ADAPTER_PACKAGE: &str = "smtpclient-wasi-adapter";
/// The command's package (`wasi-run/command`, the binary `smtpclient-cli`).
const COMMAND_PACKAGE: &str = "smtpclient-wasi-command";

/// Build `packages` (their libraries and binaries) for wasm32-wasip2 with the component
/// profile in one nested cargo; returns the directory of the `.wasm` files.
fn build_components(root: &Path, packages: &[&str]) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = root.join("target").join("component");
    ensure_target_installed();
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--profile",
            PROFILE,
            "--lib",
            "--bins",
            "--target",
            TARGET,
        ])
        .args(packages.iter().flat_map(|package| ["-p", package]))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer cargo's settings are not meant for this build: flags, wrappers (clippy)
    // and a target directory that would be locked by the outer build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the component: {e}"));
    if !status.success() {
        panic!("building the components for {TARGET} failed ({status})");
    }
    target_dir.join(TARGET).join(PROFILE)
}

/// `rust-toolchain.toml` names the target, but rustup installs it only with the toolchain:
/// on a machine that already had the toolchain, add the target now.
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if libdir.is_some_and(|dir| dir.exists()) {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    if !status.is_ok_and(|s| s.success()) {
        panic!("the {TARGET} target is missing and `rustup target add {TARGET}` failed");
    }
}
