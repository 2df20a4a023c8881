//! The `host-example` command line: flags, exit codes and output as DESIGN.md "The command
//! line" states. `send` and `deliver` are the command line crate's (shared with the wasi-run
//! command), with this host's own flags added; `probe` and `demo` are this host's. One module
//! per subcommand; this host's flags in [`flags`]; `probe`'s printing in [`output`].

mod deliver;
mod demo;
mod ehlo;
mod flags;
mod output;
mod probe;
mod send;

use crate::egress::EgressPolicy;
use crate::host::{EMBEDDED_COMPONENT, Host, HostConfig};
use clap::{Parser, Subcommand};
use command_line::exit::{self, fail};
use command_line::flags::{DnsServerArgs, OutputArgs};
use flags::{EgressArgs, ZoneArgs};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    let cli: Cli = match exit::parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
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

/// The host of a subcommand: the command line's settings ([`HostConfig::command_line`]) with
/// `policy` for egress and what the shared flags say (DNS, `-v`, `--proxy`, `--source`).
async fn start_host(
    component: Option<&Path>,
    dns: &DnsServerArgs,
    zone: &ZoneArgs,
    output: &OutputArgs,
    egress: &EgressArgs,
    policy: Arc<dyn EgressPolicy>,
) -> Result<Host, u8> {
    let resolver = flags::resolver(dns, zone)?;
    let config = HostConfig {
        egress: policy,
        ..HostConfig::command_line(flags::shown_dns(output, resolver), flags::logger(output))
    };
    load_host(component, egress.apply(config).await?)
}
