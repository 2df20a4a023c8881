//! The error type of the SMTP client, with the kind and the permanence a queue decides retries
//! and bounces on.
//!
//! Variants say what went wrong with the data to act on (the reply, the command); the
//! [`ErrorKind`] mirrors the WIT `error-kind` enum and the sentinel errors of mox's client
//! (`ErrStatus`, `ErrTLS`, ...), and [`Error::is_permanent`] is the single source of truth for
//! retries.

use std::fmt;

use crate::dns::{DnsError, Domain, Fqdn};
use crate::sasl::SaslError;
use crate::smtp::{AddressError, CommandKind, DataError, ProtocolError, Reply, ReplyCode};

/// What went wrong, as the WIT `error-kind` enum has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server answered with an unexpected reply code.
    Status,
    /// The server broke the protocol; the session is botched.
    Protocol,
    /// TLS could not be established or failed.
    Tls,
    /// DANE verification failed (RFC 7672 §2.2).
    Dane,
    /// The message is larger than the server's SIZE limit (RFC 1870).
    Size,
    /// The message needs 8BITMIME (RFC 6152) and the server does not offer it.
    EightBitMimeUnsupported,
    /// The message needs SMTPUTF8 (RFC 6531) and the server does not offer it.
    SmtpUtf8Unsupported,
    /// The message needs REQUIRETLS (RFC 8689) and the server or connection does not offer it.
    RequireTlsUnsupported,
    /// No recipient was accepted.
    NoRecipients,
    /// The message data was refused before sending (bare CR or LF).
    Message,
    /// An address is not a valid SMTP path.
    Address,
    /// Authentication failed (RFC 4954).
    Auth,
    /// An earlier error left the connection out of sync.
    Botched,
    /// The session was closed.
    Closed,
    /// The domain accepts no mail (null MX, RFC 7505).
    NoMail,
    /// CNAME records form a loop.
    CnameLoop,
    /// A CNAME chain is too long.
    CnameLimit,
    /// A DNS lookup failed.
    Dns,
    /// The connection failed or was closed early.
    Io,
    /// A deadline passed (RFC 5321 §4.5.3.2).
    Timeout,
    /// The TLS policy forbids the host (MTA-STS enforce, dane-only, secure).
    Policy,
    /// The caller used the API wrongly.
    Usage,
    /// Not implemented by this version.
    Unsupported,
    /// A bug.
    Internal,
}

