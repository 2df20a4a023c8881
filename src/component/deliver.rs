//! `delivery.deliver`: one whole delivery attempt to a next-hop domain over the imports, in
//! the order of spec §11 (mox's queue around its client): destinations, then host by host
//! addresses, TLSA, the TLS plan ([`crate::delivery::plan`]), dial, session, transactions;
//! what became of each recipient is kept in a [`Ledger`].
//!
//! Changes from mox's queue (spec §11, §13): the TLS level is one of Postfix's, chosen by
//! the caller as a floor; a message whose REQUIRETLS cannot be met on a host waits for the
//! next host instead of failing the connection; several messages share one connection.

use std::net::IpAddr;
use std::time::{Instant, SystemTime};

use super::convert::tcp_error;
use super::driver::Driver;
use super::exports::smtp::client::client::OpenOptions;
use super::exports::smtp::client::delivery::{
    Attempt, DeliveryReport, DeliveryRequest, MessageReport, Outgoing, RecipientReport,
    RecipientStatus, TlsLevel as WitTlsLevel,
};
use super::exports::smtp::client::tls_report::TlsResults as WitTlsResults;
use super::resolver::{ImportResolver, core_family};
use super::smtp::client::spool::Message;
use super::smtp::client::tcp::{self, Connection, SocketAddress};
use super::smtp::client::types::{IpAddress, IpDomain as WitIpDomain};
use crate::delivery::{Dane, HostInput, HostPlan, Ledger, Status, Sts, TlsLevel, plan};
use crate::dial::{self, DialError, DialedIps};
use crate::dns::{self, Destinations, HostPreference, IpDomain};
use crate::error::Error;
use crate::smtp::session::{
    Event, Session, SessionConfig, TlsMode, Transaction, TransactionFailure,
};
use crate::tls::report::{FailureDetails, PolicyResult, PolicyType};
use crate::tls::{ClientCertificate, ReportContext, TlsConfig, TlsResults};

/// The dial deadline per address when the request gives none (spec §11.2: 30 s).
const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 30_000;

/// One delivery attempt in progress.
struct Run {
    request: DeliveryRequest,
    next_hop: IpDomain,
    /// One per message: the transaction, or why the envelope is unusable.
    transactions: Vec<Result<Transaction, Error>>,
    messages: Vec<Message>,
    ledger: Ledger,
    dialed: DialedIps,
    attempts: Vec<Attempt>,
    tls_results: Vec<WitTlsResults>,
    /// The error that ended the last host tried, or the attempt before any host.
    last_error: Option<Error>,
    /// The recipient domain's TLS-reporting result: MTA-STS, or no-policy-found.
    domain_result: PolicyResult,
    /// The next hop's MTA-STS policy in force (RFC 8461 §5), if any.
    sts: Option<crate::mtasts::Policy>,
    /// A policy fetched in this attempt, for the host to cache.
    sts_to_cache: Option<crate::mtasts::CachedPolicy>,
    /// Per message: hosts that could not take it because of REQUIRETLS, and hosts tried.
    requiretls_refusals: Vec<usize>,
    hosts_tried: usize,
}

/// Runs one delivery attempt; every failure ends up in the report.
pub fn deliver(request: DeliveryRequest, outgoing: Vec<Outgoing>) -> DeliveryReport {
    let mut transactions = Vec::with_capacity(outgoing.len());
    let mut messages = Vec::with_capacity(outgoing.len());
    let mut recipients = Vec::with_capacity(outgoing.len());
    for item in outgoing {
        recipients.push(
            item.envelope
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect(),
        );
        transactions.push(super::session::transaction(item.envelope));
        messages.push(item.message);
    }
    let count = messages.len();
    let mut run = Run {
        next_hop: IpDomain::Ip(IpAddr::from([0, 0, 0, 0])),
        dialed: super::delivery::core_dialed(request.dialed_ips.clone()),
        request,
        transactions,
        messages,
        ledger: Ledger::new(recipients),
        attempts: Vec::new(),
        tls_results: Vec::new(),
        last_error: None,
        domain_result: PolicyResult::new(PolicyType::NoPolicyFound, ""),
        sts: None,
        sts_to_cache: None,
        requiretls_refusals: vec![0; count],
        hosts_tried: 0,
    };
    run.settle_bad_envelopes();
    if run.ledger.any_pending() {
        match super::delivery::core_ip_domain(&run.request.next_hop) {
            Ok(next_hop) => {
                run.domain_result =
                    PolicyResult::new(PolicyType::NoPolicyFound, &next_hop.to_string());
                run.next_hop = next_hop;
                run.run();
            }
            Err(error) => run.fail_all(error),
        }
    }
    run.report()
}

