//! The report of one `send` or `deliver`: what happened to each recipient, the error, the
//! server, TLS and TLS-reporting results. Its serde names are the command line's `--json`
//! object (DESIGN.md, "The command line"); the command line prints it (`cli::output`).

use crate::bindings::client::RecipientResult;
use crate::bindings::types::{DialOutcome, ErrorKind, Event, Reply, SmtpCommand, SmtpError, Tlsa};
use crate::convert::{ip_addr, ip_domain_text};
use serde::Serialize;

/// The outcome of the whole attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Delivered,
    Partial,
    Temporary,
    Permanent,
}

/// One recipient's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientReport {
    pub address: String,
    pub status: Status,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub lines: Vec<String>,
}

/// An error as reported to the user.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub kind: &'static str,
    pub permanent: bool,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub command: Option<&'static str>,
    pub lines: Vec<String>,
    pub message: String,
}

/// The server that was talked to.
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    pub host: String,
    pub ip: Option<String>,
    pub port: u16,
    pub extensions: Vec<String>,
}

/// TLS details of the session.
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    pub version: String,
    pub cipher: String,
    pub dane_verified_record: Option<String>,
    pub pkix_valid: bool,
}

impl From<&crate::bindings::client::TlsState> for TlsReport {
    fn from(state: &crate::bindings::client::TlsState) -> Self {
        TlsReport {
            version: state.version.clone(),
            cipher: state.cipher_suite.clone(),
            dane_verified_record: state.dane_verified_record.as_ref().map(tlsa_text),
            pkix_valid: state.pkix_valid,
        }
    }
}

/// A TLSA record in presentation form, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2).
pub fn tlsa_text(record: &Tlsa) -> String {
    let hex: String = record.data.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{} {} {} {hex}",
        record.usage, record.selector, record.matching_type
    )
}

/// One host/address tried.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptReport {
    pub host: String,
    pub ip: Option<String>,
    pub port: u16,
    pub error: Option<ErrorReport>,
}

/// Everything `--json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub recipients: Vec<RecipientReport>,
    pub error: Option<ErrorReport>,
    pub server: Option<ServerReport>,
    pub tls: Option<TlsReport>,
    pub tlsrpt: Vec<serde_json::Value>,
    pub attempts: Vec<AttemptReport>,
    /// What was observed, oldest first (the component's `event`s).
    pub events: Vec<EventReport>,
}

/// One observation: `{"command": {...}}`, `{"dial": {...}}` or
/// `{"verification-ignored": {...}}` (wit/README.md shows an example).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventReport {
    /// A command and its reply.
    Command {
        command: &'static str,
        /// None when no reply came.
        code: Option<u16>,
        duration_us: u64,
    },
    /// A connection attempt, or an address not dialed.
    Dial {
        host: String,
        address: String,
        port: u16,
        /// "connected", "failed" or "refused" (by the component's rules).
        outcome: &'static str,
        /// Why it failed or was refused.
        reason: Option<String>,
        duration_us: u64,
    },
    /// A certificate verification failure that did not stop the session.
    VerificationIgnored { host: String, reason: String },
}

impl From<&Event> for EventReport {
    fn from(event: &Event) -> Self {
        match event {
            Event::Command(command) => EventReport::Command {
                command: command_name(command.command),
                code: command.code,
                duration_us: command.duration,
            },
            Event::Dial(dial) => {
                let (outcome, reason) = match &dial.outcome {
                    DialOutcome::Connected => ("connected", None),
                    DialOutcome::Failed(why) => ("failed", Some(why.clone())),
                    DialOutcome::Refused(why) => ("refused", Some(why.clone())),
                };
                EventReport::Dial {
                    host: ip_domain_text(&dial.host),
                    address: ip_addr(dial.address).to_string(),
                    port: dial.port,
                    outcome,
                    reason,
                    duration_us: dial.duration,
                }
            }
            Event::VerificationIgnored(ignored) => EventReport::VerificationIgnored {
                host: ignored.host.clone(),
                reason: ignored.reason.clone(),
            },
        }
    }
}

