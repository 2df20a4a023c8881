//! Builds the smtpclient component (profile `component`, `wasm32-wasip2`) so that the host embeds it:
//! `cargo run -p host-example` needs no manual step. The component is built by a nested
//! cargo in its own target directory, so it never contends with the outer build's lock.

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
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=SMTPCLIENT_COMPONENT");

    // An embedder or a test may bring its own build of the component.
    let wasm = match env::var_os("SMTPCLIENT_COMPONENT") {
        Some(path) => PathBuf::from(path),
        None => build_component(root),
    };
    println!(
        "cargo:rustc-env=SMTPCLIENT_COMPONENT_WASM={}",
        wasm.display()
    );
}

fn build_component(root: &Path) -> PathBuf {
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
            "-p",
            "smtpclient",
            "--target",
            TARGET,
        ])
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
        panic!("building the smtpclient component for {TARGET} failed ({status})");
    }
    target_dir
        .join(TARGET)
        .join(PROFILE)
        .join("smtpclient.wasm")
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
