//! `host-example send`: submit one message to one server (msmtp-style): the command line
//! crate's `send` with this host's `--zone`, `--proxy` and `--source`.

use super::ehlo::machine_name;
use super::flags::{EgressArgs, ZoneArgs, open_message};
use super::start_host;
use crate::egress::AddressPolicy;
use crate::send::send;
use clap::Args;
use command_line::exit::{self, fail};
use command_line::print::print_report;
use std::path::Path;
use std::sync::Arc;

/// `send` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    shared: command_line::send::SendArgs,
    #[command(flatten)]
    zone: ZoneArgs,
    #[command(flatten)]
    egress: EgressArgs,
}

/// Runs `send` and returns its exit code.
pub async fn run(component: Option<&Path>, args: SendArgs) -> u8 {
    let shared = &args.shared;
    let request = match shared.request(open_message, machine_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    // The server is the user's choice: every address allowed.
    let policy = Arc::new(AddressPolicy::allow_all());
    let host = match start_host(
        component,
        &shared.dns,
        &args.zone,
        &shared.output,
        &args.egress,
        policy,
    )
    .await
    {
        Ok(host) => host,
        Err(code) => return code,
    };
    match host.deadline(send(&host, &request)).await {
        Ok(report) => print_report(&report, shared.output.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}
