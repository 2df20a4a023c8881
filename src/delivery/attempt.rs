//! One whole delivery attempt to a next-hop domain over the platform: destinations, the
//! MTA-STS policy of the next hop, then host by host its addresses, TLSA records, the TLS
//! plan ([`super::plan`]), dial, session and transactions ([`super::transactions`]); what
//! became of each recipient is kept in a [`Ledger`].
//!
//! As the reference's queue, with these changes: the TLS level is one of Postfix's, chosen by
//! the caller as a floor; a failed MTA-STS lookup never stops the attempt (without a valid
//! policy delivery goes on as if the domain had none, RFC 8461 §5); a message whose
//! REQUIRETLS cannot be met on a host waits for the next host instead of failing the
//! connection; several messages share one connection.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::batches;
use super::ledger::{Ledger, Status};
use super::level::TlsLevel;
use super::plan::{Dane, HostInput, HostPlan, Sts, plan};
use super::relay::Relay;
use super::request::{Attempt, Outgoing, Report, Request};
use crate::dns::{
    self, Destinations, DialedIps, DnsError, HostPreference, IpDomain, LookupError, RecordType,
    Resolver,
};
use crate::error::Error;
use crate::event::{DialOutcome, Event, EventLog};
use crate::io::dial::{DialError, dial};
use crate::io::{Clock, Log, Message, Network, SessionDriver, Transport};
use crate::mtasts::{self, CachedPolicy, Mode, Policy};
use crate::smtp::Reply;
use crate::smtp::command::CommandKind;
use crate::smtp::session::{SessionConfig, TlsMode, TransactionFailure};
use crate::tls::{ClientCertificate, TlsConfig};
use crate::tlsrpt::failure::VALIDATION_FAILURE;
use crate::tlsrpt::{
    self, AttemptResults, Failure, PolicyResult, PolicyType, ReportContext, TlsResults,
};

/// A not-found answer for the address of the next hop itself (no MX records): the domain
/// does not exist or has no address, which no retry changes ([`Error::DomainNotFound`]).
fn not_found(destinations: &Destinations, host: &HostPreference, error: Error) -> Error {
    let (false, IpDomain::Domain(domain)) = (destinations.have_mx, &host.host) else {
        return error;
    };
    match &error {
        Error::Dns(DnsError::Lookup {
            record: RecordType::Ip,
            error: LookupError::NotFound { .. },
            ..
        }) => Error::DomainNotFound {
            domain: domain.clone(),
        },
        _ => error,
    }
}

/// Runs one delivery attempt; every failure ends up in the report.
pub fn deliver<P, M>(platform: &mut P, request: &Request, outgoing: &[Outgoing<M>]) -> Report
where
    P: Resolver + Network + Clock + Log,
    M: Message,
{
    let ledger = Ledger::new(outgoing.iter().map(|o| o.recipients.clone()).collect());
    let limit = request.deadline.map(|deadline| platform.now() + deadline);
    let mut run = Run {
        platform,
        request,
        outgoing,
        ledger,
        dialed: request.dialed.clone(),
        attempts: Vec::new(),
        tls: AttemptResults::new(PolicyResult::new(
            PolicyType::NoPolicyFound,
            &request.next_hop.to_string(),
        )),
        last_error: None,
        sts: None,
        sts_to_cache: None,
        requiretls_refusals: vec![0; outgoing.len()],
        hosts_tried: 0,
        hosts_forbidden: 0,
        addresses_dialed: Vec::new(),
        sessions: 0,
        dualstack: false,
        events: EventLog::default(),
        limit,
    };
    run.settle_bad_envelopes();
    if run.ledger.any_pending() {
        run.run();
    }
    run.report()
}

