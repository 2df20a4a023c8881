//! Mechanism names, the choice of a mechanism from what the server offers, and building the
//! chosen mechanism.

use std::fmt;
use std::str::FromStr;

use super::scram::CbindFlag;
use super::{
    CramMd5, CredentialKind, Credentials, External, Login, Mechanism, OAuthBearer, Plain,
    SaslError, Scram, ScramHash, XOAuth2,
};

/// A mechanism this client implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MechanismName {
    /// SCRAM-SHA-256-PLUS (RFC 7677, RFC 9266 channel binding).
    ScramSha256Plus,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-1-PLUS (RFC 5802, RFC 9266 channel binding).
    ScramSha1Plus,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// CRAM-MD5 (RFC 2195).
    CramMd5,
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// OAUTHBEARER (RFC 7628).
    OAuthBearer,
    /// XOAUTH2 (Google).
    XOAuth2,
    /// EXTERNAL (RFC 4422 Appendix A).
    External,
}

/// Password mechanisms, strongest first: the default order.
const PASSWORD_ORDER: [MechanismName; 7] = [
    MechanismName::ScramSha256Plus,
    MechanismName::ScramSha256,
    MechanismName::ScramSha1Plus,
    MechanismName::ScramSha1,
    MechanismName::CramMd5,
    MechanismName::Plain,
    MechanismName::Login,
];

/// Token mechanisms, the standard one first.
const TOKEN_ORDER: [MechanismName; 2] = [MechanismName::OAuthBearer, MechanismName::XOAuth2];

impl MechanismName {
    /// Every mechanism, in the order of the enum.
    pub const ALL: [Self; 10] = [
        Self::ScramSha256Plus,
        Self::ScramSha256,
        Self::ScramSha1Plus,
        Self::ScramSha1,
        Self::CramMd5,
        Self::Plain,
        Self::Login,
        Self::OAuthBearer,
        Self::XOAuth2,
        Self::External,
    ];

    /// The registered name, upper case.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::CramMd5 => "CRAM-MD5",
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::XOAuth2 => "XOAUTH2",
            Self::External => "EXTERNAL",
        }
    }

    /// True when the mechanism sends the secret itself: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER.
    #[must_use]
    pub fn is_cleartext(self) -> bool {
        matches!(
            self,
            Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer
        )
    }

    /// True for the -PLUS variants, which need channel binding data.
    #[must_use]
    pub fn is_channel_bound(self) -> bool {
        matches!(self, Self::ScramSha256Plus | Self::ScramSha1Plus)
    }

    /// Whether `credentials` can be used with this mechanism. EXTERNAL takes any kind (it
    /// sends only the user name, as authorization identity).
    #[must_use]
    pub fn accepts(self, credentials: CredentialKind) -> bool {
        match self {
            Self::External => true,
            Self::OAuthBearer | Self::XOAuth2 => credentials == CredentialKind::Token,
            _ => credentials == CredentialKind::Password,
        }
    }

    /// Builds the mechanism for `credentials`.
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials do not fit,
    /// [`SaslError::ChannelBindingUnavailable`] for a -PLUS variant without
    /// [`MechanismInputs::channel_binding`], [`SaslError::InvalidNonce`] for SCRAM without
    /// [`MechanismInputs::client_nonce`].
    pub fn build(
        self,
        credentials: &Credentials,
        inputs: &MechanismInputs,
    ) -> Result<Box<dyn Mechanism>, SaslError> {
        let scram = |hash| -> Result<Box<dyn Mechanism>, SaslError> {
            let flag = if self.is_channel_bound() {
                CbindFlag::P(
                    inputs
                        .channel_binding
                        .clone()
                        .ok_or(SaslError::ChannelBindingUnavailable)?,
                )
            } else if inputs.channel_binding.is_some() && !inputs.server_offers_plus {
                // RFC 5802 §6: "y" when the client supports channel binding and the server
                // appears not to.
                CbindFlag::Y
            } else {
                CbindFlag::N
            };
            Ok(Box::new(Scram::new(
                hash,
                credentials,
                &inputs.client_nonce,
                flag,
            )?))
        };
        Ok(match self {
            Self::ScramSha256Plus | Self::ScramSha256 => return scram(ScramHash::Sha256),
            Self::ScramSha1Plus | Self::ScramSha1 => return scram(ScramHash::Sha1),
            Self::CramMd5 => Box::new(CramMd5::new(credentials)?),
            Self::Plain => Box::new(Plain::new(credentials)?),
            Self::Login => Box::new(Login::new(credentials)?),
            Self::OAuthBearer => Box::new(OAuthBearer::new(
                credentials,
                inputs.host.as_deref(),
                inputs.port,
            )?),
            Self::XOAuth2 => Box::new(XOAuth2::new(credentials)?),
            Self::External => Box::new(External::new(credentials)),
        })
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MechanismName {
    type Err = SaslError;

    /// Parses a mechanism name, case-insensitively (RFC 4422 §3.1 names are upper case).
    fn from_str(s: &str) -> Result<Self, SaslError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| SaslError::UnknownMechanism(s.to_string()))
    }
}

