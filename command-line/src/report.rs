//! The report of one `send` or `deliver`: what happened to each recipient, the error, the
//! server, TLS and TLS-reporting results, and what was observed. Its serde names are the
//! command line's `--json` object (DESIGN.md, "The command line").

use serde::Serialize;

/// The outcome of the whole attempt, or of one recipient.
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
    /// The error kind's JSON name ("status", "tls", "io", ...).
    pub kind: &'static str,
    pub permanent: bool,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    /// The command's JSON name ("rcptto", ...), when a command drew the error.
    pub command: Option<&'static str>,
    pub lines: Vec<String>,
    pub message: String,
}

impl ErrorReport {
    /// An error that no server reply caused.
    pub fn of(kind: &'static str, permanent: bool, message: String) -> ErrorReport {
        ErrorReport {
            kind,
            permanent,
            code: None,
            enhanced: None,
            command: None,
            lines: Vec::new(),
            message,
        }
    }
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
    /// The DANE record that matched, "USAGE SELECTOR MATCHING-TYPE HEX".
    pub dane_verified_record: Option<String>,
    pub pkix_valid: bool,
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

impl Report {
    /// A report with these recipients and nothing else yet; its status follows them.
    pub fn of_recipients(recipients: Vec<RecipientReport>, error: Option<ErrorReport>) -> Report {
        Report {
            status: Report::status_of(&recipients),
            recipients,
            error,
            server: None,
            tls: None,
            tlsrpt: Vec::new(),
            attempts: Vec::new(),
            events: Vec::new(),
        }
    }

    /// A report in which every recipient shares the fate of `error`.
    pub fn failed(recipients: &[String], error: ErrorReport) -> Report {
        let status = if error.permanent {
            Status::Permanent
        } else {
            Status::Temporary
        };
        let recipients = recipients
            .iter()
            .map(|address| RecipientReport {
                address: address.clone(),
                status,
                code: error.code,
                enhanced: error.enhanced.clone(),
                lines: error.lines.clone(),
            })
            .collect();
        Report {
            status,
            ..Report::of_recipients(recipients, Some(error))
        }
    }

    /// The report with the server it was sent to (its address is added by the attempt).
    pub fn at_server(mut self, host: &str, port: u16, extensions: Vec<String>) -> Report {
        self.server = Some(ServerReport {
            host: host.to_string(),
            ip: None,
            port,
            extensions,
        });
        self
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

/// The RFC 8460 result objects of the component's `tls-report.to-json`, parsed for the
/// report (the component makes valid JSON; anything else is left out).
pub fn tlsrpt_values(objects: &[String]) -> Vec<serde_json::Value> {
    objects
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(status: Status) -> RecipientReport {
        RecipientReport {
            address: "b@example.org".into(),
            status,
            code: None,
            enhanced: None,
            lines: Vec::new(),
        }
    }

    #[test]
    fn status_follows_the_recipients() {
        use Status::*;
        let status = |statuses: &[Status]| {
            let recipients: Vec<_> = statuses.iter().map(|s| recipient(*s)).collect();
            Report::status_of(&recipients)
        };
        assert_eq!(status(&[Delivered, Delivered]), Delivered);
        assert_eq!(status(&[Delivered, Permanent]), Partial);
        assert_eq!(status(&[Permanent, Temporary]), Temporary);
        assert_eq!(status(&[Permanent]), Permanent);
        assert_eq!(status(&[]), Permanent);
    }

    #[test]
    fn a_failed_report_gives_every_recipient_the_error() {
        let error = ErrorReport::of("io", false, "connection refused".into());
        let report = Report::failed(&["a@x.test".into(), "b@x.test".into()], error);
        assert_eq!(report.status, Status::Temporary);
        assert!(
            report
                .recipients
                .iter()
                .all(|r| r.status == Status::Temporary)
        );
    }
}