/// The report of an attempt that cannot start: every message fails with `error` (an
/// invalid next hop, say), or with its own envelope's error. `dialed` goes back unchanged.
pub fn refuse<M>(outgoing: &[Outgoing<M>], error: Error, dialed: DialedIps) -> Report {
    let mut ledger = Ledger::new(outgoing.iter().map(|o| o.recipients.clone()).collect());
    for (m, outgoing) in outgoing.iter().enumerate() {
        if let Err(error) = &outgoing.transaction {
            ledger.fail_for_good(m, error);
        }
    }
    ledger.record_error(None, &error, None);
    ledger.finish(&error);
    Report {
        messages: ledger.into_messages(),
        error: Some(error),
        attempts: Vec::new(),
        tls_results: Vec::new(),
        sts_policy: None,
        dialed,
        events: Vec::new(),
    }
}

/// One delivery attempt in progress.
struct Run<'a, P, M> {
    platform: &'a mut P,
    request: &'a Request,
    outgoing: &'a [Outgoing<M>],
    ledger: Ledger,
    dialed: DialedIps,
    attempts: Vec<Attempt>,
    /// The TLS-reporting results: the recipient domain's (MTA-STS or no-policy-found) and
    /// each host's.
    tls: AttemptResults,
    /// The error that ended the last host tried, or the attempt before any host.
    last_error: Option<Error>,
    /// The next hop's MTA-STS policy in force (RFC 8461 §5), if any.
    sts: Option<Policy>,
    /// A policy fetched in this attempt, for the caller to cache.
    sts_to_cache: Option<CachedPolicy>,
    /// Per message: hosts that could not take it because of REQUIRETLS.
    requiretls_refusals: Vec<usize>,
    hosts_tried: usize,
    /// Hosts refused for their addresses ([`Error::ForbiddenAddress`]).
    hosts_forbidden: usize,
    /// Every address dialed in this attempt, for the address limit.
    addresses_dialed: Vec<IpAddr>,
    /// Sessions opened in this attempt, for the session limit.
    sessions: usize,
    /// The host being tried has IPv4 and IPv6 addresses.
    dualstack: bool,
    /// Dials, refused addresses, and what each session observed.
    events: EventLog,
    /// The request's deadline: no wait goes beyond it, no step starts after it.
    limit: Option<Instant>,
}

