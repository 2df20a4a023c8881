//! How a session is opened: the EHLO name, the TLS mode and settings, authentication and the
//! deadlines.

use std::time::Duration;

use crate::sasl::Credentials;
use crate::tls::TlsConfig;
use crate::tlsrpt::{ReportContext, TlsResults};

/// The configuration of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The name announced in EHLO/HELO (RFC 5321 §4.1.1.1): a domain in ASCII (A-labels) or
    /// an address literal. Anything with spaces or control characters fails the open.
    pub ehlo_hostname: String,
    /// How TLS is used.
    pub tls_mode: TlsMode,
    /// The deadlines of each phase.
    pub timeouts: Timeouts,
    /// Verification and client certificate, when TLS is used.
    pub tls: TlsConfig,
    /// The TLS-reporting results the session adds to (RFC 8460 §4.4).
    pub tls_results: TlsResults,
    /// Addresses and names for the failure details of TLS reports.
    pub report: ReportContext,
    /// Authenticate after EHLO (after TLS when it is used), RFC 4954; `None`: no AUTH.
    pub auth: Option<AuthConfig>,
}

/// Credentials and the choice of SASL mechanism for AUTH (RFC 4954). `Debug` never shows the
/// secret (see [`Credentials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The user name and password, token, or EXTERNAL identity.
    pub credentials: Credentials,
    /// Mechanism names, most preferred first; empty: the strongest offered one
    /// (see [`crate::sasl::choose`]).
    pub mechanisms: Vec<String>,
    /// Allow PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER without TLS (refused by default).
    pub allow_cleartext_without_tls: bool,
    /// Fresh random bytes for the SCRAM client nonce (RFC 5802 §5.1), 12 or more: the core
    /// has no random number generator, the driver supplies them.
    pub client_nonce: Vec<u8>,
}

/// How TLS is used on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS right after connecting, before the greeting (RFC 8314 §3.3, port 465).
    Immediate,
    /// STARTTLS is sent even when not announced; failure ends the session (RFC 3207).
    RequiredStartTls,
    /// STARTTLS when the server announces it, plaintext otherwise (RFC 3207 §4, RFC 7435).
    Opportunistic,
    /// Plaintext only.
    Skip,
}

/// How long the session waits for each reply, and for the caller during the message data.
///
/// The defaults are the minimums of RFC 5321 §4.5.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// RFC 5321 §4.5.3.2.1: "Initial 220 Message: 5 Minutes".
    pub greeting: Duration,
    /// EHLO and HELO replies (5 minutes, as the other commands).
    pub ehlo: Duration,
    /// RFC 5321 §4.5.3.2.2: "MAIL Command: 5 Minutes".
    pub mail: Duration,
    /// RFC 5321 §4.5.3.2.3: "RCPT Command: 5 Minutes".
    pub rcpt: Duration,
    /// RFC 5321 §4.5.3.2.4: "DATA Initiation: 2 Minutes".
    pub data_init: Duration,
    /// RFC 5321 §4.5.3.2.5: "Data Block: 3 Minutes"; here the longest wait between two
    /// chunks of message data from the caller, and the driver's write deadline.
    pub data_block: Duration,
    /// RFC 5321 §4.5.3.2.6: "DATA Termination: 10 Minutes".
    pub data_end: Duration,
    /// RSET replies (5 minutes, as the other commands).
    pub rset: Duration,
    /// The QUIT reply: 5 seconds, as mox; nothing depends on it.
    pub quit: Duration,
    /// The TLS handshake: 1 minute, as mox for STARTTLS, for implicit TLS too.
    pub tls_handshake: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            greeting: 5 * MINUTE,
            ehlo: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_init: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_end: 10 * MINUTE,
            rset: 5 * MINUTE,
            quit: Duration::from_secs(5),
            tls_handshake: MINUTE,
        }
    }
}

impl Timeouts {
    /// The same deadline for every phase (the command line's `--timeout`).
    #[must_use]
    pub fn uniform(timeout: Duration) -> Self {
        Self {
            greeting: timeout,
            ehlo: timeout,
            mail: timeout,
            rcpt: timeout,
            data_init: timeout,
            data_block: timeout,
            data_end: timeout,
            rset: timeout,
            quit: timeout,
            tls_handshake: timeout,
        }
    }
}
