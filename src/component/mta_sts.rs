//! The `mta-sts` export and [`lookup`], which the delivery code calls: the `_mta-sts` TXT
//! lookup through the `resolver` import, and when a fetch is needed the addresses of
//! `mta-sts.<domain>`, a connection to port 443 through `tcp`, and the sans-IO
//! [`crate::mtasts::Fetch`] driven over it (the logic is in [`crate::mtasts`]).

use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::UnixTime;

use super::Component;
use super::convert::tcp_error;
use super::exports::smtp::client::mta_sts::{
    Guest, Mode as WitMode, Policy as WitPolicy, StsOutcome as WitOutcome, StsPolicy,
};
use super::exports::smtp::client::tls_report::PolicyResult as WitPolicyResult;
use super::resolver::ImportResolver;
use super::smtp::client::tcp::{self, Connection, SocketAddress, TcpError};
use super::smtp::client::types::Domain as WitDomain;
use crate::dial::{self, DialError, DialedIps};
use crate::dns::{self, Domain, IpDomain, IpFamily, LookupError, Resolver};
use crate::error::Error;
use crate::mtasts::http::DEFAULT_TIMEOUT;
use crate::mtasts::{
    self, CachedPolicy, Discovery, Fetch, Fetched, Mode, Policy, StsError, StsOutcome,
};
use crate::tls::report::{PolicyResult, PolicyType};

/// RFC 8461 §3.3: the policy is served over HTTPS, port 443.
const HTTPS_PORT: u16 = 443;
/// How much is read from the socket at a time.
const READ_CHUNK: u32 = 16 * 1024;

/// Looks up the MTA-STS policy of `domain` (the recipient domain) at wall-clock time `now`,
/// with `cached` from the host's cache and `extra_roots` (DER) trusted for the policy host
/// besides the Mozilla roots. Never fails: errors are in the outcome, which always says
/// which policy applies (RFC 8461 §5.1).
pub fn lookup(
    domain: &Domain,
    cached: Option<CachedPolicy>,
    now: SystemTime,
    extra_roots: &[Vec<u8>],
) -> StsOutcome {
    let started = Instant::now();
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let txt = match mtasts::txt_name(domain) {
        Some(name) => ImportResolver.lookup_txt(&name),
        // A name over 253 characters cannot exist in DNS: no record, no policy.
        None => Err(LookupError::NotFound { authentic: false }),
    };
    match mtasts::discover(domain, cached.as_ref(), txt, since_epoch.as_secs()) {
        Discovery::Done(outcome) => outcome,
        Discovery::Fetch(pending) => {
            let host = pending.host();
            let wall_clock = UnixTime::since_unix_epoch(since_epoch);
            let fetched = fetch(&host, extra_roots, wall_clock, started);
            pending.finish(fetched)
        }
    }
}

/// Resolves `host`, connects to port 443 and runs the fetch, all within
/// [`DEFAULT_TIMEOUT`] from `started`.
fn fetch(
    host: &str,
    extra_roots: &[Vec<u8>],
    wall_clock: UnixTime,
    started: Instant,
) -> Result<Fetched, StsError> {
    let resolve = |error: Error| StsError::Resolve {
        host: host.to_string(),
        error: Box::new(error),
    };
    let name = Domain::parse(host).map_err(|_| resolve(Error::Usage("invalid policy host")))?;
    let target = IpDomain::Domain(name);
    let addresses = dns::gather_ips(
        &mut ImportResolver,
        &target,
        IpFamily::Any,
        &DialedIps::default(),
    )
    .map_err(|failure| resolve(failure.error))?;
    let mut fetch =
        Fetch::new(host, extra_roots, wall_clock, started, DEFAULT_TIMEOUT).map_err(|error| {
            StsError::Fetch {
                host: host.to_string(),
                error,
            }
        })?;
    let deadline = fetch.poll_timeout();
    let conn = connect(host, &target, &addresses.addresses, deadline)?;
    drive(&mut fetch, &conn).map_err(|error| StsError::Fetch {
        host: host.to_string(),
        error,
    })
}

