//! `delivery.deliver`: the WIT request and messages to the core's
//! ([`crate::delivery::deliver`] runs the attempt), and its report back.

use std::net::IpAddr;
use std::time::Duration;

use super::convert::{core_dialed, core_ip_domain, wit_dialed, wit_ip_domain};
use super::exports::smtp::client::delivery::{
    Attempt as WitAttempt, DeliveryReport, DeliveryRequest, MessageReport, Outgoing as WitOutgoing,
    RecipientReport, RecipientStatus, RelayRoute, Route, TlsLevel as WitTlsLevel,
};
use super::platform::{Imports, random_seed};
use super::smtp::client::spool::Message;
use crate::delivery::{
    self, Attempt, DEFAULT_MX_ADDRESS_LIMIT, DEFAULT_MX_SESSION_LIMIT, Outgoing, PemCertificate,
    Recipient, Relay, Report, Request, Status, TlsLevel,
};
use crate::dns::DialedIps;
use crate::error::Error;

/// Runs one delivery attempt; every failure ends up in the report.
pub fn deliver(request: DeliveryRequest, messages: Vec<WitOutgoing>) -> DeliveryReport {
    // The core decides for the whole connection: one DMARC report among the messages keeps
    // them all off plaintext.
    let dmarc_report = messages.iter().any(|m| m.dmarc_report);
    let outgoing: Vec<Outgoing<Message>> = messages
        .into_iter()
        .map(|item| Outgoing {
            recipients: item
                .envelope
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect(),
            transaction: super::session::transaction(item.envelope),
            message: item.message,
        })
        .collect();
    let given_dialed = request.dialed_ips.clone();
    match core_dialed(&given_dialed).and_then(|dialed| core_request(request, dialed)) {
        Ok(mut request) => {
            request.dmarc_report = dmarc_report;
            wit_report(delivery::deliver(&mut Imports, &request, &outgoing))
        }
        Err(error) => {
            let refused = delivery::refuse(&outgoing, error, DialedIps::default());
            DeliveryReport {
                dialed_ips: given_dialed,
                ..wit_report(refused)
            }
        }
    }
}

/// The core request of a WIT one; an invalid next hop or relay host is refused.
fn core_request(request: DeliveryRequest, dialed: DialedIps) -> Result<Request, Error> {
    let ms = |ms: u32| Duration::from_millis(u64::from(ms));
    let next_hop = core_ip_domain(&request.next_hop)?;
    let mut core = Request::new(next_hop, &request.ehlo_hostname.ascii);
    core.tls_required_no = request.tls_required_no;
    core.extra_roots = request.extra_root_cas;
    core.client_certificate = request.client_certificate.map(|cert| PemCertificate {
        chain: cert.chain_pem,
        key: cert.key_pem,
    });
    core.timeouts = request
        .timeouts
        .map(super::session::timeouts)
        .unwrap_or_default();
    if let Some(timeout) = request.connect_timeout_ms {
        core.connect_timeout = ms(timeout);
    }
    core.deadline = request.deadline_ms.map(ms);
    // 0: the caller does not count its attempts.
    core.attempt_number = (request.attempt_number > 0).then_some(request.attempt_number);
    core.dialed = dialed;
    core.local_addresses = request
        .local_addresses
        .into_iter()
        .map(IpAddr::from)
        .collect();
    core.shuffle_seed = random_seed();
    match request.route {
        Route::Mx(mx) => {
            let limit = |limit: Option<u32>, default: usize| {
                limit.map_or(default, |l| usize::try_from(l).unwrap_or(usize::MAX))
            };
            core.port = mx.port;
            core.tls_level = tls_level(mx.tls_level);
            core.ip_family = super::resolver::core_family(mx.ip_family);
            core.cached_sts_policy = mx.cached_sts_policy.map(super::mta_sts::core_cached);
            core.allow_private_addresses = mx.allow_private_addresses;
            core.mx_address_limit = limit(mx.address_limit, DEFAULT_MX_ADDRESS_LIMIT);
            core.mx_session_limit = limit(mx.session_limit, DEFAULT_MX_SESSION_LIMIT);
        }
        Route::Relay(relay) => core.relay = Some(core_relay(relay)?),
    }
    Ok(core)
}

fn core_relay(relay: RelayRoute) -> Result<Relay, Error> {
    Ok(Relay {
        host: core_ip_domain(&relay.host)?,
        port: relay.port,
        tls_mode: super::session::tls_mode(relay.tls_mode),
        verify_pkix: relay.verify_pkix,
        dane_records: relay
            .dane_records
            .map(|records| records.into_iter().map(Into::into).collect()),
        auth: relay.auth.map(super::session::auth_config).transpose()?,
    })
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
        events: report.events.iter().map(Into::into).collect(),
    }
}

fn wit_attempt(attempt: Attempt) -> WitAttempt {
    WitAttempt {
        host: wit_ip_domain(attempt.host),
        address: attempt.address.map(Into::into),
        port: attempt.port,
        tls_level: attempt.tls_level.map(wit_level),
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
