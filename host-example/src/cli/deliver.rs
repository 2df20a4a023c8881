//! `host-example deliver`: direct delivery to the MX hosts of each recipient domain, or
//! through a relay with `--relay`: the command line crate's `deliver` with this host's
//! `--zone`, `--proxy` and `--source`, and the default directory of `--sts-cache`.

use super::ehlo::machine_name;
use super::flags::{EgressArgs, ZoneArgs, open_message};
use super::start_host;
use crate::deliver::{StsCache, deliver};
use crate::egress::{AddressPolicy, EgressPolicy};
use clap::Args;
use command_line::exit::{self, fail};
use command_line::print::print_report;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `deliver` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct DeliverArgs {
    #[command(flatten)]
    shared: command_line::deliver::DeliverArgs,
    #[command(flatten)]
    zone: ZoneArgs,
    #[command(flatten)]
    egress: EgressArgs,
}

/// The egress of `deliver` without `--allow-private-addresses`: globally reachable
/// addresses only, and a refusal the flag would lift says so.
struct PublicOnly {
    dialable: AddressPolicy,
    public: AddressPolicy,
}

impl Default for PublicOnly {
    fn default() -> Self {
        PublicOnly {
            dialable: AddressPolicy::dialable(),
            public: AddressPolicy::public_only(),
        }
    }
}

impl EgressPolicy for PublicOnly {
    fn check(&self, remote: SocketAddr, local: Option<IpAddr>) -> Result<(), String> {
        self.dialable.check(remote, local)?;
        self.public
            .check(remote, local)
            .map_err(|reason| format!("{reason} (--allow-private-addresses allows it)"))
    }
}

/// Runs `deliver` and returns its exit code.
pub async fn run(component: Option<&Path>, args: DeliverArgs) -> u8 {
    let shared = &args.shared;
    let request = match shared.request(open_message, machine_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    // A relay is the user's choice, as `send`'s server: every address allowed.
    let egress: Arc<dyn EgressPolicy> = if shared.relayed() {
        Arc::new(AddressPolicy::allow_all())
    } else if shared.allow_private_addresses {
        Arc::new(AddressPolicy::dialable())
    } else {
        Arc::new(PublicOnly::default())
    };
    let host = match start_host(
        component,
        &shared.dns,
        &args.zone,
        &shared.output,
        &args.egress,
        egress,
    )
    .await
    {
        Ok(host) => host,
        Err(code) => return code,
    };
    let sts_cache = shared
        .sts_cache
        .clone()
        .or_else(default_sts_cache)
        .map(StsCache::new);
    match deliver(&host, &request, sts_cache.as_ref()).await {
        Ok(report) => print_report(&report, shared.output.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}

/// The default of `--sts-cache`: the user's cache directory,
/// `$XDG_CACHE_HOME/smtpclient/mta-sts` or `~/.cache/smtpclient/mta-sts`, when
/// `$XDG_CACHE_HOME` or `$HOME` is set.
fn default_sts_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
    Some(base.join("smtpclient").join("mta-sts"))
}
