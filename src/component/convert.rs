//! Conversions between the core's types and the WIT types.

use super::exports::smtp::client::client::{
    Extensions as WitExtensions, Limits, RecipientResult, SizeLimit,
};
use super::exports::smtp::client::delivery::DialedIps;
use super::exports::smtp::client::tls_report as wit_report;
use super::smtp::client::types::{
    CommandEvent, DialEvent, DialOutcome as WitDialOutcome, Domain, ErrorKind as WitErrorKind,
    Event as WitEvent, IpAddress, IpDomain, Reply as WitReply, SmtpCommand, SmtpError,
    VerificationIgnoredEvent,
};
use crate::dns;
use crate::error::{Error, ErrorKind};
use crate::event::{DialOutcome, Event};
use crate::smtp::command::CommandKind;
use crate::smtp::extensions::Extensions;
use crate::smtp::reply::Reply;
use crate::smtp::session::RecipientResult as CoreRecipientResult;
use crate::tlsrpt as core_report;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.ascii == other.ascii && self.unicode == other.unicode
    }
}

impl From<&Reply> for WitReply {
    fn from(reply: &Reply) -> Self {
        WitReply {
            code: reply.code.0,
            enhanced: reply.enhanced.map(|code| code.to_string()),
            lines: reply.lines_lossy(),
        }
    }
}

impl From<CommandKind> for SmtpCommand {
    fn from(command: CommandKind) -> Self {
        match command {
            CommandKind::Greeting => SmtpCommand::Greeting,
            CommandKind::Ehlo => SmtpCommand::Ehlo,
            CommandKind::Helo => SmtpCommand::Helo,
            CommandKind::StartTls => SmtpCommand::Starttls,
            CommandKind::Auth => SmtpCommand::Auth,
            CommandKind::MailFrom => SmtpCommand::MailFrom,
            CommandKind::RcptTo => SmtpCommand::RcptTo,
            CommandKind::Data => SmtpCommand::Data,
            CommandKind::Bdat => SmtpCommand::Bdat,
            CommandKind::Rset => SmtpCommand::Rset,
            CommandKind::Quit => SmtpCommand::Quit,
        }
    }
}

impl From<ErrorKind> for WitErrorKind {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Status => WitErrorKind::Status,
            ErrorKind::Protocol => WitErrorKind::Protocol,
            ErrorKind::Tls => WitErrorKind::Tls,
            ErrorKind::Dane => WitErrorKind::Dane,
            ErrorKind::Size => WitErrorKind::Size,
            ErrorKind::EightBitMimeUnsupported => WitErrorKind::EightbitmimeUnsupported,
            ErrorKind::SmtpUtf8Unsupported => WitErrorKind::Smtputf8Unsupported,
            ErrorKind::RequireTlsUnsupported => WitErrorKind::RequiretlsUnsupported,
            ErrorKind::NoRecipients => WitErrorKind::NoRecipients,
            ErrorKind::Message => WitErrorKind::Message,
            ErrorKind::Address => WitErrorKind::Address,
            ErrorKind::Auth => WitErrorKind::Auth,
            ErrorKind::Botched => WitErrorKind::Botched,
            ErrorKind::Closed => WitErrorKind::Closed,
            ErrorKind::NoMail => WitErrorKind::NoMail,
            ErrorKind::CnameLoop => WitErrorKind::CnameLoop,
            ErrorKind::CnameLimit => WitErrorKind::CnameLimit,
            ErrorKind::Dns => WitErrorKind::Dns,
            ErrorKind::Io => WitErrorKind::Io,
            ErrorKind::Timeout => WitErrorKind::Timeout,
            ErrorKind::Policy => WitErrorKind::Policy,
            ErrorKind::Usage => WitErrorKind::Usage,
            ErrorKind::Unsupported => WitErrorKind::Unsupported,
            ErrorKind::Internal => WitErrorKind::Internal,
        }
    }
}

impl From<Error> for SmtpError {
    fn from(error: Error) -> Self {
        SmtpError::from(&error)
    }
}