impl<P, M> Run<'_, P, M>
where
    P: Resolver + Network + Clock + Log,
    M: Message,
{
    /// An envelope the core refuses (an invalid path, say) fails its message for good.
    fn settle_bad_envelopes(&mut self) {
        for (m, outgoing) in self.outgoing.iter().enumerate() {
            if let Err(error) = &outgoing.transaction {
                self.ledger.fail_for_good(m, error);
            }
        }
    }

    /// Whether the request's deadline has passed; the first time, unless the last host
    /// timed out already, every pending recipient gets a timeout.
    fn limit_passed(&mut self) -> bool {
        let passed = self.limit.is_some_and(|limit| self.platform.now() >= limit);
        let reported = matches!(self.last_error, Some(Error::Timeout { .. }));
        if passed && !reported {
            self.fail_all(Error::timeout(None));
        }
        passed
    }

    fn fail_all(&mut self, error: Error) {
        self.ledger.record_error(None, &error, None);
        self.last_error = Some(error);
    }

    fn run(&mut self) {
        let request = self.request;
        if let Some(relay) = &request.relay {
            self.through_relay(relay);
            self.settle_requiretls();
            return;
        }
        let next_hop = &self.request.next_hop;
        let destinations =
            match dns::gather_destinations(self.platform, next_hop, self.request.shuffle_seed) {
                Ok(destinations) => destinations,
                Err(failure) => {
                    // A DNSSEC failure on the way to the hosts is reported (RFC 8460 §4.3.2.1).
                    if let Some(dnssec) = tlsrpt::dns::dnssec_failure(&failure.error) {
                        let detail = context(&next_hop.to_string()).details(&dnssec);
                        self.tls.recipient_domain.add(0, 1, &[detail]);
                    }
                    return self.fail_all(failure.error);
                }
            };
        if self.limit_passed() {
            return;
        }
        self.mta_sts();
        // As the reference's queue: a permanent error ends the attempt, since it settles
        // every recipient still pending.
        for host in &destinations.hosts {
            if !self.ledger.any_pending() || self.limit_passed() || self.limit_reached() {
                break;
            }
            self.hosts_tried += 1;
            if let Err(error) = self.try_host(&destinations, host) {
                self.ledger.record_error(None, &error, Some(&host.host));
                self.last_error = Some(error);
            }
        }
        self.settle_requiretls();
        self.settle_forbidden();
    }

    /// The attempt dialed as many addresses or opened as many sessions as it may (as
    /// Postfix's `smtp_mx_address_limit` and `smtp_mx_session_limit`).
    fn limit_reached(&mut self) -> bool {
        let (addresses, sessions) = (self.request.mx_address_limit, self.request.mx_session_limit);
        let reached = if addresses > 0 && self.addresses_dialed.len() >= addresses {
            Some("address")
        } else if sessions > 0 && self.sessions >= sessions {
            Some("session")
        } else {
            None
        };
        if let Some(what) = reached
            && self.platform.debug_enabled()
        {
            self.platform
                .debug(&format!("mx {what} limit reached, no further host tried"));
        }
        reached.is_some()
    }

    /// When every host tried was refused for its addresses, no later attempt can do
    /// better: the recipients fail for good (as Postfix bounces an MX that loops back).
    fn settle_forbidden(&mut self) {
        if self.hosts_tried == 0 || self.hosts_forbidden < self.hosts_tried {
            return;
        }
        if let Some(last) = self.last_error.take() {
            let error = Error::Undialable(Box::new(last));
            for m in 0..self.outgoing.len() {
                self.ledger.fail_for_good(m, &error);
            }
            self.last_error = Some(error);
        }
    }

    /// The MTA-STS policy of the original next hop, never of its CNAME target (RFC 8461 §4).
    fn mta_sts(&mut self) {
        let IpDomain::Domain(domain) = &self.request.next_hop else {
            return;
        };
        let outcome = mtasts::lookup(
            self.platform,
            domain,
            self.request.cached_sts_policy.as_ref(),
            &self.request.extra_roots,
            self.limit,
        );
        if let Some(error) = &outcome.error
            && self.platform.debug_enabled()
        {
            self.platform.debug(&format!("mta-sts: {error}"));
        }
        self.tls.recipient_domain =
            tlsrpt::sts_result(domain, outcome.policy.as_ref(), outcome.error.as_ref());
        self.sts = outcome.policy;
        self.sts_to_cache = outcome.cache;
    }

    /// What the MTA-STS policy says about `host` (RFC 8461 §4.1); a mismatch under a policy
    /// that is not "none" is reported as `validation-failure`, as the reference does.
    fn sts_for(&mut self, host: &str) -> Sts {
        let Some(policy) = &self.sts else {
            return Sts::None;
        };
        let matches = !host.is_empty() && mtasts::matches_any(&policy.mx, host);
        if !matches && policy.mode != Mode::None {
            let mismatch = Failure {
                result_type: VALIDATION_FAILURE,
                reason: Some("mtasts-policy-mx-mismatch".into()),
            };
            let mut detail = context(host).details(&mismatch);
            detail.failed_session_count = 0;
            self.tls.recipient_domain.add(0, 0, &[detail]);
        }
        match policy.mode {
            Mode::Enforce => Sts::Enforce { matches },
            Mode::Testing => Sts::Testing { matches },
            Mode::None => Sts::None,
        }
    }

    /// A message that no host could take for REQUIRETLS fails for good (RFC 8689 §4.1,
    /// 5.7.30).
    fn settle_requiretls(&mut self) {
        for m in 0..self.outgoing.len() {
            if self.hosts_tried > 0 && self.requiretls_refusals[m] == self.hosts_tried {
                self.ledger.fail_for_good(m, &Error::RequireTlsUnsupported);
                self.last_error = Some(Error::RequireTlsUnsupported);
            }
        }
    }

    /// One host: addresses, TLSA, plan, dial, session, transactions. Errors that stop the
    /// host are returned; per-transaction outcomes go into the ledger.
    fn try_host(
        &mut self,
        destinations: &Destinations,
        host: &HostPreference,
    ) -> Result<(), Error> {
        let addresses = dns::gather_ips(
            self.platform,
            &host.host,
            self.request.ip_family,
            &self.dialed,
        )
        .map_err(|failure| {
            let error = not_found(destinations, host, failure.error);
            self.record_attempt(host, None, TlsLevel::May, &error);
            // A DNSSEC failure of the host's addresses: DANE cannot be checked (RFC 8460
            // §4.3.2.1), reported on the host as a TLSA policy, as the reference does.
            if let (Some(dnssec), IpDomain::Domain(domain)) =
                (tlsrpt::dns::dnssec_failure(&error), &host.host)
            {
                let mut result = PolicyResult::new(PolicyType::Tlsa, &domain.ascii);
                result.add(0, 1, &[context(&domain.ascii).details(&dnssec)]);
                self.tls.recipient_domain.add(0, 1, &[]);
                self.tls.add_host(&result);
            }
            error
        })?;
        self.dualstack = addresses.dualstack;
        let dialable = self
            .dialable(host, &addresses.addresses)
            .inspect_err(|error| {
                self.hosts_forbidden += 1;
                self.record_attempt(host, None, TlsLevel::May, error);
            })?;
        let host_name = match &host.host {
            IpDomain::Domain(domain) => domain.ascii.clone(),
            IpDomain::Ip(_) => String::new(),
        };
        // DANE needs an authentic chain from the next hop to the address (RFC 7672 §2.2.1,
        // §2.2.2).
        let authentic = addresses.authentic
            && destinations.original_authentic
            && (!destinations.have_mx || destinations.expanded_authentic)
            && matches!(host.host, IpDomain::Domain(_));
        let (dane, host_result) = match &host.host {
            IpDomain::Domain(domain) if authentic => self.dane(destinations, domain, &addresses),
            _ => (
                Dane::NotApplicable,
                PolicyResult::new(PolicyType::NoPolicyFound, &host.host.to_string()),
            ),
        };
        self.tls.add_host(&host_result);
        let sts = self.sts_for(&host_name);
        let input = HostInput {
            requested: self.request.tls_level,
            host: &host_name,
            next_hop: &self.request.next_hop.to_string(),
            dane,
            sts,
            tls_required_no: self.request.tls_required_no,
            dmarc_report: self.request.dmarc_report,
        };
        let plan = plan(input).inspect_err(|error| {
            self.record_attempt(host, None, self.request.tls_level, error);
        })?;
        let results = self.tls.session_start(&host_result);
        self.deliver_to(host, &dialable, plan, results)
    }

    /// The relay's addresses, then the relay as the only host. Its addresses are the
    /// caller's choice: no refusal of private ones, no address limit.
    fn through_relay(&mut self, relay: &Relay) {
        let host = HostPreference {
            host: relay.host.clone(),
            preference: None,
        };
        let plan = relay.plan(self.request.tls_required_no);
        let addresses = dns::gather_ips(
            self.platform,
            &host.host,
            self.request.ip_family,
            &self.dialed,
        );
        if self.limit_passed() {
            return;
        }
        self.hosts_tried += 1;
        let delivered = match addresses {
            Ok(addresses) => {
                let host_result =
                    PolicyResult::new(PolicyType::NoPolicyFound, &host.host.to_string());
                self.tls.add_host(&host_result);
                let results = self.tls.session_start(&host_result);
                self.deliver_to(&host, &addresses.addresses, plan, results)
            }
            Err(failure) => {
                self.record_attempt(&host, None, plan.level, &failure.error);
                Err(failure.error)
            }
        };
        if let Err(error) = delivered {
            self.ledger.record_error(None, &error, Some(&host.host));
            self.last_error = Some(error);
        }
    }

    /// Connects to one of `addresses` with `plan` and delivers, with one plaintext retry
    /// after a failed handshake when the plan allows it.
    fn deliver_to(
        &mut self,
        host: &HostPreference,
        addresses: &[IpAddr],
        plan: HostPlan,
        results: TlsResults,
    ) -> Result<(), Error> {
        let first = self.connect_and_deliver(host, addresses, &plan, results.clone());
        match first {
            Err(error) if plan.plaintext_retry && is_handshake_failure(&error) => {
                // RFC 7435 §4: one retry without TLS, on a new connection.
                let plaintext = HostPlan {
                    level: TlsLevel::May,
                    tls_mode: TlsMode::Skip,
                    verify_pkix: false,
                    dane_records: None,
                    authenticated: false,
                    plaintext_retry: false,
                    ..plan
                };
                self.connect_and_deliver(host, addresses, &plaintext, results)
            }
            other => other,
        }
    }

    /// The addresses of `host` that may be dialed: not those no SMTP server can have, nor
    /// private ones unless the request allows them, and no more new ones than the address
    /// limit leaves.
    ///
    /// # Errors
    /// [`Error::ForbiddenAddress`] when every address is refused.
    fn dialable(
        &mut self,
        host: &HostPreference,
        addresses: &[IpAddr],
    ) -> Result<Vec<IpAddr>, Error> {
        let allow_private = self.request.allow_private_addresses;
        let mut refused = None;
        let mut dialable = Vec::with_capacity(addresses.len());
        for &ip in addresses {
            match super::refusal(ip, allow_private) {
                Some(reason) => {
                    self.events.push(Event::Dial {
                        host: host.host.clone(),
                        address: ip,
                        port: self.request.port,
                        outcome: DialOutcome::Refused(reason.to_string()),
                        duration: std::time::Duration::ZERO,
                    });
                    if self.platform.debug_enabled() {
                        self.platform
                            .debug(&format!("mx {}: not dialing {ip}, {reason}", host.host));
                    }
                    refused.get_or_insert((ip, reason));
                }
                None => dialable.push(ip),
            }
        }
        if let (true, Some((address, reason))) = (dialable.is_empty(), refused) {
            return Err(Error::ForbiddenAddress {
                host: host.host.to_string(),
                address,
                reason,
            });
        }
        let limit = self.request.mx_address_limit;
        if limit > 0 {
            let mut new = self.addresses_dialed.len();
            dialable.retain(|ip| {
                let known = self.addresses_dialed.contains(ip);
                new += usize::from(!known);
                known || new <= limit
            });
        }
        Ok(dialable)
    }

    /// The TLSA records of `domain` and the host's TLS-reporting result (RFC 7672 §2.2).
    fn dane(
        &mut self,
        destinations: &Destinations,
        domain: &dns::Domain,
        addresses: &dns::Addresses,
    ) -> (Dane, PolicyResult) {
        let expanded_authentic = destinations.expanded_authentic && addresses.expanded_authentic;
        let expanded_host = addresses
            .expanded_host
            .clone()
            .unwrap_or_else(|| domain.clone());
        let policy =
            match dns::gather_tlsa(self.platform, domain, expanded_authentic, &expanded_host) {
                Ok(policy) => policy,
                Err(error) => {
                    // DANE is required and cannot be checked (RFC 7672 §2.1.1): a failed
                    // session for TLS reports.
                    let failure = tlsrpt::dns::tlsa_failure(&error);
                    let mut result = PolicyResult::new(PolicyType::Tlsa, &domain.ascii);
                    result.add(0, 1, &[context(&domain.ascii).details(&failure)]);
                    self.tls.recipient_domain.add(0, 1, &[]);
                    return (Dane::LookupFailed(error), result);
                }
            };
        let base = policy.base_domain.ascii.clone();
        if !policy.dane_required {
            return (
                Dane::NoRecords,
                PolicyResult::new(PolicyType::NoPolicyFound, &base),
            );
        }
        let mut result = PolicyResult::new(PolicyType::Tlsa, &base);
        result.policy.policy_string = policy.records.iter().map(ToString::to_string).collect();
        if policy.records.is_empty() {
            // TLS required but not verified, and reported as such (RFC 7672 §2.2).
            let unusable = Failure {
                result_type: tlsrpt::dns::TLSA_INVALID,
                reason: Some("all-unusable-records+ignored".into()),
            };
            result.add(0, 0, &[context(&domain.ascii).details(&unusable)]);
            return (Dane::Unusable, result);
        }
        let original_next_hop = match &self.request.next_hop {
            IpDomain::Domain(d) => d.clone(),
            IpDomain::Ip(_) => domain.clone(),
        };
        let names = dns::tlsa_names(&dns::TlsaNamesInput {
            have_mx: destinations.have_mx,
            expanded_next_hop_authentic: destinations.expanded_authentic,
            expanded_base_domain_authentic: expanded_authentic,
            expanded_next_hop: destinations
                .expanded_next_hop
                .clone()
                .unwrap_or_else(|| original_next_hop.clone()),
            original_next_hop,
            original_base_domain: domain.clone(),
            expanded_base_domain: policy.base_domain.clone(),
        });
        let names = names.into_iter().map(|d| d.ascii).collect();
        (
            Dane::Usable {
                records: policy.records,
                names,
            },
            result,
        )
    }

    /// Dial, open a session with `plan`, run the transactions, close. Returns the error that
    /// ended the connection early, if any.
    fn connect_and_deliver(
        &mut self,
        host: &HostPreference,
        addresses: &[IpAddr],
        plan: &HostPlan,
        results: TlsResults,
    ) -> Result<(), Error> {
        let (transport, address) = match self.dial(&host.host, addresses) {
            Ok(dialed) => dialed,
            Err((error, address)) => {
                self.record_attempt(host, address, plan.level, &error);
                return Err(error);
            }
        };
        let config = match self.session_config(plan, &transport, results) {
            Ok(config) => config,
            Err(error) => {
                self.record_attempt(host, Some(address), plan.level, &error);
                return Err(error);
            }
        };
        let mut driver = SessionDriver::new(self.platform, config, transport);
        driver.set_limit(self.limit);
        let mut error = driver
            .open(self.platform)
            .err()
            .map(|error| self.first_attempt(error));
        if error.is_none() {
            self.sessions += 1;
        }
        let extensions = driver
            .session
            .extensions()
            .map(|e| e.keywords.clone())
            .unwrap_or_default();
        let tls = driver.session.tls_state();
        if error.is_none() {
            error = self.transactions_on(&mut driver, &host.host, plan);
        }
        // QUIT also after a refused greeting or EHLO (RFC 5321 §3.1: "the SMTP client
        // SHOULD send the QUIT command"); nothing goes out on a broken connection.
        driver.close(self.platform);
        self.events.extend(driver.session.take_observed_events());
        self.tls.add_session(driver.session.tls_results());
        let attempt_error = error
            .clone()
            .or_else(|| self.host_leftover_error(&host.host));
        if let Some(error) = &attempt_error {
            self.last_error = Some(error.clone());
        }
        let attempt = Attempt {
            tls,
            extensions,
            ..self.attempt(host, Some(address), plan.level, attempt_error)
        };
        self.attempts.push(attempt);
        error.map_or(Ok(()), Err)
    }

    /// The transactions of every message with pending recipients on an open session.
    /// Returns the error that ended the connection, if one did.
    fn transactions_on(
        &mut self,
        driver: &mut SessionDriver<P::Transport>,
        host: &IpDomain,
        plan: &HostPlan,
    ) -> Option<Error> {
        let tls_active = driver.session.tls_state().is_some();
        for (m, outgoing) in self.outgoing.iter().enumerate() {
            let Ok(transaction) = &outgoing.transaction else {
                continue;
            };
            if self.ledger.pending(m).is_empty() {
                continue;
            }
            // RFC 8689 §4.1: REQUIRETLS needs a server authenticated by DANE or MTA-STS.
            if transaction.require_tls && !(plan.authenticated && tls_active) {
                self.requiretls_refusals[m] += 1;
                self.ledger
                    .record_error(Some(m), &Error::RequireTlsUnsupported, Some(host));
                continue;
            }
            let recipients = batches::Recipients {
                ledger: &mut self.ledger,
                message: m,
                host,
                rcpt_replies: None,
            };
            let (request, dualstack) = (self.request, self.dualstack);
            let failure = batches::send(
                self.platform,
                driver,
                (&outgoing.message, transaction),
                recipients,
                |failure| first_attempt_failure(request, dualstack, failure),
            );
            if failure.is_some() {
                return failure;
            }
        }
        None
    }

    /// The last error of a recipient still pending after `host`, for its attempt record.
    fn host_leftover_error(&self, host: &IpDomain) -> Option<Error> {
        self.ledger
            .messages()
            .iter()
            .flatten()
            .filter(|r| r.status != Status::Delivered && r.host.as_ref() == Some(host))
            .find_map(|r| r.error.clone())
    }

    fn dial(
        &mut self,
        host: &IpDomain,
        addresses: &[IpAddr],
    ) -> Result<(P::Transport, IpAddr), (Error, Option<IpAddr>)> {
        let port = self.port();
        let connect_timeout = self.request.connect_timeout;
        let limit = self.limit;
        let platform = &mut *self.platform;
        let dialed_now = &mut self.addresses_dialed;
        let events = &mut self.events;
        let result = dial(
            host,
            addresses,
            &self.request.local_addresses,
            &mut self.dialed,
            |ip, local| {
                let started = platform.now();
                let timeout = match limit {
                    Some(limit) if started >= limit => return Err(Error::timeout(None)),
                    Some(limit) => connect_timeout.min(limit - started),
                    None => connect_timeout,
                };
                if !dialed_now.contains(&ip) {
                    dialed_now.push(ip);
                }
                let connected = platform.connect(SocketAddr::new(ip, port), local, timeout);
                events.push(Event::Dial {
                    host: host.clone(),
                    address: ip,
                    port,
                    outcome: match &connected {
                        Ok(_) => DialOutcome::Connected,
                        Err(error) => DialOutcome::Failed(error.to_string()),
                    },
                    duration: platform.now().saturating_duration_since(started),
                });
                connected
            },
        );
        match result {
            Ok(dialed) => Ok(dialed),
            Err(DialError::NoAddresses) => Err((Error::Usage("no addresses to dial"), None)),
            Err(DialError::Failed { address, error }) => Err((error, Some(address))),
        }
    }

    /// A permanent refusal that may be about our address (5.7.x) on a first attempt to a
    /// dual-stack host becomes temporary: the next attempt starts with the other family
    /// (as the reference's queue does, in case our address is on a blocklist).
    fn first_attempt(&self, error: Error) -> Error {
        first_attempt(self.request, self.dualstack, error)
    }

    /// The session's settings for `plan`.
    fn session_config(
        &self,
        plan: &HostPlan,
        transport: &P::Transport,
        results: TlsResults,
    ) -> Result<SessionConfig, Error> {
        let client_certificate = match &self.request.client_certificate {
            Some(pem) => Some(ClientCertificate::from_pem(&pem.chain, &pem.key).map_err(
                |detail| Error::Tls {
                    command: None,
                    detail,
                },
            )?),
            None => None,
        };
        let ip =
            |address: Option<SocketAddr>| address.map(|a| a.ip().to_string()).unwrap_or_default();
        let tls = TlsConfig {
            remote_hostname: plan.remote_hostname.clone(),
            verify_pkix: plan.verify_pkix,
            dane_records: plan.dane_records.clone(),
            dane_more_hostnames: plan.dane_more_hostnames.clone(),
            ignore_verify_errors: plan.ignore_verify_errors,
            extra_roots: self.request.extra_roots.clone(),
            client_certificate,
            wall_clock: unix_time(self.platform.wall()),
        };
        Ok(SessionConfig {
            ehlo_hostname: self.request.ehlo_hostname.clone(),
            tls_mode: plan.tls_mode,
            timeouts: self.request.timeouts,
            tls,
            tls_results: results,
            report: ReportContext {
                sending_mta_ip: ip(transport.local_address()),
                receiving_ip: ip(transport.remote_address()),
                receiving_mx_hostname: plan.remote_hostname.clone(),
                receiving_mx_helo: None,
            },
            auth: self.request.relay.as_ref().and_then(|r| r.auth.clone()),
        })
    }

    /// The port dialed: the relay's, or the request's for MX hosts.
    fn port(&self) -> u16 {
        self.request
            .relay
            .as_ref()
            .map_or(self.request.port, |r| r.port)
    }

    /// A host tried, before or without a session: no TLS state, no EHLO keywords.
    fn attempt(
        &self,
        host: &HostPreference,
        address: Option<IpAddr>,
        level: TlsLevel,
        error: Option<Error>,
    ) -> Attempt {
        Attempt {
            host: host.host.clone(),
            address,
            port: self.port(),
            // A relay's TLS is the caller's mode, not a level.
            tls_level: self.request.relay.is_none().then_some(level),
            tls: None,
            extensions: Vec::new(),
            error,
        }
    }

    /// Records a host that failed before a session was open.
    fn record_attempt(
        &mut self,
        host: &HostPreference,
        address: Option<IpAddr>,
        level: TlsLevel,
        error: &Error,
    ) {
        let attempt = self.attempt(host, address, level, Some(error.clone()));
        self.attempts.push(attempt);
    }

    fn report(mut self) -> Report {
        let fallback = self
            .last_error
            .clone()
            .unwrap_or(Error::internal("no destination host was tried"));
        self.ledger.finish(&fallback);
        let undelivered = self
            .ledger
            .messages()
            .iter()
            .flatten()
            .any(|r| r.status != Status::Delivered);
        Report {
            error: self.last_error.filter(|_| undelivered),
            messages: self.ledger.into_messages(),
            attempts: self.attempts,
            tls_results: self.tls.into_results(&self.request.next_hop.to_string()),
            sts_policy: self.sts_to_cache,
            dialed: self.dialed,
            events: self.events.take(),
        }
    }
}