impl Run {
    /// An envelope the core refuses (an invalid path, say) fails its message for good.
    fn settle_bad_envelopes(&mut self) {
        for m in 0..self.transactions.len() {
            if let Err(error) = &self.transactions[m] {
                let error = error.clone();
                self.ledger.fail_for_good(m, &error);
            }
        }
    }

    fn fail_all(&mut self, error: Error) {
        self.ledger.record_error(None, &error, None);
        self.last_error = Some(error);
    }

    fn run(&mut self) {
        let seed = super::delivery::random_seed();
        let destinations = match dns::gather_destinations(&mut ImportResolver, &self.next_hop, seed)
        {
            Ok(destinations) => destinations,
            Err(failure) => return self.fail_all(failure.error),
        };
        self.mta_sts();
        for host in &destinations.hosts {
            if !self.ledger.any_pending() {
                break;
            }
            self.hosts_tried += 1;
            if let Err(error) = self.try_host(&destinations, host) {
                let permanent = error.is_permanent();
                self.ledger
                    .record_error(None, &error, Some(&host.host.to_string()));
                self.last_error = Some(error);
                // Spec §11.1 step 4: a permanent error ends the attempt.
                if permanent {
                    break;
                }
            }
        }
        self.settle_requiretls();
    }

    /// Spec §11.1 step 3: the MTA-STS policy of the original next hop, never of its CNAME
    /// target (RFC 8461 §4). Unlike mox, a failed lookup never stops the attempt: without a
    /// valid policy, delivery goes on as if the domain had none (RFC 8461 §5, §3.3).
    fn mta_sts(&mut self) {
        let IpDomain::Domain(domain) = &self.next_hop else {
            return;
        };
        let cached = self
            .request
            .cached_sts_policy
            .clone()
            .map(super::mta_sts::core_cached);
        let outcome = super::mta_sts::lookup(
            domain,
            cached,
            SystemTime::now(),
            &self.request.session.extra_root_cas,
        );
        self.domain_result = outcome.tls_result;
        self.sts = outcome.policy;
        self.sts_to_cache = outcome.cache;
    }

    /// What the MTA-STS policy says about `host` (RFC 8461 §4.1); a mismatch under a policy
    /// that is not "none" is reported as `validation-failure` (spec §11.1 step 4).
    fn sts_for(&mut self, host: &str) -> Sts {
        let Some(policy) = &self.sts else {
            return Sts::None;
        };
        let matches = !host.is_empty() && crate::mtasts::matching::matches_any(&policy.mx, host);
        if !matches && policy.mode != crate::mtasts::Mode::None {
            let mut detail = failure_detail(
                host,
                "validation-failure",
                Some("mtasts-policy-mx-mismatch"),
            );
            detail.failed_session_count = 0;
            self.domain_result.add(0, 0, &[detail]);
        }
        match policy.mode {
            crate::mtasts::Mode::Enforce => Sts::Enforce { matches },
            crate::mtasts::Mode::Testing => Sts::Testing { matches },
            crate::mtasts::Mode::None => Sts::None,
        }
    }