impl From<&Error> for SmtpError {
    fn from(error: &Error) -> Self {
        SmtpError {
            kind: error.kind().into(),
            permanent: error.is_permanent(),
            reply: error.reply().map(WitReply::from),
            command: error.command().map(SmtpCommand::from),
            message: error.to_string(),
        }
    }
}

impl From<&CoreRecipientResult> for RecipientResult {
    fn from(result: &CoreRecipientResult) -> Self {
        RecipientResult {
            address: result.address.clone(),
            accepted: result.accepted,
            permanent: result.permanent,
            reply: result.reply.as_ref().map(WitReply::from),
        }
    }
}

impl From<&Extensions> for WitExtensions {
    fn from(ext: &Extensions) -> Self {
        WitExtensions {
            lines: ext.lines.clone(),
            starttls: ext.starttls,
            enhanced_status_codes: ext.enhanced_status_codes,
            eightbitmime: ext.eight_bit_mime,
            pipelining: ext.pipelining,
            chunking: ext.chunking,
            smtputf8: ext.smtputf8,
            requiretls: ext.require_tls,
            dsn: ext.dsn,
            // RFC 1870 §4: "SIZE 0" or no number: no fixed maximum.
            size: ext.size.map(|max| match max {
                0 => SizeLimit::Unlimited,
                max => SizeLimit::MaxBytes(max),
            }),
            auth: ext.auth.clone(),
        }
    }
}

impl From<&Extensions> for Limits {
    fn from(ext: &Extensions) -> Self {
        let limits = ext.limits.as_ref();
        // RFC 9422 §5: the core's 0 is a limit the server did not announce.
        let announced = |value: u32| (value > 0).then_some(value);
        Limits {
            mail_max: limits.and_then(|l| announced(l.mail_max)),
            rcpt_max: limits.and_then(|l| announced(l.rcpt_max)),
            rcpt_domain_max: limits.and_then(|l| announced(l.rcpt_domain_max)),
        }
    }
}

impl From<IpAddress> for IpAddr {
    fn from(address: IpAddress) -> Self {
        match address {
            IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
            }
        }
    }
}

impl From<IpAddr> for IpAddress {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => {
                let [a, b, c, d] = v4.octets();
                IpAddress::Ipv4((a, b, c, d))
            }
            IpAddr::V6(v6) => {
                let [a, b, c, d, e, f, g, h] = v6.segments();
                IpAddress::Ipv6((a, b, c, d, e, f, g, h))
            }
        }
    }
}

impl From<wit_report::PolicyType> for core_report::PolicyType {
    fn from(policy_type: wit_report::PolicyType) -> Self {
        match policy_type {
            wit_report::PolicyType::Tlsa => core_report::PolicyType::Tlsa,
            wit_report::PolicyType::Sts => core_report::PolicyType::Sts,
            wit_report::PolicyType::NoPolicyFound => core_report::PolicyType::NoPolicyFound,
        }
    }
}

impl From<core_report::PolicyType> for wit_report::PolicyType {
    fn from(policy_type: core_report::PolicyType) -> Self {
        match policy_type {
            core_report::PolicyType::Tlsa => wit_report::PolicyType::Tlsa,
            core_report::PolicyType::Sts => wit_report::PolicyType::Sts,
            core_report::PolicyType::NoPolicyFound => wit_report::PolicyType::NoPolicyFound,
        }
    }
}