impl Report {
    /// A report in which every recipient shares the fate of `error`.
    pub fn failed(recipients: &[String], error: ErrorReport) -> Report {
        let status = if error.permanent {
            Status::Permanent
        } else {
            Status::Temporary
        };
        Report {
            status,
            recipients: recipients
                .iter()
                .map(|address| RecipientReport {
                    address: address.clone(),
                    status,
                    code: error.code,
                    enhanced: error.enhanced.clone(),
                    lines: error.lines.clone(),
                })
                .collect(),
            error: Some(error),
            server: None,
            tls: None,
            tlsrpt: Vec::new(),
            attempts: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The overall status from the recipients (DESIGN.md): delivered when all were
    /// accepted, partial when some were, else temporary if any failure was temporary.
    pub fn status_of(recipients: &[RecipientReport]) -> Status {
        let delivered = recipients
            .iter()
            .filter(|r| r.status == Status::Delivered)
            .count();
        if delivered == recipients.len() && delivered > 0 {
            Status::Delivered
        } else if delivered > 0 {
            Status::Partial
        } else if recipients.iter().any(|r| r.status == Status::Temporary) {
            Status::Temporary
        } else {
            Status::Permanent
        }
    }
}

impl ErrorReport {
    /// An error that no server reply caused.
    pub fn of(kind: ErrorKind, permanent: bool, message: String) -> ErrorReport {
        ErrorReport::from(&SmtpError {
            kind,
            permanent,
            reply: None,
            command: None,
            message,
        })
    }
}

impl From<&SmtpError> for ErrorReport {
    fn from(error: &SmtpError) -> Self {
        ErrorReport {
            kind: kind_name(error.kind),
            permanent: error.permanent,
            code: error.reply.as_ref().map(|r| r.code),
            enhanced: error.reply.as_ref().and_then(|r| r.enhanced.clone()),
            command: error.command.map(command_name),
            lines: error
                .reply
                .as_ref()
                .map(|r| r.lines.clone())
                .unwrap_or_default(),
            message: error.message.clone(),
        }
    }
}

impl From<&RecipientResult> for RecipientReport {
    fn from(result: &RecipientResult) -> Self {
        let status = if result.accepted {
            Status::Delivered
        } else if result.permanent {
            Status::Permanent
        } else {
            Status::Temporary
        };
        let (code, enhanced, lines) = reply_parts(result.reply.as_ref());
        RecipientReport {
            address: result.address.clone(),
            status,
            code,
            enhanced,
            lines,
        }
    }
}

/// Code, enhanced code and lines of an optional reply.
pub fn reply_parts(reply: Option<&Reply>) -> (Option<u16>, Option<String>, Vec<String>) {
    match reply {
        Some(reply) => (
            Some(reply.code),
            reply.enhanced.clone(),
            reply.lines.clone(),
        ),
        None => (None, None, Vec::new()),
    }
}

/// The JSON name of an error kind (DESIGN.md).
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Status => "status",
        ErrorKind::Protocol => "protocol",
        ErrorKind::Tls => "tls",
        ErrorKind::Dane => "dane",
        ErrorKind::Size => "size",
        ErrorKind::EightbitmimeUnsupported => "8bitmime",
        ErrorKind::Smtputf8Unsupported => "smtputf8",
        ErrorKind::RequiretlsUnsupported => "requiretls",
        ErrorKind::NoRecipients => "no-recipients",
        ErrorKind::Message => "message",
        ErrorKind::Address => "address",
        ErrorKind::Auth => "auth",
        ErrorKind::Botched => "botched",
        ErrorKind::Closed => "closed",
        ErrorKind::NoMail => "no-mail",
        ErrorKind::CnameLoop => "cname-loop",
        ErrorKind::CnameLimit => "cname-limit",
        ErrorKind::Dns => "dns",
        ErrorKind::Io => "io",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Policy => "policy",
        ErrorKind::Usage => "usage",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Internal => "internal",
    }
}

/// The JSON name of a command (DESIGN.md).
pub fn command_name(command: SmtpCommand) -> &'static str {
    match command {
        SmtpCommand::Greeting => "greeting",
        SmtpCommand::Ehlo => "ehlo",
        SmtpCommand::Helo => "helo",
        SmtpCommand::Starttls => "starttls",
        SmtpCommand::Auth => "auth",
        SmtpCommand::MailFrom => "mailfrom",
        SmtpCommand::RcptTo => "rcptto",
        SmtpCommand::Data => "data",
        SmtpCommand::Bdat => "bdat",
        SmtpCommand::Rset => "rset",
        SmtpCommand::Quit => "quit",
    }
}
