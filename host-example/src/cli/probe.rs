//! `host-example probe DOMAIN`: examine a domain's mail servers through the component (see
//! [`crate::probe`]). Exit codes: 0 every MX host answered SMTP; 75 a lookup failed or some
//! MX host did not answer; 69 the domain accepts no mail (a null MX, RFC 7505).

use super::flags::{EgressArgs, ZoneArgs};
use super::output::print_probe;
use super::start_host;
use crate::egress::AddressPolicy;
use crate::probe::probe;
use clap::Args;
use command_line::exit::{self, fail};
use command_line::flags::{DnsServerArgs, OutputArgs, TimeoutArgs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The deadline of each connect and reply without `--timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `probe` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// The domain whose mail servers to examine.
    domain: String,
    #[command(flatten)]
    dns: DnsServerArgs,
    #[command(flatten)]
    zone: ZoneArgs,
    /// The SMTP port of the MX hosts.
    #[arg(long, default_value_t = 25)]
    port: u16,
    #[command(flatten)]
    timeout: TimeoutArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    egress: EgressArgs,
}

/// Runs `probe` and returns its exit code.
pub async fn run(component: Option<&Path>, args: ProbeArgs) -> u8 {
    // A look at servers the user asked about, no mail sent: loopback and private MX hosts
    // are shown too; addresses no server can have are never dialed.
    let policy = Arc::new(AddressPolicy::dialable());
    let host = match start_host(
        component,
        &args.dns,
        &args.zone,
        &args.output,
        &args.egress,
        policy,
    )
    .await
    {
        Ok(host) => host,
        Err(code) => return code,
    };
    let timeout = args.timeout.duration().unwrap_or(DEFAULT_TIMEOUT);
    match host
        .deadline(probe(&host, &args.domain, args.port, timeout))
        .await
    {
        Ok(report) => print_probe(&report, args.output.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}