impl From<wit_report::PolicyResult> for core_report::PolicyResult {
    fn from(result: wit_report::PolicyResult) -> Self {
        core_report::PolicyResult {
            policy: core_report::Policy {
                policy_type: result.policy.policy_type.into(),
                policy_string: result.policy.policy_string,
                policy_domain: result.policy.policy_domain,
                mx_host: result.policy.mx_host,
            },
            summary: core_report::Summary {
                total_successful_session_count: result.total_successful_session_count,
                total_failure_session_count: result.total_failure_session_count,
            },
            failure_details: result
                .failure_details
                .into_iter()
                .map(|d| core_report::FailureDetails {
                    result_type: core_result_type(d.result_type).to_string(),
                    sending_mta_ip: d
                        .sending_mta_ip
                        .map(|ip| IpAddr::from(ip).to_string())
                        .unwrap_or_default(),
                    receiving_mx_hostname: d.receiving_mx_hostname,
                    receiving_mx_helo: d.receiving_mx_helo,
                    receiving_ip: d
                        .receiving_ip
                        .map(|ip| IpAddr::from(ip).to_string())
                        .unwrap_or_default(),
                    failed_session_count: d.failed_session_count,
                    additional_information: d.additional_information,
                    failure_reason_code: d.failure_reason_code,
                })
                .collect(),
        }
    }
}

impl From<&core_report::PolicyResult> for wit_report::PolicyResult {
    fn from(result: &core_report::PolicyResult) -> Self {
        wit_report::PolicyResult {
            policy: wit_report::Policy {
                policy_type: result.policy.policy_type.into(),
                policy_string: result.policy.policy_string.clone(),
                policy_domain: result.policy.policy_domain.clone(),
                mx_host: result.policy.mx_host.clone(),
            },
            total_successful_session_count: result.summary.total_successful_session_count,
            total_failure_session_count: result.summary.total_failure_session_count,
            failure_details: result
                .failure_details
                .iter()
                .map(|d| wit_report::FailureDetails {
                    result_type: wit_result_type(&d.result_type),
                    sending_mta_ip: wit_ip(&d.sending_mta_ip),
                    receiving_mx_hostname: d.receiving_mx_hostname.clone(),
                    receiving_mx_helo: d.receiving_mx_helo.clone(),
                    receiving_ip: wit_ip(&d.receiving_ip),
                    failed_session_count: d.failed_session_count,
                    additional_information: d.additional_information.clone(),
                    failure_reason_code: d.failure_reason_code.clone(),
                })
                .collect(),
        }
    }
}

impl From<&crate::tlsrpt::TlsResults> for wit_report::TlsResults {
    fn from(results: &crate::tlsrpt::TlsResults) -> Self {
        wit_report::TlsResults {
            recipient_domain: (&results.recipient_domain).into(),
            host: (&results.host).into(),
        }
    }
}

impl From<crate::tls::TlsState> for super::exports::smtp::client::client::TlsState {
    fn from(state: crate::tls::TlsState) -> Self {
        Self {
            version: state.version.to_string(),
            cipher_suite: state.cipher_suite.to_string(),
            peer_certificates: state.peer_certificates,
            dane_verified_record: state.dane_verified_record.map(Into::into),
            pkix_valid: state.pkix_valid,
        }
    }
}

/// A domain from the caller, checked and normalised (underscores allowed, as in MX hosts).
pub fn core_domain(domain: &Domain) -> Result<dns::Domain, Error> {
    dns::Domain::parse_lax(&domain.ascii).map_err(|_| Error::Usage("invalid domain name"))
}

pub fn core_ip_domain(host: &IpDomain) -> Result<dns::IpDomain, Error> {
    Ok(match host {
        IpDomain::Ip(ip) => dns::IpDomain::Ip(IpAddr::from(*ip)),
        IpDomain::Domain(domain) => dns::IpDomain::Domain(core_domain(domain)?),
    })
}

pub fn wit_domain(domain: dns::Domain) -> Domain {
    Domain {
        ascii: domain.ascii,
        unicode: domain.unicode,
    }
}

pub fn wit_ip_domain(host: dns::IpDomain) -> IpDomain {
    match host {
        dns::IpDomain::Ip(ip) => IpDomain::Ip(ip.into()),
        dns::IpDomain::Domain(domain) => IpDomain::Domain(wit_domain(domain)),
    }
}

