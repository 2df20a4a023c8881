//! Policy lookup over the platform: the `_mta-sts` TXT lookup through the resolver, and when
//! a fetch is needed the addresses of `mta-sts.<domain>`, a connection to port 443 and the
//! sans-IO [`Fetch`] driven over it, all within [`DEFAULT_TIMEOUT`].

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rustls::pki_types::UnixTime;

use super::http::DEFAULT_TIMEOUT;
use super::{CachedPolicy, Discovery, Fetch, FetchError, Fetched, StsError, StsOutcome};
use crate::dns::{self, DialedIps, Domain, IpDomain, IpFamily, LookupError, Resolver};
use crate::error::Error;
use crate::io::dial::{DialError, dial};
use crate::io::{Clock, Network, Transport};

/// RFC 8461 §3.3: the policy is served over HTTPS, port 443.
const HTTPS_PORT: u16 = 443;
/// How much is read from the connection at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Looks up the MTA-STS policy of `domain` (the recipient domain), with `cached` from the
/// caller's cache and `extra_roots` (DER) trusted for the policy host besides the Mozilla
/// roots. A fetch ends at [`DEFAULT_TIMEOUT`] or at `limit` (the request's deadline),
/// whichever comes first. Never fails: errors are in the outcome, which always says which
/// policy applies (RFC 8461 §5.1).
pub fn lookup<P: Resolver + Network + Clock>(
    platform: &mut P,
    domain: &Domain,
    cached: Option<&CachedPolicy>,
    extra_roots: &[Vec<u8>],
    limit: Option<Instant>,
) -> StsOutcome {
    let started = platform.now();
    let timeout = limit.map_or(DEFAULT_TIMEOUT, |limit| {
        DEFAULT_TIMEOUT.min(limit.saturating_duration_since(started))
    });
    let since_epoch = platform
        .wall()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let txt = match super::txt_name(domain) {
        Some(name) => platform.lookup_txt(&name),
        // A name over 253 characters cannot exist in DNS: no record, no policy.
        None => Err(LookupError::NotFound { authentic: false }),
    };
    match super::discover(domain, cached, txt, since_epoch.as_secs()) {
        Discovery::Done(outcome) => outcome,
        Discovery::Fetch(pending) => {
            let host = pending.host();
            let wall_clock = UnixTime::since_unix_epoch(since_epoch);
            let fetched = fetch(platform, &host, extra_roots, wall_clock, started, timeout);
            pending.finish(fetched)
        }
    }
}

/// Resolves `host`, connects to port 443 and runs the fetch, all within `timeout` from
/// `started`.
fn fetch<P: Resolver + Network + Clock>(
    platform: &mut P,
    host: &str,
    extra_roots: &[Vec<u8>],
    wall_clock: UnixTime,
    started: Instant,
    timeout: Duration,
) -> Result<Fetched, StsError> {
    let resolve = |error: Error| StsError::Resolve {
        host: host.to_string(),
        error: Box::new(error),
    };
    let name = Domain::parse(host).map_err(|_| resolve(Error::Usage("invalid policy host")))?;
    let target = IpDomain::Domain(name);
    let addresses = dns::gather_ips(platform, &target, IpFamily::Any, &DialedIps::default())
        .map_err(|failure| resolve(failure.error))?;
    let fetch_error = |error| StsError::Fetch {
        host: host.to_string(),
        error,
    };
    let mut fetch =
        Fetch::new(host, extra_roots, wall_clock, started, timeout).map_err(fetch_error)?;
    let deadline = fetch.poll_timeout();
    let mut transport = connect(platform, host, &target, &addresses.addresses, deadline)?;
    drive(&mut fetch, &mut transport, platform).map_err(fetch_error)
}

/// Connects to the first address that answers on port 443.
fn connect<N: Network + Clock>(
    platform: &mut N,
    host: &str,
    target: &IpDomain,
    addresses: &[IpAddr],
    deadline: Instant,
) -> Result<N::Transport, StsError> {
    let mut memory = DialedIps::default();
    let result = dial(target, addresses, &[], &mut memory, |ip, local| {
        let left = deadline.saturating_duration_since(platform.now());
        platform.connect(SocketAddr::new(ip, HTTPS_PORT), local, left)
    });
    match result {
        Ok((transport, _)) => Ok(transport),
        Err(DialError::NoAddresses) => Err(StsError::Connect {
            host: host.to_string(),
            detail: "no addresses".into(),
            timeout: false,
        }),
        Err(DialError::Failed { error, .. }) => Err(StsError::Connect {
            host: host.to_string(),
            timeout: matches!(error, Error::Timeout { .. }),
            detail: error.to_string(),
        }),
    }
}

/// Pumps bytes between the fetch and the connection until the fetch has its result.
fn drive<T: Transport, C: Clock>(
    fetch: &mut Fetch,
    transport: &mut T,
    clock: &C,
) -> Result<Fetched, FetchError> {
    let mut out = Vec::new();
    loop {
        if let Some(result) = fetch.poll_result() {
            return result;
        }
        let deadline = fetch.poll_timeout();
        let left = |clock: &C| deadline.saturating_duration_since(clock.now());
        out.clear();
        if fetch.poll_transmit(&mut out) > 0 {
            match transport.write(&out, left(clock).max(Duration::from_millis(1))) {
                Ok(()) => {}
                // The write's timeout is the fetch's deadline.
                Err(Error::Timeout { .. }) => fetch.handle_timeout(deadline),
                Err(error) => fetch.handle_transport_error(error.to_string()),
            }
            continue;
        }
        let now = clock.now();
        if now >= deadline {
            fetch.handle_timeout(now);
            continue;
        }
        match transport.read(READ_CHUNK, deadline - now) {
            Ok(bytes) if bytes.is_empty() => fetch.handle_eof(clock.now()),
            Ok(bytes) => fetch.handle_input(clock.now(), &bytes),
            Err(Error::Timeout { .. }) => fetch.handle_timeout(deadline),
            Err(error) => fetch.handle_transport_error(error.to_string()),
        }
    }
}
