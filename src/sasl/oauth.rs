//! OAuth 2 bearer tokens: OAUTHBEARER ([RFC 7628](https://www.rfc-editor.org/rfc/rfc7628))
//! and Google's older XOAUTH2. Both send the token itself: cleartext, TLS only.
//!
//! On failure the server sends one 334 challenge with a JSON error; the client answers it
//! (RFC 7628 §3.2.3: a single %x01; XOAUTH2: an empty line) and the server's 4xx/5xx follows.

use super::{CredentialKind, Credentials, Mechanism, MechanismName, SaslError, Step};

/// RFC 7628 §3.1: kvsep = %x01
const KVSEP: u8 = 0x01;

/// OAUTHBEARER (RFC 7628).
#[derive(Debug)]
pub struct OAuthBearer {
    message: Vec<u8>,
    step: u8,
}

impl OAuthBearer {
    /// OAUTHBEARER with the user name as authorization identity and the token of
    /// `credentials`; `host` and `port` are those the client connected to (RFC 7628 §3.1
    /// "host", "port"), left out when `None`.
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a token, or it or the
    /// host contains control characters.
    pub fn new(
        credentials: &Credentials,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<Self, SaslError> {
        let token = token(credentials, MechanismName::OAuthBearer)?;
        if host.is_some_and(|h| h.bytes().any(|b| b.is_ascii_control())) {
            return Err(SaslError::CredentialMismatch {
                mechanism: MechanismName::OAuthBearer,
                needs: "a host name without control characters",
            });
        }
        // RFC 7628 §3.1: client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep;
        // gs2-header = "n," ["a=" saslname] "," (RFC 5801 §4; no channel binding).
        let mut message = b"n,".to_vec();
        if !credentials.username().is_empty() {
            message.extend_from_slice(b"a=");
            message.extend_from_slice(super::scram::saslname(credentials.username()).as_bytes());
        }
        message.push(b',');
        message.push(KVSEP);
        if let Some(host) = host {
            push_kv(&mut message, "host", host);
        }
        if let Some(port) = port {
            push_kv(&mut message, "port", &port.to_string());
        }
        // RFC 7628 §3.1: auth-value = "Bearer" 1*SP b64token (RFC 6750 §2.1).
        push_kv(&mut message, "auth", &format!("Bearer {token}"));
        message.push(KVSEP);
        Ok(Self { message, step: 0 })
    }
}

fn push_kv(out: &mut Vec<u8>, key: &str, value: &str) {
    // RFC 7628 §3.1: kvpair = key "=" value kvsep
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value.as_bytes());
    out.push(KVSEP);
}

impl Mechanism for OAuthBearer {
    fn name(&self) -> &'static str {
        MechanismName::OAuthBearer.as_str()
    }

    fn cleartext(&self) -> bool {
        true
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        let step = self.step;
        self.step = self.step.saturating_add(1);
        match (step, challenge) {
            (0, None) => Ok(Step::Last(std::mem::take(&mut self.message))),
            // RFC 7628 §3.2.3: the server's error challenge; "the client MUST then send
            // either an additional client response consisting of a single %x01 (control A)
            // character to the server in order to allow the server to finish the exchange".
            (1, Some(_)) => Ok(Step::Last(vec![KVSEP])),
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// XOAUTH2 (Google, "OAuth 2.0 Mechanism"): "user=" user ^A "auth=Bearer " token ^A ^A.
#[derive(Debug)]
pub struct XOAuth2 {
    message: Vec<u8>,
    step: u8,
}

impl XOAuth2 {
    /// XOAUTH2 for the user name and token of `credentials`.
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a token or contain
    /// control characters.
    pub fn new(credentials: &Credentials) -> Result<Self, SaslError> {
        let token = token(credentials, MechanismName::XOAuth2)?;
        let mut message = Vec::new();
        push_kv(&mut message, "user", credentials.username());
        push_kv(&mut message, "auth", &format!("Bearer {token}"));
        message.push(KVSEP);
        Ok(Self { message, step: 0 })
    }
}

impl Mechanism for XOAuth2 {
    fn name(&self) -> &'static str {
        MechanismName::XOAuth2.as_str()
    }

    fn cleartext(&self) -> bool {
        true
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        let step = self.step;
        self.step = self.step.saturating_add(1);
        match (step, challenge) {
            (0, None) => Ok(Step::Last(std::mem::take(&mut self.message))),
            // The error challenge (JSON) is answered with an empty response.
            (1, Some(_)) => Ok(Step::Last(Vec::new())),
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// The token of token credentials, checked for control characters (they would break the
/// %x01-separated framing).
fn token(credentials: &Credentials, mechanism: MechanismName) -> Result<&str, SaslError> {
    if credentials.kind() != CredentialKind::Token {
        return Err(SaslError::CredentialMismatch {
            mechanism,
            needs: "a token",
        });
    }
    let control = |s: &str| s.bytes().any(|b| b.is_ascii_control());
    if control(credentials.secret()) || control(credentials.username()) {
        return Err(SaslError::CredentialMismatch {
            mechanism,
            needs: "a user name and token without control characters",
        });
    }
    Ok(credentials.secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauthbearer_rfc7628_example() {
        // RFC 7628 §4.1, with the host and port of the example.
        let creds = Credentials::token(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        );
        let mut mech = OAuthBearer::new(&creds, Some("server.example.com"), Some(587)).unwrap();
        assert_eq!(mech.name(), "OAUTHBEARER");
        assert!(mech.cleartext());
        let want = b"n,a=user@example.com,\x01host=server.example.com\x01port=587\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
        assert_eq!(mech.step(None), Ok(Step::Last(want.to_vec())));
        // RFC 7628 §3.2.3: the error challenge is answered with %x01.
        assert_eq!(
            mech.step(Some(b"{\"status\":\"invalid_token\"}")),
            Ok(Step::Last(vec![0x01]))
        );
        assert!(mech.step(Some(b"")).is_err());
    }

    #[test]
    fn oauthbearer_without_user_host_port() {
        let mut mech = OAuthBearer::new(&Credentials::token("", "tok"), None, None).unwrap();
        assert_eq!(
            mech.step(None),
            Ok(Step::Last(b"n,,\x01auth=Bearer tok\x01\x01".to_vec()))
        );
        let escaped = OAuthBearer::new(&Credentials::token("a,b=c", "t"), None, None).unwrap();
        assert!(escaped.message.starts_with(b"n,a=a=2Cb=3Dc,\x01"));
        assert!(OAuthBearer::new(&Credentials::token("u", "t"), Some("h\r\n"), None).is_err());
    }

    #[test]
    fn xoauth2_google_example() {
        // Google's XOAUTH2 documentation: user=someuser@example.com^Aauth=Bearer ya29...^A^A
        let creds = Credentials::token(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        );
        let mut mech = XOAuth2::new(&creds).unwrap();
        assert_eq!(mech.name(), "XOAUTH2");
        assert!(mech.cleartext());
        let want = b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
        assert_eq!(mech.step(None), Ok(Step::Last(want.to_vec())));
        assert_eq!(mech.step(Some(b"{}")), Ok(Step::Last(Vec::new())));
        assert!(mech.step(Some(b"{}")).is_err());
    }

    #[test]
    fn token_checks() {
        assert!(matches!(
            XOAuth2::new(&Credentials::password("u", "p")),
            Err(SaslError::CredentialMismatch {
                needs: "a token",
                ..
            })
        ));
        assert!(XOAuth2::new(&Credentials::token("u", "t\x01x")).is_err());
        assert!(OAuthBearer::new(&Credentials::token("u\n", "t"), None, None).is_err());
    }
}