    /// Spec §11.1 step 5: a message that no host could take for REQUIRETLS fails for good
    /// (RFC 8689 §4.1, 5.7.30).
    fn settle_requiretls(&mut self) {
        for m in 0..self.messages.len() {
            if self.hosts_tried > 0 && self.requiretls_refusals[m] == self.hosts_tried {
                self.ledger.fail_for_good(m, &requiretls_error());
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
        let family = core_family(self.request.ip_family);
        let addresses = dns::gather_ips(&mut ImportResolver, &host.host, family, &self.dialed)
            .map_err(|failure| {
                self.record_attempt(host, None, TlsLevel::May, &failure.error);
                failure.error
            })?;
        let host_name = match &host.host {
            IpDomain::Domain(domain) => domain.ascii.clone(),
            IpDomain::Ip(_) => String::new(),
        };
        // Spec §11.2 step 2: DANE needs an authentic chain from the next hop to the address.
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
        let sts = self.sts_for(&host_name);
        let input = HostInput {
            requested: tls_level(self.request.tls_level),
            host: &host_name,
            next_hop: &self.next_hop.to_string(),
            dane,
            sts,
            tls_required_no: self.request.tls_required_no,
        };
        let plan = plan(input).inspect_err(|error| {
            self.record_attempt(host, None, self.floor(), error);
        })?;
        let results = TlsResults {
            recipient_domain: self.domain_result.clone(),
            host: host_result,
        };
        let first = self.connect_and_deliver(host, &addresses.addresses, &plan, results.clone());
        match first {
            Err(error) if plan.plaintext_retry && is_handshake_failure(&error) => {
                // RFC 7435 §4, spec §11.1: one retry without TLS, on a new connection.
                let plaintext = HostPlan {
                    level: TlsLevel::May,
                    tls_mode: TlsMode::Skip,
                    verify_pkix: false,
                    dane_records: None,
                    authenticated: false,
                    plaintext_retry: false,
                    ..plan
                };
                self.connect_and_deliver(host, &addresses.addresses, &plaintext, results)
            }
            other => other,
        }
    }

    /// The TLSA records of `domain` and the host's TLS-reporting result (spec §11.2 step 2).
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
        let policy = match dns::gather_tlsa(
            &mut ImportResolver,
            domain,
            expanded_authentic,
            &expanded_host,
        ) {
            Ok(policy) => policy,
            Err(error) => {
                let mut result = PolicyResult::new(PolicyType::Tlsa, &domain.ascii);
                result.add(0, 1, &[failure_detail(&domain.ascii, "tlsa-invalid", None)]);
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
            // Spec §11.2: TLS required but not verified, and reported as such.
            let detail = failure_detail(
                &domain.ascii,
                "tlsa-invalid",
                Some("all-unusable-records+ignored"),
            );
            result.failure_details.push(detail);
            return (Dane::Unusable, result);
        }
        let original_next_hop = match &self.next_hop {
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
        let (conn, address) = match self.dial(&host.host, addresses) {
            Ok(dialed) => dialed,
            Err((error, address)) => {
                self.record_attempt(host, address, plan.level, &error);
                return Err(error);
            }
        };
        let config = match self.session_config(plan, &conn, results) {
            Ok(config) => config,
            Err(error) => {
                self.record_attempt(host, Some(address), plan.level, &error);
                return Err(error);
            }
        };
        let mut driver = Driver::new(Session::new(config, Instant::now()), conn);
        let opened = driver.run_until(None, |event| match event {
            Event::Ready => Some(Ok(())),
            Event::OpenFailed(error) => Some(Err(error)),
            _ => None,
        });
        driver.log_tls();
        let mut error = opened.err();
        let extensions = driver
            .session
            .extensions()
            .map(|e| e.keywords.clone())
            .unwrap_or_default();
        let tls = driver.session.tls_state().map(Into::into);
        if error.is_none() {
            error = self.transactions_on(&mut driver, &host.host.to_string(), plan);
            driver.session.quit(Instant::now());
            driver.run_until(None, |event| matches!(event, Event::Closed).then_some(()));
        }
        self.tls_results.push(driver.session.tls_results().into());
        let attempt_error = error
            .clone()
            .or_else(|| self.host_leftover_error(&host.host));
        let attempt = Attempt {
            tls,
            extensions,
            ..self.attempt(host, Some(address), plan.level, attempt_error.as_ref())
        };
        self.attempts.push(attempt);
        error.map_or(Ok(()), Err)
    }

    /// The transactions of every message with pending recipients on an open session.
    /// Returns the error that ended the connection, if one did.
    fn transactions_on(
        &mut self,
        driver: &mut Driver,
        host: &str,
        plan: &HostPlan,
    ) -> Option<Error> {
        let tls_active = driver.session.tls_state().is_some();
        let rcpt_max = driver
            .session
            .extensions()
            .and_then(|e| e.limits.as_ref())
            .map_or(0, |limits| limits.rcpt_max as usize);
        for m in 0..self.messages.len() {
            let Ok(transaction) = &self.transactions[m] else {
                continue;
            };
            let transaction = transaction.clone();
            let mut queue = self.ledger.pending(m);
            if queue.is_empty() {
                continue;
            }
            // RFC 8689 §4.1: REQUIRETLS needs a server authenticated by DANE or MTA-STS.
            if transaction.require_tls && !(plan.authenticated && tls_active) {
                self.requiretls_refusals[m] += 1;
                self.ledger
                    .record_error(Some(m), &requiretls_error(), Some(host));
                continue;
            }
            while !queue.is_empty() {
                let take = if rcpt_max == 0 {
                    queue.len()
                } else {
                    rcpt_max.min(queue.len())
                };
                let batch: Vec<usize> = queue.drain(..take).collect();
                match self.transaction(driver, m, subset(&transaction, &batch)) {
                    Ok(outcome) => {
                        let again = self.ledger.record_outcome(m, &batch, &outcome, host);
                        queue.splice(0..0, again);
                    }
                    Err(failure) => {
                        self.ledger.record_failure(m, &batch, &failure, host);
                        if driver.session.is_botched() || driver.session.is_closed() {
                            return Some(failure.error);
                        }
                        if failure.error.is_permanent() {
                            // The same envelope would be refused again (MAIL FROM, say).
                            self.ledger
                                .record_error(Some(m), &failure.error, Some(host));
                            queue.clear();
                        }
                    }
                }
            }
        }
        None
    }

    /// One transaction of message `m`, reading the message anew from the spool.
    fn transaction(
        &mut self,
        driver: &mut Driver,
        m: usize,
        tx: Transaction,
    ) -> Result<crate::smtp::session::TransactionOutcome, TransactionFailure> {
        let failure = |error: Error| TransactionFailure {
            error,
            recipients: Vec::new(),
        };
        let stream = self.messages[m]
            .open()
            .map_err(|e| failure(Error::io(format!("opening the message in the spool: {e}"))))?;
        driver
            .session
            .start_transaction(Instant::now(), tx)
            .map_err(failure)?;
        driver.run_until(Some(&stream), |event| match event {
            Event::TransactionDone(result) => Some(result),
            _ => None,
        })
    }

    /// The last error of a recipient still pending after `host`, for its attempt record.
    fn host_leftover_error(&self, host: &IpDomain) -> Option<Error> {
        let name = host.to_string();
        self.ledger
            .messages()
            .iter()
            .flatten()
            .filter(|r| r.status != Status::Delivered && r.host.as_deref() == Some(&name))
            .find_map(|r| r.error.clone())
    }

    fn dial(
        &mut self,
        host: &IpDomain,
        addresses: &[IpAddr],
    ) -> Result<(Connection, IpAddr), (Error, Option<IpAddr>)> {
        let port = self.request.port;
        let timeout = match self.request.connect_timeout_ms {
            0 => DEFAULT_CONNECT_TIMEOUT_MS,
            ms => ms,
        };
        let locals: Vec<IpAddr> = self
            .request
            .local_addresses
            .iter()
            .map(|&a| IpAddr::from(a))
            .collect();
        let result = dial::dial(host, addresses, &locals, &mut self.dialed, |ip, local| {
            let remote = SocketAddress {
                address: ip.into(),
                port,
            };
            tcp::connect(remote, local.map(IpAddress::from), timeout)
        });
        match result {
            Ok(dialed) => Ok(dialed),
            Err(DialError::NoAddresses) => Err((Error::Usage("no addresses to dial"), None)),
            Err(DialError::Failed { address, error }) => {
                Err((tcp_error(&error, None), Some(address)))
            }
        }
    }

    /// The session's settings for `plan`, from the request's session options.
    fn session_config(
        &self,
        plan: &HostPlan,
        conn: &Connection,
        results: TlsResults,
    ) -> Result<SessionConfig, Error> {
        let options: &OpenOptions = &self.request.session;
        let client_certificate = match &options.client_certificate {
            Some(cert) => Some(
                ClientCertificate::from_pem(&cert.chain_pem, &cert.key_pem).map_err(|detail| {
                    Error::Tls {
                        command: None,
                        detail,
                    }
                })?,
            ),
            None => None,
        };
        let tls = TlsConfig {
            remote_hostname: plan.remote_hostname.clone(),
            verify_pkix: plan.verify_pkix,
            dane_records: plan.dane_records.clone(),
            dane_more_hostnames: plan.dane_more_hostnames.clone(),
            ignore_verify_errors: plan.ignore_verify_errors,
            extra_roots: options.extra_root_cas.clone(),
            client_certificate,
            wall_clock: super::convert::wall_clock(),
            report: ReportContext {
                receiving_mx_hostname: plan.remote_hostname.clone(),
                ..super::convert::report_context(conn)
            },
            results,
        };
        Ok(SessionConfig {
            ehlo_hostname: options.ehlo_hostname.ascii.clone(),
            tls_mode: plan.tls_mode,
            timeouts: options
                .timeouts
                .map(super::session::timeouts)
                .unwrap_or_default(),
            tls,
            auth: None,
        })
    }

    /// The caller's level, for attempts that end before a plan exists.
    fn floor(&self) -> TlsLevel {
        tls_level(self.request.tls_level)
    }

    /// A host tried, before or without a session: no TLS state, no EHLO keywords.
    fn attempt(
        &self,
        host: &HostPreference,
        address: Option<IpAddr>,
        level: TlsLevel,
        error: Option<&Error>,
    ) -> Attempt {
        Attempt {
            host: super::delivery::wit_ip_domain(host.host.clone()),
            address: address.map(Into::into),
            port: self.request.port,
            tls_level: wit_level(level),
            tls: None,
            extensions: Vec::new(),
            error: error.map(Into::into),
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
        let attempt = self.attempt(host, address, level, Some(error));
        self.attempts.push(attempt);
    }

    fn report(mut self) -> DeliveryReport {
        let fallback = self
            .last_error
            .clone()
            .unwrap_or(Error::internal("no destination host was tried"));
        self.ledger.finish(&fallback);
        let messages = self
            .ledger
            .messages()
            .iter()
            .map(|recipients| MessageReport {
                recipients: recipients.iter().map(recipient_report).collect(),
            })
            .collect();
        let undelivered = self
            .ledger
            .messages()
            .iter()
            .flatten()
            .any(|r| r.status != Status::Delivered);
        DeliveryReport {
            messages,
            error: self
                .last_error
                .as_ref()
                .filter(|_| undelivered)
                .map(Into::into),
            attempts: self.attempts,
            tls_results: self.tls_results,
            sts_policy: self.sts_to_cache.take().map(super::mta_sts::wit_cached),
            dialed_ips: super::delivery::wit_dialed(&self.dialed),
        }
    }
}

fn recipient_report(recipient: &crate::delivery::Recipient) -> RecipientReport {
    RecipientReport {
        address: recipient.address.clone(),
        status: match recipient.status {
            Status::Delivered => RecipientStatus::Delivered,
            Status::Permanent => RecipientStatus::Permanent,
            Status::Pending | Status::Temporary => RecipientStatus::Temporary,
        },
        reply: recipient.reply.as_ref().map(Into::into),
        error: recipient.error.as_ref().map(Into::into),
        host: recipient.host.as_deref().and_then(wit_host),
    }
}

/// The transaction for the recipients at `batch` (indexes into `transaction`), with their
/// DSN parameters (RFC 3461 §4.1, §4.2).
fn subset(transaction: &Transaction, batch: &[usize]) -> Transaction {
    Transaction {
        recipients: batch
            .iter()
            .map(|&r| transaction.recipients[r].clone())
            .collect(),
        recipient_dsn: batch
            .iter()
            .map(|&r| {
                transaction
                    .recipient_dsn
                    .get(r)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect(),
        ..transaction.clone()
    }
}

/// A host as the ledger names it (its string form) for the report.
fn wit_host(name: &str) -> Option<WitIpDomain> {
    let host = match name.parse::<IpAddr>() {
        Ok(ip) => IpDomain::Ip(ip),
        Err(_) => IpDomain::Domain(dns::Domain::parse_lax(name).ok()?),
    };
    Some(super::delivery::wit_ip_domain(host))
}

/// The session failed in TLS itself (STARTTLS refused or the handshake), not in DANE or
/// PKIX verification: the case for the plaintext retry (spec §11.1).
fn is_handshake_failure(error: &Error) -> bool {
    matches!(error, Error::Tls { .. } | Error::StartTls { .. })
}

/// RFC 8689 §4.1, spec §11.2 step 3: no verified TLS for a REQUIRETLS message (5.7.30).
fn requiretls_error() -> Error {
    Error::RequireTlsUnsupported
}

fn failure_detail(host: &str, result_type: &str, reason: Option<&str>) -> FailureDetails {
    FailureDetails {
        result_type: result_type.to_string(),
        sending_mta_ip: String::new(),
        receiving_mx_hostname: host.to_string(),
        receiving_mx_helo: None,
        receiving_ip: String::new(),
        failed_session_count: 1,
        additional_information: None,
        failure_reason_code: reason.map(str::to_string),
    }
}

fn tls_level(level: WitTlsLevel) -> TlsLevel {
    match level {
        WitTlsLevel::May => TlsLevel::May,
        WitTlsLevel::Encrypt => TlsLevel::Encrypt,
        WitTlsLevel::Dane => TlsLevel::Dane,
        WitTlsLevel::DaneOnly => TlsLevel::DaneOnly,
        WitTlsLevel::Verify => TlsLevel::Verify,
        WitTlsLevel::Secure => TlsLevel::Secure,
    }
}

fn wit_level(level: TlsLevel) -> WitTlsLevel {
    match level {
        TlsLevel::May => WitTlsLevel::May,
        TlsLevel::Encrypt => WitTlsLevel::Encrypt,
        TlsLevel::Dane => WitTlsLevel::Dane,
        TlsLevel::DaneOnly => WitTlsLevel::DaneOnly,
        TlsLevel::Verify => WitTlsLevel::Verify,
        TlsLevel::Secure => WitTlsLevel::Secure,
    }
}
