//! `delivery.deliver`: the WIT request and messages to the core's
//! ([`crate::delivery::deliver`] runs the attempt), and its report back.

use std::net::IpAddr;
use std::time::Duration;

use super::convert::{core_dialed, core_ip_domain, wit_dialed, wit_ip_domain};
use super::exports::smtp::client::delivery::{
    Attempt as WitAttempt, DeliveryReport, DeliveryRequest, MessageReport, Outgoing as WitOutgoing,
    RecipientReport, RecipientStatus, TlsLevel as WitTlsLevel,
};
use super::platform::{Imports, SpoolSource, random_seed};
use crate::delivery::{
    self, Attempt, Outgoing, PemCertificate, Recipient, Report, Request, Status, TlsLevel,
};
use crate::dns::DialedIps;
use crate::error::Error;

/// Runs one delivery attempt; every failure ends up in the report.
pub fn deliver(request: DeliveryRequest, messages: Vec<WitOutgoing>) -> DeliveryReport {
    let outgoing: Vec<Outgoing<SpoolSource>> = messages
        .into_iter()
        .map(|item| Outgoing {
            recipients: item
                .envelope
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect(),
            transaction: super::session::transaction(item.envelope),
            message: SpoolSource(item.message),
        })
        .collect();
    let dialed = core_dialed(request.dialed_ips.clone());
    let report = match core_request(request, dialed.clone()) {
        Ok(request) => delivery::deliver(&mut Imports, &request, &outgoing),
        Err(error) => delivery::refuse(&outgoing, error, dialed),
    };
    wit_report(report)
}

/// The core request of a WIT one; an invalid next hop is refused.
fn core_request(request: DeliveryRequest, dialed: DialedIps) -> Result<Request, Error> {
    let next_hop = core_ip_domain(&request.next_hop)?;
    let options = request.session;
    let mut core = Request::new(next_hop, &options.ehlo_hostname.ascii);
    core.port = request.port;
    core.tls_level = tls_level(request.tls_level);
    core.tls_required_no = request.tls_required_no;
    core.extra_roots = options.extra_root_cas;
    core.client_certificate = options.client_certificate.map(|cert| PemCertificate {
        chain: cert.chain_pem,
        key: cert.key_pem,
    });
    core.timeouts = options
        .timeouts
        .map(super::session::timeouts)
        .unwrap_or_default();
    if request.connect_timeout_ms > 0 {
        core.connect_timeout = Duration::from_millis(u64::from(request.connect_timeout_ms));
    }
    core.dialed = dialed;
    core.local_addresses = request
        .local_addresses
        .into_iter()
        .map(IpAddr::from)
        .collect();
    core.ip_family = super::resolver::core_family(request.ip_family);
    core.cached_sts_policy = request.cached_sts_policy.map(super::mta_sts::core_cached);
    core.shuffle_seed = random_seed();
    // Contract 0.1 has no field for it: which addresses may be dialed stays the host's
    // egress policy (its `tcp` import), as before; the core still never dials an address
    // no SMTP server can have.
    core.allow_private_addresses = true;
    Ok(core)
}

fn wit_report(report: Report) -> DeliveryReport {
    DeliveryReport {
        messages: report
            .messages
            .iter()
            .map(|recipients| MessageReport {
                recipients: recipients.iter().map(recipient_report).collect(),
            })
            .collect(),
        error: report.error.as_ref().map(Into::into),
        attempts: report.attempts.into_iter().map(wit_attempt).collect(),
        tls_results: report.tls_results.iter().map(Into::into).collect(),
        sts_policy: report.sts_policy.map(super::mta_sts::wit_cached),
        dialed_ips: wit_dialed(&report.dialed),
    }
}

fn wit_attempt(attempt: Attempt) -> WitAttempt {
    WitAttempt {
        host: wit_ip_domain(attempt.host),
        address: attempt.address.map(Into::into),
        port: attempt.port,
        tls_level: wit_level(attempt.tls_level),
        tls: attempt.tls.map(Into::into),
        extensions: attempt.extensions,
        error: attempt.error.as_ref().map(Into::into),
    }
}

fn recipient_report(recipient: &Recipient) -> RecipientReport {
    RecipientReport {
        address: recipient.address.clone(),
        status: match recipient.status {
            Status::Delivered => RecipientStatus::Delivered,
            Status::Permanent => RecipientStatus::Permanent,
            Status::Pending | Status::Temporary => RecipientStatus::Temporary,
        },
        reply: recipient.reply().map(Into::into),
        error: recipient.error.as_ref().map(Into::into),
        host: recipient.host.clone().map(wit_ip_domain),
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
