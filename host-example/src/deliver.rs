//! `deliver`: direct delivery to the MX hosts of every recipient domain through the
//! component's `delivery.deliver` (one call per domain), with the MTA-STS policy cache kept
//! by the host (RFC 8461 §5.1: the component is stateless).

use crate::bindings::client::{AuthOptions, ClientCertificate, Envelope, LineEndings};
use crate::bindings::delivery::{
    DeliveryReport, DeliveryRequest, MxRoute, Outgoing, RecipientStatus, RelayRoute, Route,
    StsPolicy, TlsLevel,
};
use crate::bindings::resolver::IpFamily;
use crate::bindings::types::{TlsMode, Tlsa};
use crate::convert::{
    domain, ip_addr, ip_address, ip_domain_text, millis, next_hop, recipients, server_host,
    uniform_timeouts,
};
use crate::host::{Host, HostError, Instance};
use crate::report::{
    AttemptReport, ErrorReport, EventReport, RecipientReport, Report, ServerReport, Status,
    TlsReport, reply_parts,
};
use crate::send::{ClientCert, SendAuth, tlsrpt_json};
use crate::spool_impl::SpoolMessage;
use crate::sts_cache::StsCache;
use std::collections::BTreeMap;
use std::time::Duration;

/// What to deliver, and how.
#[derive(Debug, Clone)]
pub struct DeliverRequest {
    pub from: String,
    pub to: Vec<String>,
    /// The message; its size goes into SIZE (RFC 1870).
    pub message: SpoolMessage,
    /// The SMTP port of the MX hosts: 25 unless testing.
    pub port: u16,
    pub ehlo: String,
    /// The lowest TLS level accepted from MX hosts.
    pub tls_level: TlsLevel,
    /// Dial MX hosts at loopback and private addresses too (tests, labs); the component
    /// never dials unspecified, multicast or broadcast addresses.
    pub allow_private_addresses: bool,
    /// Deliver through this server instead of the MX hosts: `port`, `tls_level`,
    /// `allow_private_addresses` and `sts_cache` do not apply then.
    pub relay: Option<Relay>,
    /// "TLS-Required: No" (RFC 8689 §5).
    pub tls_required_no: bool,
    /// Roots trusted for PKIX besides the Mozilla set, DER.
    pub extra_roots: Vec<Vec<u8>>,
    /// Replaces every per-phase deadline, and the per-address connect deadline.
    pub timeout: Option<Duration>,
    /// The deadline of each recipient domain's whole attempt (lookups, every host).
    pub deadline: Option<Duration>,
    /// Present this certificate to the servers (TLS client authentication).
    pub client_certificate: Option<ClientCert>,
    /// Which attempt of a queue this is, from 1; 0 when not counted (the command line).
    pub attempt_number: u32,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub require_tls: bool,
    /// Where MTA-STS policies are kept between runs; `None`: not kept.
    pub sts_cache: Option<StsCache>,
}

/// A relay (smarthost) and how to talk to it, as `send` talks to its server.
#[derive(Debug, Clone)]
pub struct Relay {
    /// Host name or IP address.
    pub server: String,
    pub port: u16,
    pub tls_mode: TlsMode,
    pub verify_pkix: bool,
    /// DANE records the relay must match; DANE-TA and DANE-EE replace PKIX.
    pub dane_records: Option<Vec<Tlsa>>,
    pub auth: Option<SendAuth>,
}

/// Delivers to every recipient domain in turn, one instance per domain, and merges the
/// reports: recipients in the order given, attempts and TLS-reporting results in order.
///
/// # Errors
/// [`HostError`] when the component cannot be instantiated or traps.
pub async fn deliver(host: &Host, request: &DeliverRequest) -> Result<Report, HostError> {
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for address in &request.to {
        by_domain
            .entry(domain_of(address).to_ascii_lowercase())
            .or_default()
            .push(address.clone());
    }
    let mut recipients: BTreeMap<String, RecipientReport> = BTreeMap::new();
    let mut merged = Report {
        status: Status::Temporary,
        recipients: Vec::new(),
        error: None,
        server: None,
        tls: None,
        tlsrpt: Vec::new(),
        attempts: Vec::new(),
        events: Vec::new(),
    };
    for (domain, to) in by_domain {
        let mut instance = host.instantiate().await?;
        let cached = request
            .sts_cache
            .as_ref()
            .filter(|_| request.relay.is_none())
            .and_then(|c| c.get(&domain));
        let mut delivery = delivery_request(request, &domain, cached);
        delivery.local_addresses = host
            .config()
            .local_addresses
            .iter()
            .map(|ip| ip_address(*ip))
            .collect();
        let envelope = envelope(request, &to);
        let report = host
            .deadline(deliver_domain(
                &mut instance,
                &delivery,
                vec![(envelope, request.message.clone())],
            ))
            .await?;
        if let (Some(cache), Some(policy)) = (&request.sts_cache, &report.sts_policy) {
            cache.put(&domain, policy);
        }
        merge(&mut instance, &mut merged, &report).await?;
        for recipient in report.messages.iter().flat_map(|m| &m.recipients) {
            recipients.insert(recipient.address.clone(), recipient_report(recipient));
        }
    }
    merged.recipients = request
        .to
        .iter()
        .filter_map(|address| recipients.remove(address))
        .collect();
    merged.status = Report::status_of(&merged.recipients);
    if merged.status == Status::Delivered {
        merged.error = None;
    }
    Ok(merged)
}

