//! The `host-example` command line: flags, exit codes and output as DESIGN.md "The command
//! line" states. One module per subcommand; the flags they share in [`flags`]; printing
//! and exit codes in [`output`].

mod deliver;
mod demo;
mod ehlo;
mod flags;
mod output;
mod probe;
mod send;

use crate::host::{EMBEDDED_COMPONENT, Host, HostConfig};
use clap::{Parser, Subcommand};
use output::{exit, fail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "host-example",
    version,
    about = "Run the smtpclient WebAssembly component"
)]
struct Cli {
    /// Use this component (.wasm) instead of the one built into this program.
    #[arg(long, global = true, value_name = "FILE.wasm")]
    component: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Offline demo: send a message through the component to an SMTP server of ours.
    Demo,
    /// Submit a message to a server (msmtp-style).
    Send(Box<send::SendArgs>),
    /// Deliver a message to the MX hosts of its recipients' domains (DANE, MTA-STS).
    Deliver(Box<deliver::DeliverArgs>),
    /// Examine a domain's mail servers: MX, DNSSEC, TLSA, MTA-STS, EHLO, TLS, PKIX, DANE.
    Probe(Box<probe::ProbeArgs>),
}

/// Run the command line with `args` (program name first) and return the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _printed = error.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(
                exit::SOFTWARE,
                &format!("cannot start the runtime: {error}"),
            );
        }
    };
    let component = cli.component.as_deref();
    runtime.block_on(async move {
        match cli.command {
            Command::Demo => demo::run(component).await,
            Command::Send(args) => send::run(component, *args).await,
            Command::Deliver(args) => deliver::run(component, *args).await,
            Command::Probe(args) => probe::run(component, *args).await,
        }
    })
}

/// Load the component (`--component FILE` or the embedded build) into a host, or say in one
/// line why not: an unreadable file exits 66, a broken component 70.
fn load_host(component: Option<&Path>, config: HostConfig) -> Result<Host, u8> {
    let bytes = match component {
        None => EMBEDDED_COMPONENT.to_vec(),
        Some(path) => std::fs::read(path).map_err(|e| {
            fail(
                exit::NOINPUT,
                &format!("cannot read component {}: {e}", path.display()),
            )
        })?,
    };
    Host::new(&bytes, config).map_err(|e| fail(exit::SOFTWARE, &e.to_string()))
}