/// [`Run::first_attempt`] for an error.
fn first_attempt(request: &Request, dualstack: bool, error: Error) -> Error {
    if softens(request, dualstack, error.is_permanent(), error.reply()) {
        Error::FirstAttempt(Box::new(error))
    } else {
        error
    }
}

/// [`Run::first_attempt`] for a failed transaction and its recipients' refusals.
/// A refused MAIL gives every recipient its class (the RCPT replies after it say nothing
/// about them), so softening it softens them all.
fn first_attempt_failure(
    request: &Request,
    dualstack: bool,
    mut failure: TransactionFailure,
) -> TransactionFailure {
    let mail_softened = matches!(
        failure.error,
        Error::Status {
            command: CommandKind::MailFrom,
            ..
        }
    ) && softens(
        request,
        dualstack,
        failure.error.is_permanent(),
        failure.error.reply(),
    );
    for recipient in &mut failure.recipients {
        let own = softens(
            request,
            dualstack,
            recipient.permanent,
            recipient.reply.as_ref(),
        );
        if mail_softened || own {
            recipient.permanent = false;
        }
    }
    failure.error = first_attempt(request, dualstack, failure.error);
    failure
}

fn softens(request: &Request, dualstack: bool, permanent: bool, reply: Option<&Reply>) -> bool {
    let policy = reply
        .and_then(|r| r.enhanced)
        .is_some_and(|code| code.class == 5 && code.subject == 7);
    permanent && policy && dualstack && request.attempt_number == Some(1)
}

/// The session failed in TLS itself, not in DANE or PKIX verification: STARTTLS refused,
/// the handshake failed, or the connection broke or timed out during STARTTLS and its
/// handshake (RFC 7435 §4: such a server gets the mail in plaintext). The case for the
/// plaintext retry.
fn is_handshake_failure(error: &Error) -> bool {
    match error {
        Error::Tls { .. } | Error::StartTls { .. } => true,
        Error::Io { command, .. }
        | Error::UnexpectedEof { command }
        | Error::Timeout { command } => *command == Some(CommandKind::StartTls),
        _ => false,
    }
}

/// Where a failure detail points: a host name, no addresses (no connection was made).
fn context(host: &str) -> ReportContext {
    ReportContext {
        receiving_mx_hostname: host.to_string(),
        ..ReportContext::default()
    }
}

/// Wall-clock time as rustls takes it.
fn unix_time(wall: std::time::SystemTime) -> rustls::pki_types::UnixTime {
    let since_epoch = wall
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rustls::pki_types::UnixTime::since_unix_epoch(since_epoch)
}