/// One `delivery.deliver` call on `instance`: the messages go into the instance's table as
/// `spool.message` resources the component may read as often as it needs.
///
/// # Errors
/// [`HostError`] when the component traps.
pub async fn deliver_domain(
    instance: &mut Instance,
    request: &DeliveryRequest,
    messages: Vec<(Envelope, SpoolMessage)>,
) -> Result<DeliveryReport, HostError> {
    let mut outgoing = Vec::with_capacity(messages.len());
    for (envelope, message) in messages {
        let message = instance.push(message)?;
        outgoing.push(Outgoing {
            envelope,
            message,
            dmarc_report: false,
        });
    }
    instance
        .bindings
        .smtp_client_delivery()
        .call_deliver(&mut instance.store, request, &outgoing)
        .await
        .map_err(HostError::from_guest)
}

/// The request for one recipient domain.
pub fn delivery_request(
    request: &DeliverRequest,
    recipient_domain: &str,
    cached_sts_policy: Option<StsPolicy>,
) -> DeliveryRequest {
    let route = match &request.relay {
        Some(relay) => Route::Relay(RelayRoute {
            host: server_host(&relay.server),
            port: relay.port,
            tls_mode: relay.tls_mode,
            verify_pkix: relay.verify_pkix,
            dane_records: relay.dane_records.clone(),
            auth: relay.auth.as_ref().map(|auth| AuthOptions {
                username: auth.username.clone(),
                secret: auth.secret.clone(),
                mechanisms: auth.mechanisms.clone(),
                allow_cleartext_without_tls: false,
            }),
        }),
        None => Route::Mx(MxRoute {
            port: request.port,
            tls_level: request.tls_level,
            cached_sts_policy,
            ip_family: IpFamily::Any,
            allow_private_addresses: request.allow_private_addresses,
            address_limit: None,
            session_limit: None,
        }),
    };
    DeliveryRequest {
        next_hop: next_hop(recipient_domain),
        route,
        ehlo_hostname: domain(&request.ehlo),
        tls_required_no: request.tls_required_no,
        extra_root_cas: request.extra_roots.clone(),
        client_certificate: request
            .client_certificate
            .as_ref()
            .map(|cert| ClientCertificate {
                chain_pem: cert.chain_pem.clone(),
                key_pem: cert.key_pem.clone(),
            }),
        timeouts: request.timeout.map(uniform_timeouts),
        connect_timeout_ms: request.timeout.map(millis),
        deadline_ms: request.deadline.map(millis),
        attempt_number: request.attempt_number,
        dialed_ips: Vec::new(),
        local_addresses: Vec::new(),
    }
}

/// The envelope of `request` for the recipients `to`.
pub fn envelope(request: &DeliverRequest, to: &[String]) -> Envelope {
    Envelope {
        mail_from: request.from.clone(),
        recipients: recipients(to),
        // The message's size() stands in.
        size: None,
        require_eightbitmime: request.eight_bit_mime,
        require_smtputf8: request.smtputf8,
        require_tls: request.require_tls,
        dsn: None,
        line_endings: LineEndings::Strict,
    }
}

/// Adds one domain's attempts, TLS details, TLS-reporting results and error to `merged`.
async fn merge(
    instance: &mut Instance,
    merged: &mut Report,
    report: &DeliveryReport,
) -> Result<(), HostError> {
    for attempt in &report.attempts {
        let host = ip_domain_text(&attempt.host);
        let ip = attempt.address.map(|a| ip_addr(a).to_string());
        if attempt.tls.is_some() || !attempt.extensions.is_empty() {
            merged.tls = attempt.tls.as_ref().map(TlsReport::from);
            merged.server = Some(ServerReport {
                host: host.clone(),
                ip: ip.clone(),
                port: attempt.port,
                extensions: attempt.extensions.clone(),
            });
        }
        merged.attempts.push(AttemptReport {
            host,
            ip,
            port: attempt.port,
            error: attempt.error.as_ref().map(ErrorReport::from),
        });
    }
    for results in &report.tls_results {
        merged.tlsrpt.extend(tlsrpt_json(instance, results).await?);
    }
    merged
        .events
        .extend(report.events.iter().map(EventReport::from));
    if let Some(error) = &report.error {
        merged.error = Some(ErrorReport::from(error));
    }
    Ok(())
}

fn recipient_report(recipient: &crate::bindings::delivery::RecipientReport) -> RecipientReport {
    let (code, enhanced, lines) = match (&recipient.reply, &recipient.error) {
        (Some(reply), _) => reply_parts(Some(reply)),
        (None, Some(error)) => reply_parts(error.reply.as_ref()),
        (None, None) => reply_parts(None),
    };
    RecipientReport {
        address: recipient.address.clone(),
        status: match recipient.status {
            RecipientStatus::Delivered => Status::Delivered,
            RecipientStatus::Temporary => Status::Temporary,
            RecipientStatus::Permanent => Status::Permanent,
        },
        code,
        enhanced,
        lines,
    }
}

/// The domain of an address: after the last "@"; the whole string when there is none (the
/// component then reports the address as invalid).
fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map_or(address, |(_, domain)| domain)
}