impl ErrorKind {
    /// The name used in JSON reports: "status", "protocol", "tls", "dane", "size", "8bitmime",
    /// "smtputf8", "requiretls", "no-recipients", "message", "address", "auth", "botched",
    /// "closed", "no-mail", "cname-loop", "cname-limit", "dns", "io", "timeout", "policy", "usage",
    /// "unsupported", "internal".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Protocol => "protocol",
            Self::Tls => "tls",
            Self::Dane => "dane",
            Self::Size => "size",
            Self::EightBitMimeUnsupported => "8bitmime",
            Self::SmtpUtf8Unsupported => "smtputf8",
            Self::RequireTlsUnsupported => "requiretls",
            Self::NoRecipients => "no-recipients",
            Self::Message => "message",
            Self::Address => "address",
            Self::Auth => "auth",
            Self::Botched => "botched",
            Self::Closed => "closed",
            Self::NoMail => "no-mail",
            Self::CnameLoop => "cname-loop",
            Self::CnameLimit => "cname-limit",
            Self::Dns => "dns",
            Self::Io => "io",
            Self::Timeout => "timeout",
            Self::Policy => "policy",
            Self::Usage => "usage",
            Self::Unsupported => "unsupported",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SMTP client error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered `command` with an unexpected reply.
    #[error("{command} rejected: {reply}")]
    Status {
        /// The command the reply answered.
        command: CommandKind,
        /// The reply.
        reply: Reply,
    },
    /// The server broke the protocol; the session is botched.
    #[error("protocol violation{}: {error}", during(.command))]
    Protocol {
        /// The command whose reply was awaited, if any.
        command: Option<CommandKind>,
        /// What was wrong.
        error: ProtocolError,
    },
    /// RFC 1870 §6: the message is larger than the server's maximum.
    #[error("message too large for remote smtp server: {size} bytes, maximum {max}")]
    Size {
        /// The message size.
        size: u64,
        /// The announced maximum.
        max: u64,
    },
    /// The message needs 8BITMIME, which the server does not announce.
    #[error("remote smtp server does not implement 8bitmime extension, required by message")]
    EightBitMimeUnsupported,
    /// The message needs SMTPUTF8, which the server does not announce.
    #[error("remote smtp server does not implement smtputf8 extension, required by message")]
    SmtpUtf8Unsupported,
    /// REQUIRETLS was requested and the server does not announce it, or TLS is not active.
    #[error("remote smtp server does not implement requiretls extension, required for delivery")]
    RequireTlsUnsupported,
    /// Every recipient was refused (their replies are in the recipient results).
    #[error("no recipients accepted in transaction")]
    NoRecipients,
    /// The message data is refused before it is sent.
    #[error("message refused as smtp data: {0}")]
    Message(DataError),
    /// The platform could not read the message (removed from the spool, say); the
    /// transaction is abandoned before its end, so nothing partial is accepted.
    #[error("message could not be read: {detail}")]
    MessageUnreadable {
        /// What the platform reported.
        detail: String,
    },
    /// A path is not valid for `command`.
    #[error("invalid address {address:?} for {command}: {error}")]
    Address {
        /// MAIL FROM or RCPT TO.
        command: CommandKind,
        /// The path as given.
        address: String,
        /// What is wrong with it.
        error: AddressError,
    },
    /// An earlier error left the connection out of sync; only closing remains.
    #[error("smtp connection is botched")]
    Botched,
    /// The session was closed with quit.
    #[error("session is closed")]
    Closed,
    /// Reading or writing the connection failed.
    #[error("i/o error{}: {detail}", during(.command))]
    Io {
        /// The command in progress, if any.
        command: Option<CommandKind>,
        /// What the transport reported.
        detail: String,
    },
    /// The server closed the connection while a reply was awaited.
    #[error("connection closed by server{}", during(.command))]
    UnexpectedEof {
        /// The command in progress, if any.
        command: Option<CommandKind>,
    },
    /// A deadline passed (RFC 5321 §4.5.3.2).
    #[error("timed out{}", during(.command))]
    Timeout {
        /// The command in progress, if any.
        command: Option<CommandKind>,
    },
    /// The API was used wrongly, e.g. a transaction without recipients.
    #[error("usage error: {0}")]
    Usage(&'static str),
    /// Not implemented by this version.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// A bug: the core or its driver reached a state it should never reach.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// STARTTLS was refused (RFC 3207 §4), so TLS could not start.
    #[error("starttls rejected{}: {reply}", if *.announced { "" } else { " (not announced in ehlo)" })]
    StartTls {
        /// The reply to STARTTLS.
        reply: Reply,
        /// Whether the server announced STARTTLS in its EHLO reply. Required TLS sends
        /// STARTTLS either way.
        announced: bool,
    },
    /// TLS failed: the handshake, PKIX verification, or the connection after it.
    #[error("tls error{}: {detail}", during(.command))]
    Tls {
        /// The command in progress (STARTTLS for its handshake), if any.
        command: Option<CommandKind>,
        /// What went wrong.
        detail: String,
    },
    /// DANE verification failed (RFC 7672 §2.2): no usable TLSA record matched.
    #[error("dane verification failed: {detail}")]
    Dane {
        /// What the records said.
        detail: String,
    },
    /// EHLO after STARTTLS was refused; there is no HELO fallback over TLS (RFC 3207 §4.2).
    #[error("ehlo rejected after starttls: {reply}")]
    EhloAfterTls {
        /// The reply to EHLO.
        reply: Reply,
    },
    /// The domain accepts no mail: its only MX is the null MX (RFC 7505 §3).
    #[error("domain {domain} accepts no mail (null mx)")]
    NoMail {
        /// The (CNAME-expanded) next hop that published the null MX.
        domain: Domain,
    },
    /// Following CNAMEs from `name` came back to `repeated`.
    #[error("cname loop: from {name} back to {repeated}")]
    CnameLoop {
        /// Where the chain started.
        name: Fqdn,
        /// The name seen twice.
        repeated: Fqdn,
    },
    /// The CNAME chain from `name` is longer than allowed.
    #[error("too many cname hops from {name}, last {last}")]
    CnameLimit {
        /// Where the chain started.
        name: Fqdn,
        /// The last name reached.
        last: Fqdn,
    },
    /// A DNS lookup failed or answered with a bad name.
    #[error("dns: {0}")]
    Dns(#[from] DnsError),
    /// The next hop does not exist: no MX and no address, NXDOMAIN or an empty answer,
    /// authenticated or not (RFC 5321 §5.1: without MX records the domain itself must have
    /// an address). Permanent, as Postfix's "Host or domain name not found" (5.4.4); a
    /// failed lookup (SERVFAIL, timeout) is [`Error::Dns`] and temporary.
    #[error("host or domain name not found: {domain}")]
    DomainNotFound {
        /// The (CNAME-expanded) next hop.
        domain: Domain,
    },
    /// No address of an MX host may be dialed: it has no address an SMTP server can have
    /// (unspecified, multicast, broadcast), or only loopback or private ones and the request
    /// does not allow them. Temporary for the host; an attempt where every host was refused
    /// so fails for good.
    #[error("mx host {host} has no address to deliver to: {address} is {reason}")]
    ForbiddenAddress {
        /// The host.
        host: String,
        /// Its first refused address.
        address: std::net::IpAddr,
        /// Why, e.g. "loopback".
        reason: &'static str,
    },
    /// Every MX host of an attempt was refused for its addresses ([`Error::ForbiddenAddress`],
    /// the last one kept): no later attempt can do better while the MX records point there,
    /// so it is permanent, as Postfix bounces an MX that loops back to itself.
    #[error("{0}; no mx host of the domain may be dialed")]
    Undialable(Box<Error>),
    /// A permanent refusal that may be about our address (an enhanced code 5.7.x) on a
    /// first attempt to a host with IPv4 and IPv6 addresses: temporary, so that the next
    /// attempt, which starts with the other family, can succeed (as the reference's queue).
    #[error("{0} (temporary on a first attempt: the next one uses the other address family)")]
    FirstAttempt(Box<Error>),
    /// The TLS policy forbids delivery to this host (RFC 8461 §4.2, RFC 7672 §2.2).
    #[error("tls policy: {detail}")]
    Policy {
        /// Which policy and why.
        detail: String,
    },
    /// Authentication failed (RFC 4954): no usable mechanism, the server refused, or the
    /// exchange broke down.
    #[error("authentication failed: {error}{}", auth_reply(.reply))]
    Auth {
        /// What went wrong.
        error: SaslError,
        /// The server reply that ended the exchange, if any.
        reply: Option<Reply>,
    },
}

/// Whether `reply`, which ended an AUTH exchange that failed with `error`, is the server's
/// verdict on the authentication (RFC 4954 §6: 535, 534, 454): any 4xx or 5xx, but the 501
/// that only acknowledges the "*" we sent after a check of ours failed (RFC 4954 §4: the
/// server "MUST reject the AUTH command by sending a 501 reply"). After a SCRAM "e=" server
/// error (RFC 5802 §7) even that 501 confirms the server's refusal.
fn auth_verdict(error: &SaslError, reply: &Reply) -> bool {
    let refusal = matches!(reply.code.class(), 4 | 5);
    let servers_own = matches!(error, SaslError::Rejected | SaslError::ServerError(_));
    refusal && (servers_own || reply.code != ReplyCode::SYNTAX_ERROR_PARAMS)
}

fn during(command: &Option<CommandKind>) -> String {
    command.map(|c| format!(" during {c}")).unwrap_or_default()
}

fn auth_reply(reply: &Option<Reply>) -> String {
    reply.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
}

impl From<SaslError> for Error {
    /// An authentication failure without a server reply (e.g. no mechanism in common).
    fn from(error: SaslError) -> Self {
        Self::Auth { error, reply: None }
    }
}

impl Error {
    /// A transport read or write failure, for [`crate::smtp::Session::handle_transport_error`].
    #[must_use]
    pub fn io(detail: String) -> Self {
        Self::Io {
            command: None,
            detail,
        }
    }

    /// A transport deadline that passed; `None` lets the session fill in the command.
    #[must_use]
    pub fn timeout(command: Option<CommandKind>) -> Self {
        Self::Timeout { command }
    }

    /// A bug in the core or its driver.
    #[must_use]
    pub fn internal(what: &'static str) -> Self {
        Self::Internal(what)
    }

    /// The session was closed.
    #[must_use]
    pub fn closed() -> Self {
        Self::Closed
    }

    /// The TLS policy forbids a host; `detail` says which policy and why.
    #[must_use]
    pub fn policy(detail: String) -> Self {
        Self::Policy { detail }
    }

    /// Not implemented by this version; `what` names it and the issue that brings it.
    #[must_use]
    pub fn unsupported(what: &str) -> Self {
        Self::Unsupported(what.to_string())
    }

    /// The kind, as the WIT `error-kind` enum has it.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Status { .. } => ErrorKind::Status,
            Self::Protocol { .. } => ErrorKind::Protocol,
            Self::Size { .. } => ErrorKind::Size,
            Self::EightBitMimeUnsupported => ErrorKind::EightBitMimeUnsupported,
            Self::SmtpUtf8Unsupported => ErrorKind::SmtpUtf8Unsupported,
            Self::RequireTlsUnsupported => ErrorKind::RequireTlsUnsupported,
            Self::NoRecipients => ErrorKind::NoRecipients,
            Self::Message(_) | Self::MessageUnreadable { .. } => ErrorKind::Message,
            Self::Address { .. } => ErrorKind::Address,
            Self::Botched => ErrorKind::Botched,
            Self::Closed => ErrorKind::Closed,
            Self::Io { .. } | Self::UnexpectedEof { .. } => ErrorKind::Io,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Usage(_) => ErrorKind::Usage,
            Self::Unsupported(_) => ErrorKind::Unsupported,
            Self::Internal(_) => ErrorKind::Internal,
            Self::Auth { .. } => ErrorKind::Auth,
            Self::StartTls { .. } | Self::Tls { .. } => ErrorKind::Tls,
            Self::Dane { .. } => ErrorKind::Dane,
            Self::EhloAfterTls { .. } => ErrorKind::Protocol,
            Self::NoMail { .. } => ErrorKind::NoMail,
            Self::CnameLoop { .. } => ErrorKind::CnameLoop,
            Self::CnameLimit { .. } => ErrorKind::CnameLimit,
            Self::Dns(_) => ErrorKind::Dns,
            Self::Policy { .. } | Self::ForbiddenAddress { .. } | Self::Undialable(_) => {
                ErrorKind::Policy
            }
            Self::DomainNotFound { .. } => ErrorKind::Dns,
            Self::FirstAttempt(error) => error.kind(),
        }
    }