/// Connects to the first address that answers on port 443.
fn connect(
    host: &str,
    target: &IpDomain,
    addresses: &[IpAddr],
    deadline: Instant,
) -> Result<Connection, StsError> {
    let mut memory = DialedIps::default();
    let result = dial::dial(target, addresses, &[], &mut memory, |ip, local| {
        let remote = SocketAddress {
            address: ip.into(),
            port: HTTPS_PORT,
        };
        tcp::connect(remote, local.map(Into::into), millis_until(deadline))
    });
    match result {
        Ok((conn, _)) => Ok(conn),
        Err(DialError::NoAddresses) => Err(StsError::Connect {
            host: host.to_string(),
            detail: "no addresses".into(),
            timeout: false,
        }),
        Err(DialError::Failed { error, .. }) => Err(StsError::Connect {
            host: host.to_string(),
            detail: tcp_error(&error, None).to_string(),
            timeout: matches!(error, TcpError::Timeout),
        }),
    }
}

/// Pumps bytes between the fetch and the connection until the fetch has its result.
fn drive(fetch: &mut Fetch, conn: &Connection) -> Result<Fetched, mtasts::FetchError> {
    let mut out = Vec::new();
    loop {
        if let Some(result) = fetch.poll_result() {
            return result;
        }
        let deadline = fetch.poll_timeout();
        out.clear();
        if fetch.poll_transmit(&mut out) > 0 {
            match conn.write(&out, millis_until(deadline)) {
                Ok(()) => {}
                // The host's timeout is the fetch's deadline.
                Err(TcpError::Timeout) => fetch.handle_timeout(deadline),
                Err(error) => fetch.handle_transport_error(tcp_error(&error, None).to_string()),
            }
            continue;
        }
        let now = Instant::now();
        if now >= deadline {
            fetch.handle_timeout(now);
            continue;
        }
        match conn.read(READ_CHUNK, millis_until(deadline)) {
            Ok(bytes) if bytes.is_empty() => fetch.handle_eof(Instant::now()),
            Ok(bytes) => fetch.handle_input(Instant::now(), &bytes),
            Err(TcpError::Timeout) => fetch.handle_timeout(deadline),
            Err(error) => fetch.handle_transport_error(tcp_error(&error, None).to_string()),
        }
    }
}

/// Milliseconds until `deadline`, at least 1 (0 could mean "don't wait" to a host).
fn millis_until(deadline: Instant) -> u32 {
    let left = deadline.saturating_duration_since(Instant::now());
    u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1)
}

/// The core form of a cached policy from the host.
pub fn core_cached(policy: StsPolicy) -> CachedPolicy {
    CachedPolicy {
        id: policy.id,
        text: policy.text,
        fetched_at: policy.fetched_at,
    }
}

/// The WIT form of a policy for the host to cache.
pub fn wit_cached(policy: CachedPolicy) -> StsPolicy {
    StsPolicy {
        id: policy.id,
        text: policy.text,
        fetched_at: policy.fetched_at,
    }
}

/// The WIT form of a parsed policy.
pub fn wit_policy(policy: &Policy) -> WitPolicy {
    WitPolicy {
        mode: match policy.mode {
            Mode::Enforce => WitMode::Enforce,
            Mode::Testing => WitMode::Testing,
            Mode::None => WitMode::None,
        },
        mx: policy.mx.clone(),
        max_age: policy.max_age,
    }
}

impl Guest for Component {
    fn lookup_policy(
        domain: WitDomain,
        cached: Option<StsPolicy>,
        extra_roots: Vec<Vec<u8>>,
    ) -> WitOutcome {
        let Ok(domain) = Domain::parse(&domain.ascii) else {
            return WitOutcome {
                policy: None,
                cache: None,
                tls_result: WitPolicyResult::from(&PolicyResult::new(
                    PolicyType::NoPolicyFound,
                    &domain.ascii,
                )),
                error: Some(Error::Usage("invalid domain name").into()),
            };
        };
        let outcome = lookup(
            &domain,
            cached.map(core_cached),
            SystemTime::now(),
            &extra_roots,
        );
        WitOutcome {
            policy: outcome.policy.as_ref().map(wit_policy),
            cache: outcome.cache.map(wit_cached),
            tls_result: WitPolicyResult::from(&outcome.tls_result),
            error: outcome.error.map(Into::into),
        }
    }
}
