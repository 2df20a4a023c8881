//! SASL client mechanisms ([RFC 4422](https://www.rfc-editor.org/rfc/rfc4422)), step-locked and
//! sans-IO, for SMTP AUTH ([RFC 4954](https://www.rfc-editor.org/rfc/rfc4954)).
//!
//! | mechanism | RFC | cleartext secret | credential |
//! |---|---|---|---|
//! | PLAIN | [RFC 4616](https://www.rfc-editor.org/rfc/rfc4616) | yes | password |
//! | LOGIN | draft-murchison-sasl-login | yes | password |
//! | CRAM-MD5 | [RFC 2195](https://www.rfc-editor.org/rfc/rfc2195) | no | password |
//! | SCRAM-SHA-1, SCRAM-SHA-1-PLUS | [RFC 5802](https://www.rfc-editor.org/rfc/rfc5802) | no | password |
//! | SCRAM-SHA-256, SCRAM-SHA-256-PLUS | [RFC 7677](https://www.rfc-editor.org/rfc/rfc7677) | no | password |
//! | XOAUTH2 | Google's XOAUTH2 protocol | yes | token |
//! | OAUTHBEARER | [RFC 7628](https://www.rfc-editor.org/rfc/rfc7628) | yes | token |
//! | EXTERNAL | [RFC 4422 Appendix A](https://www.rfc-editor.org/rfc/rfc4422#appendix-A) | no | TLS client certificate |
//!
//! The core draws no random numbers: the SCRAM client nonce comes in through
//! [`MechanismInputs::client_nonce`]. Channel binding for the -PLUS variants is `tls-exporter`
//! ([RFC 9266](https://www.rfc-editor.org/rfc/rfc9266)), so it needs TLS 1.3: rustls does not
//! expose `tls-unique`, the only binding defined for TLS 1.2 (RFC 5929 §3), so -PLUS is never
//! chosen over TLS 1.2 (see [`ChannelBinding`]).
//!
//! Passwords for CRAM-MD5 and SCRAM, and SCRAM user names, go through SASLprep
//! ([RFC 4013](https://www.rfc-editor.org/rfc/rfc4013), the `stringprep` crate) as RFC 5802 §5.1
//! asks; a string SASLprep refuses is used as it is, as mox does with PRECIS.

mod choose;
mod cram_md5;
mod credentials;
mod error;
mod oauth;
mod scram;
mod simple;

pub use choose::{ChannelBinding, MechanismInputs, MechanismName, choose, offers_plus};
pub use cram_md5::CramMd5;
pub use credentials::{CredentialKind, Credentials};
pub use error::SaslError;
pub use oauth::{OAuthBearer, XOAuth2};
pub use scram::{CbindFlag, Scram, ScramHash};
pub use simple::{External, Login, Plain};

/// What a mechanism wants sent next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Only as the answer to the first call (no challenge): the mechanism has no initial
    /// response, so AUTH goes out without one and the server's first challenge comes next
    /// (RFC 4954 §4). As the answer to a challenge it means an empty response.
    NoInitialResponse,
    /// Send this response; the mechanism expects another challenge.
    Respond(Vec<u8>),
    /// Send this response, the client's last message: the server's verdict comes next
    /// (235, or a 4xx/5xx).
    Last(Vec<u8>),
}

/// A client SASL mechanism: one step per server challenge, in lock step with the server.
///
/// The first [`Mechanism::step`] call passes `None` (before the AUTH command is sent); each
/// later call passes a decoded server challenge (a 334 continuation). A challenge the
/// mechanism does not expect, e.g. one after its last message, is an error, and the exchange
/// is cancelled.
pub trait Mechanism: Send {
    /// The registered mechanism name, e.g. "SCRAM-SHA-256".
    fn name(&self) -> &'static str;

    /// True when the mechanism sends the secret itself (not a proof of it) over the wire:
    /// PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER. Such mechanisms need TLS.
    fn cleartext(&self) -> bool;

    /// Consumes a server challenge (`None` for the first call) and says what to send.
    ///
    /// # Errors
    /// A [`SaslError`] when the challenge is malformed, unexpected, or fails verification
    /// (e.g. a wrong SCRAM server signature); the caller then cancels the exchange.
    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError>;
}
