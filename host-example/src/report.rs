//! The report of one `send` or `deliver`, printed as JSON with `--json` (DESIGN.md, "The
//! command line") or as text, and the exit code it maps to (sysexits).

use crate::bindings::client::RecipientResult;
use crate::bindings::types::{ErrorKind, Reply, SmtpCommand, SmtpError};
use serde::Serialize;

/// sysexits(3) codes used by the command line.
pub mod exit {
    /// Every recipient accepted.
    pub const OK: u8 = 0;
    /// Bad usage: an unknown flag, a missing argument.
    pub const USAGE: u8 = 64;
    /// The message was refused as data (e.g. a bare LF with strict line endings).
    pub const DATAERR: u8 = 65;
    /// The message file does not exist or cannot be read.
    pub const NOINPUT: u8 = 66;
    /// A recipient failed permanently.
    pub const UNAVAILABLE: u8 = 69;
    /// An internal error, e.g. a guest trap or an invalid component.
    pub const SOFTWARE: u8 = 70;
    /// A temporary failure of the attempt or of a recipient.
    pub const TEMPFAIL: u8 = 75;
}

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
            dane_verified_record: state.dane_verified_record.as_ref().map(|r| {
                let hex: String = r.data.iter().map(|b| format!("{b:02x}")).collect();
                format!("{} {} {} {hex}", r.usage, r.selector, r.matching_type)
            }),
            pkix_valid: state.pkix_valid,
        }
    }
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

    /// The exit code: 0 all delivered; 75 if anything failed temporarily; else 69 for a
    /// permanent failure; 65 when the message data itself was refused.
    pub fn exit_code(&self) -> u8 {
        if self.error.as_ref().is_some_and(|e| e.kind == "message") {
            return exit::DATAERR;
        }
        if self.status == Status::Delivered {
            return exit::OK;
        }
        let temporary = self
            .recipients
            .iter()
            .any(|r| r.status == Status::Temporary)
            || (self.recipients.is_empty() && self.status == Status::Temporary);
        if temporary {
            exit::TEMPFAIL
        } else {
            exit::UNAVAILABLE
        }
    }

    /// A few human-readable lines for the terminal.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for r in &self.recipients {
            let reply = match r.code {
                Some(code) => format!(
                    ": {code}{} {}",
                    r.enhanced
                        .as_ref()
                        .map(|e| format!(" {e}"))
                        .unwrap_or_default(),
                    r.lines.last().map(|l| reply_text(l)).unwrap_or_default()
                ),
                None => String::new(),
            };
            text.push_str(&format!("{} {}{reply}\n", status_word(r.status), r.address));
        }
        if let Some(error) = &self.error {
            text.push_str(&format!("error: {}\n", error.message));
        }
        text
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Delivered => "delivered to",
        Status::Partial => "partially delivered to",
        Status::Temporary => "temporary failure for",
        Status::Permanent => "permanent failure for",
    }
}

/// The text of a reply line after its code and enhanced code.
fn reply_text(line: &str) -> String {
    line.get(4..).unwrap_or("").to_string()
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