/// The dialed-IPs memory from the caller.
///
/// # Errors
/// [`Error::Usage`] for a host that is not a valid domain.
pub fn core_dialed(list: &[DialedIps]) -> Result<dns::DialedIps, Error> {
    list.iter()
        .map(|d| {
            let host = core_ip_domain(&d.host)?;
            let ips = d.addresses.iter().map(|&ip| IpAddr::from(ip)).collect();
            Ok((host.to_string(), ips))
        })
        .collect()
}

/// The dialed-IPs memory for the caller. The core keys it by the host's string form, which
/// reads back as the host.
pub fn wit_dialed(memory: &dns::DialedIps) -> Vec<DialedIps> {
    memory
        .iter()
        .filter_map(|(host, ips)| {
            let host = match host.parse::<IpAddr>() {
                Ok(ip) => dns::IpDomain::Ip(ip),
                Err(_) => dns::IpDomain::Domain(dns::Domain::parse_lax(host).ok()?),
            };
            Some(DialedIps {
                host: wit_ip_domain(host),
                addresses: ips.iter().map(|ip| IpAddress::from(*ip)).collect(),
            })
        })
        .collect()
}

/// An address of a TLS report (empty when there was none).
fn wit_ip(address: &str) -> Option<IpAddress> {
    address.parse::<IpAddr>().ok().map(IpAddress::from)
}

/// The RFC 8460 §4.3 result type as named in the core's results.
fn core_result_type(result_type: wit_report::ResultType) -> &'static str {
    use wit_report::ResultType as R;
    match result_type {
        R::StarttlsNotSupported => "starttls-not-supported",
        R::CertificateHostMismatch => "certificate-host-mismatch",
        R::CertificateExpired => "certificate-expired",
        R::CertificateNotTrusted => "certificate-not-trusted",
        R::ValidationFailure => "validation-failure",
        R::TlsaInvalid => "tlsa-invalid",
        R::DnssecInvalid => "dnssec-invalid",
        R::DaneRequired => "dane-required",
        R::StsPolicyFetchError => "sts-policy-fetch-error",
        R::StsPolicyInvalid => "sts-policy-invalid",
        R::StsWebpkiInvalid => "sts-webpki-invalid",
    }
}

/// The WIT result type of a core result's name. The core records only the names of RFC 8460
/// §4.3; any other would be "a general failure for a reason not matching a category above"
/// (§4.3.1), validation-failure.
fn wit_result_type(result_type: &str) -> wit_report::ResultType {
    use wit_report::ResultType as R;
    [
        R::StarttlsNotSupported,
        R::CertificateHostMismatch,
        R::CertificateExpired,
        R::CertificateNotTrusted,
        R::TlsaInvalid,
        R::DnssecInvalid,
        R::DaneRequired,
        R::StsPolicyFetchError,
        R::StsPolicyInvalid,
        R::StsWebpkiInvalid,
    ]
    .into_iter()
    .find(|&r| core_result_type(r) == result_type)
    .unwrap_or(R::ValidationFailure)
}

impl From<&Event> for WitEvent {
    fn from(event: &Event) -> Self {
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        match event {
            Event::Command {
                command,
                code,
                duration,
            } => WitEvent::Command(CommandEvent {
                command: (*command).into(),
                code: *code,
                duration: micros(*duration),
            }),
            Event::Dial {
                host,
                address,
                port,
                outcome,
                duration,
            } => WitEvent::Dial(DialEvent {
                host: wit_ip_domain(host.clone()),
                address: (*address).into(),
                port: *port,
                outcome: match outcome {
                    DialOutcome::Connected => WitDialOutcome::Connected,
                    DialOutcome::Failed(why) => WitDialOutcome::Failed(why.clone()),
                    DialOutcome::Refused(why) => WitDialOutcome::Refused(why.clone()),
                },
                duration: micros(*duration),
            }),
            Event::VerificationIgnored { host, reason } => {
                WitEvent::VerificationIgnored(VerificationIgnoredEvent {
                    host: host.clone(),
                    reason: reason.clone(),
                })
            }
        }
    }
}
