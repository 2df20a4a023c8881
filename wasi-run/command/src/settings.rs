//! What the command tells the adapter before the first call: the nameserver of `--dns`, the
//! egress the subcommand needs, and the `-v` count.

use crate::bindings::adapter::{self, Egress, Nameserver, Settings};
use crate::convert::ip_address;
use command_line::exit::{self, fail};
use command_line::flags::{DnsServerArgs, OutputArgs};

/// The HTTPS port, for MTA-STS policies (RFC 8461 §3.3).
pub const HTTPS_PORT: u16 = 443;

/// Configure the adapter: `ports` are those the subcommand dials (the adapter refuses
/// others), `allow_private` lets loopback and private addresses be dialed. A bad `--dns` or
/// `$SMTPCLIENT_DNS`, or no nameserver when `needs_dns`, exits 64.
pub fn configure(
    dns: &DnsServerArgs,
    output: &OutputArgs,
    ports: Vec<u16>,
    allow_private: bool,
    needs_dns: bool,
) -> Result<(), u8> {
    // An explicitly configured resolver is trusted for its AD bit, as in host-example.
    let nameserver = dns.server()?.map(|server| Nameserver {
        address: ip_address(server.ip()),
        port: server.port(),
        trusted: true,
    });
    let found = adapter::configure(&Settings {
        nameserver,
        egress: Egress {
            ports,
            allow_private,
        },
        verbosity: output.verbose,
    })
    .map_err(|e| fail(exit::USAGE, &format!("no usable DNS resolver: {e}")))?;
    if found.is_none() && needs_dns {
        return Err(fail(
            exit::USAGE,
            "no usable DNS resolver: give --dns IP[:PORT], pass SMTPCLIENT_DNS (wasmtime run \
             --env SMTPCLIENT_DNS=IP), or preopen /etc (--dir /etc::/etc) for its resolv.conf",
        ));
    }
    Ok(())
}