/// Channel binding data of the TLS connection, for the -PLUS variants.
///
/// Only `tls-exporter` (RFC 9266) is supported, and only over TLS 1.3: RFC 9266 §3 says it
/// "SHOULD NOT be used" with TLS 1.2 without the extended master secret, and the TLS 1.2
/// binding `tls-unique` (RFC 5929 §3) is not exposed by rustls. With rustls, after the
/// handshake and when `protocol_version()` is TLS 1.3:
/// `conn.export_keying_material([0u8; TLS_EXPORTER_LENGTH], TLS_EXPORTER_LABEL, None)`
/// (RFC 8446 §7.5: no context and an empty context are the same in TLS 1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelBinding {
    /// RFC 9266 §2: the TLS exporter value for the label "EXPORTER-Channel-Binding".
    TlsExporter(Vec<u8>),
}

impl ChannelBinding {
    /// RFC 9266 §2: the exporter label.
    pub const TLS_EXPORTER_LABEL: &'static [u8] = b"EXPORTER-Channel-Binding";
    /// RFC 9266 §2: the exporter output length, 32 bytes.
    pub const TLS_EXPORTER_LENGTH: usize = 32;

    /// The channel binding data.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        match self {
            Self::TlsExporter(data) => data,
        }
    }
}

/// What building a mechanism needs besides the credentials: the inputs the sans-IO core
/// cannot produce itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MechanismInputs {
    /// Fresh random bytes for the SCRAM client nonce (RFC 5802 §5.1), 12 or more; the core
    /// has no random number generator. Unused by other mechanisms.
    pub client_nonce: Vec<u8>,
    /// The TLS connection's channel binding data, when TLS 1.3 is active.
    pub channel_binding: Option<ChannelBinding>,
    /// Whether the server offers any -PLUS mechanism (see [`offers_plus`]); decides the
    /// SCRAM "y" flag.
    pub server_offers_plus: bool,
    /// The host name the client connected to, for OAUTHBEARER (RFC 7628 §3.1).
    pub host: Option<String>,
    /// The port the client connected to, for OAUTHBEARER (RFC 7628 §3.1).
    pub port: Option<u16>,
}

/// Whether the offered mechanisms include a channel-bound one (a name ending in "-PLUS").
#[must_use]
pub fn offers_plus(offered: &[String]) -> bool {
    offered
        .iter()
        .any(|m| m.to_ascii_uppercase().ends_with("-PLUS"))
}

/// Chooses the mechanism to authenticate with.
///
/// Without a `preference`, the strongest offered mechanism that fits the credentials wins:
/// SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN
/// for a password; OAUTHBEARER, XOAUTH2 for a token; EXTERNAL for external credentials
/// (otherwise EXTERNAL only when the preference names it). A `preference` (names, any case)
/// replaces that order and filters it. -PLUS variants need `channel_binding_available` (and
/// TLS). Cleartext mechanisms (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) are refused without TLS
/// unless `allow_cleartext_without_tls`; offered names are compared case-insensitively.
///
/// # Errors
/// [`SaslError::UnknownMechanism`] for a preference we do not implement,
/// [`SaslError::CleartextWithoutTls`] when only cleartext mechanisms were in common and TLS
/// is not active, [`SaslError::NoMechanism`] otherwise when nothing fits; all permanent.
pub fn choose(
    offered: &[String],
    preference: &[String],
    credentials: CredentialKind,
    tls_active: bool,
    channel_binding_available: bool,
    allow_cleartext_without_tls: bool,
) -> Result<MechanismName, SaslError> {
    let order: Vec<MechanismName> = if preference.is_empty() {
        match credentials {
            CredentialKind::Password => PASSWORD_ORDER.to_vec(),
            CredentialKind::Token => TOKEN_ORDER.to_vec(),
            CredentialKind::External => vec![MechanismName::External],
        }
    } else {
        preference
            .iter()
            .map(|p| p.parse())
            .collect::<Result<_, _>>()?
    };
    let allowed: Vec<MechanismName> = order
        .into_iter()
        .filter(|m| m.accepts(credentials))
        .filter(|m| !m.is_channel_bound() || (tls_active && channel_binding_available))
        .collect();
    let is_offered = |m: &MechanismName| offered.iter().any(|o| o.eq_ignore_ascii_case(m.as_str()));
    let mut refused = None;
    for mechanism in allowed.iter().copied().filter(is_offered) {
        if mechanism.is_cleartext() && !tls_active && !allow_cleartext_without_tls {
            refused.get_or_insert(mechanism);
            continue;
        }
        return Ok(mechanism);
    }
    if let Some(mechanism) = refused {
        return Err(SaslError::CleartextWithoutTls(mechanism));
    }
    Err(SaslError::NoMechanism {
        offered: offered.iter().map(|o| o.to_ascii_uppercase()).collect(),
        allowed: allowed.iter().map(|m| m.as_str().to_string()).collect(),
    })
}

#[cfg(test)]
#[path = "choose_tests.rs"]
mod tests;