    /// True when trying the same again later will not help (mox's rules, 552 to RCPT fixed).
    ///
    /// - A reply: 5xx, except 552 to RCPT: RFC 5321 §4.5.3.1.10 "clients SHOULD treat a 552
    ///   code in this case as a temporary" (too many recipients). A 452 is 4xx anyway.
    /// - Permanent without a reply: SIZE exceeded, 8BITMIME missing, a refused message or
    ///   address, API misuse.
    /// - AUTH: the server's 4xx or 5xx verdict decides, whichever mechanism drew it, also when
    ///   it answers the "*" we sent after its SCRAM "e=" error; a failure of our own check
    ///   (a bad challenge, a wrong server signature) acknowledged with 501 is transient, a
    ///   configuration problem (no mechanism in common, wrong credentials type) permanent.
    /// - Transient: SMTPUTF8 or REQUIRETLS missing (the next hop may differ, RFC 6531 §3.3),
    ///   no recipients accepted (each recipient result says more), an unreadable message,
    ///   botched, closed, i/o, timeouts, protocol violations, and what is not supported yet.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Status { command, reply } => {
                reply.code.is_permanent_negative()
                    && !(*command == CommandKind::RcptTo
                        && reply.code == ReplyCode::EXCEEDED_STORAGE)
            }
            // RFC 3207 §4: an announced STARTTLS refused with 5xx is permanent. Required TLS
            // to a server that does not announce it is temporary, as a certificate that fails
            // (Postfix's 4.7.4 "TLS is required, but was not offered"); mox bounces on its 5xx.
            Self::StartTls { reply, announced } => *announced && reply.code.is_permanent_negative(),
            // As in mox: EHLO refused after STARTTLS is permanent.
            Self::EhloAfterTls { .. } => true,
            Self::Tls { .. } | Self::Dane { .. } => false,
            Self::Size { .. }
            | Self::EightBitMimeUnsupported
            | Self::Message(_)
            | Self::Address { .. }
            | Self::Usage(_)
            | Self::NoMail { .. }
            | Self::DomainNotFound { .. }
            | Self::Undialable(_) => true,
            Self::Dns(error) => error.is_permanent(),
            // The server's verdict on AUTH is permanent iff 5xx (535 bad credentials, 534
            // mechanism too weak), whichever mechanism led to it; a failure of our own is
            // permanent only when it is a configuration problem.
            Self::Auth {
                error,
                reply: Some(reply),
            } if auth_verdict(error, reply) => reply.code.is_permanent_negative(),
            Self::Auth { error, .. } => error.is_permanent(),
            Self::SmtpUtf8Unsupported
            | Self::RequireTlsUnsupported
            | Self::MessageUnreadable { .. }
            | Self::NoRecipients
            | Self::Botched
            | Self::Closed
            | Self::Io { .. }
            | Self::UnexpectedEof { .. }
            | Self::Timeout { .. }
            | Self::Protocol { .. }
            | Self::Unsupported(_)
            | Self::Internal(_)
            | Self::CnameLoop { .. }
            | Self::CnameLimit { .. }
            | Self::Policy { .. }
            | Self::ForbiddenAddress { .. }
            | Self::FirstAttempt(_) => false,
        }
    }

    /// The server reply that caused the error: code, enhanced code, all lines.
    #[must_use]
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Status { reply, .. }
            | Self::StartTls { reply, .. }
            | Self::EhloAfterTls { reply } => Some(reply),
            Self::Auth { reply, .. } => reply.as_ref(),
            Self::FirstAttempt(error) => error.reply(),
            _ => None,
        }
    }

    /// The command whose reply (or missing reply) caused the error.
    #[must_use]
    pub fn command(&self) -> Option<CommandKind> {
        match self {
            Self::Status { command, .. } | Self::Address { command, .. } => Some(*command),
            Self::Message(_) => Some(CommandKind::Data),
            Self::Auth { .. } => Some(CommandKind::Auth),
            Self::StartTls { .. } => Some(CommandKind::StartTls),
            Self::EhloAfterTls { .. } => Some(CommandKind::Ehlo),
            Self::Tls { command, .. } => *command,
            Self::Protocol { command, .. }
            | Self::Io { command, .. }
            | Self::UnexpectedEof { command }
            | Self::Timeout { command } => *command,
            Self::FirstAttempt(error) => error.command(),
            _ => None,
        }
    }

    /// Fills in the command of a transport error that did not name one.
    #[must_use]
    pub(crate) fn during(mut self, current: Option<CommandKind>) -> Self {
        if let Self::Io { command, .. }
        | Self::UnexpectedEof { command }
        | Self::Timeout { command } = &mut self
            && command.is_none()
        {
            *command = current;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::EnhancedCode;

    fn reply(code: u16, line: &str) -> Reply {
        Reply {
            code: ReplyCode(code),
            enhanced: None,
            lines: vec![line.as_bytes().to_vec()],
        }
    }

    fn starttls(code: u16, announced: bool) -> Error {
        let reply = reply(code, "no");
        Error::StartTls { reply, announced }
    }

    fn status(command: CommandKind, code: u16, line: &str) -> Error {
        Error::Status {
            command,
            reply: reply(code, line),
        }
    }

    #[test]
    fn permanence() {
        let cases = [
            (status(CommandKind::Greeting, 521, "521 no"), true),
            (status(CommandKind::Greeting, 421, "421 later"), false),
            (status(CommandKind::MailFrom, 550, "550 no"), true),
            (status(CommandKind::MailFrom, 552, "552 too big"), true),
            (status(CommandKind::RcptTo, 552, "552 too many"), false),
            (status(CommandKind::RcptTo, 452, "452 too many"), false),
            (status(CommandKind::RcptTo, 554, "554 no"), true),
            (status(CommandKind::Data, 552, "552 too big"), true),
            (starttls(502, true), true),
            (starttls(502, false), false),
            (starttls(454, true), false),
            (Error::Size { size: 2, max: 1 }, true),
            (Error::EightBitMimeUnsupported, true),
            (Error::SmtpUtf8Unsupported, false),
            (Error::RequireTlsUnsupported, false),
            (Error::NoRecipients, false),
            (
                Error::Protocol {
                    command: Some(CommandKind::Greeting),
                    error: ProtocolError::LineTooLong { max: 2048 },
                },
                false,
            ),
            (Error::io("reset".into()), false),
            (Error::timeout(None), false),
            (Error::unsupported("tls"), false),
            (Error::internal("stalled"), false),
            (Error::Botched, false),
            (Error::Closed, false),
            (
                Error::DomainNotFound {
                    domain: Domain::parse("example.invalid").unwrap(),
                },
                true,
            ),
            (
                Error::ForbiddenAddress {
                    host: "mx.example".into(),
                    address: "127.0.0.1".parse().unwrap(),
                    reason: "loopback",
                },
                false,
            ),
        ];
        for (error, permanent) in cases {
            assert_eq!(error.is_permanent(), permanent, "{error}");
        }
    }

    #[test]
    fn a_first_attempt_refusal_is_temporary_and_keeps_its_reply() {
        let refused = status(CommandKind::MailFrom, 550, "550 5.7.1 listed");
        assert!(refused.is_permanent());
        let softened = Error::FirstAttempt(Box::new(refused.clone()));
        assert!(!softened.is_permanent());
        assert_eq!(softened.kind(), ErrorKind::Status);
        assert_eq!(softened.reply(), refused.reply());
        assert_eq!(softened.command(), Some(CommandKind::MailFrom));
        assert!(softened.to_string().starts_with("mailfrom rejected: 550"));
    }

    #[test]
    fn messages_and_accessors() {
        let mut error = status(CommandKind::RcptTo, 451, "451 4.7.1 greylisted");
        if let Error::Status { reply, .. } = &mut error {
            reply.enhanced = Some(EnhancedCode {
                class: 4,
                subject: 7,
                detail: 1,
            });
        }
        assert_eq!(error.to_string(), "rcptto rejected: 451 4.7.1 greylisted");
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.command(), Some(CommandKind::RcptTo));
        assert_eq!(error.reply().map(|r| r.code), Some(ReplyCode(451)));
        let timeout = Error::timeout(None).during(Some(CommandKind::Data));
        assert_eq!(timeout.to_string(), "timed out during data");
        assert_eq!(timeout.command(), Some(CommandKind::Data));
        assert_eq!(
            Error::io("broken pipe".into()).to_string(),
            "i/o error: broken pipe"
        );
        assert_eq!(Error::UnexpectedEof { command: None }.kind(), ErrorKind::Io);
        assert_eq!(
            Error::unsupported("tls (issue 4)").to_string(),
            "not supported yet: tls (issue 4)"
        );
        assert_eq!(ErrorKind::EightBitMimeUnsupported.to_string(), "8bitmime");
        assert_eq!(Error::Botched.reply(), None);
    }
}
