//! CRAM-MD5 ([RFC 2195](https://www.rfc-editor.org/rfc/rfc2195)): the server sends a
//! challenge, the client answers with its user name and an HMAC-MD5 of the challenge keyed
//! with the password.

use hmac::{Hmac, Mac as _};
use md5::Md5;

use super::{Credentials, Mechanism, MechanismName, SaslError, Step, simple::password_parts};

/// CRAM-MD5. Not cleartext, but a recorded exchange allows an offline dictionary attack on
/// the password: prefer SCRAM.
#[derive(Debug)]
pub struct CramMd5 {
    username: String,
    password: String,
    step: u8,
}

impl CramMd5 {
    /// CRAM-MD5 for `credentials`; the password is prepared with SASLprep (mox uses PRECIS;
    /// a string SASLprep refuses is used as it is).
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a password.
    pub fn new(credentials: &Credentials) -> Result<Self, SaslError> {
        let (user, pass) = password_parts(credentials, MechanismName::CramMd5)?;
        Ok(Self {
            username: user.to_string(),
            password: super::scram::prepare(pass),
            step: 0,
        })
    }
}

impl Mechanism for CramMd5 {
    fn name(&self) -> &'static str {
        MechanismName::CramMd5.as_str()
    }

    fn cleartext(&self) -> bool {
        false
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        let step = self.step;
        self.step = self.step.saturating_add(1);
        match (step, challenge) {
            // RFC 2195 §2: the server speaks first, so there is no initial response.
            (0, None) => Ok(Step::NoInitialResponse),
            (1, Some(challenge)) => {
                check_challenge(challenge)?;
                let mut mac = Hmac::<Md5>::new_from_slice(self.password.as_bytes())
                    .map_err(|_| SaslError::BadChallenge("hmac key"))?;
                mac.update(challenge);
                let digest = mac.finalize().into_bytes();
                // RFC 2195 §2: user name, a space, and the digest as 32 lowercase hex digits.
                let mut response = self.username.clone().into_bytes();
                response.push(b' ');
                for byte in digest {
                    response.extend_from_slice(format!("{byte:02x}").as_bytes());
                }
                Ok(Step::Last(response))
            }
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// RFC 2195 §2: the challenge has the form of a msg-id, "<1896.697170952@postoffice.example>".
/// Checked as mox does: angle brackets, a non-empty part before a dot, and an "@" after the
/// dot with non-empty parts around it.
fn check_challenge(challenge: &[u8]) -> Result<(), SaslError> {
    let bad = || SaslError::BadChallenge("cram-md5 challenge is not <x.y@host>");
    let inner = challenge
        .strip_prefix(b"<")
        .and_then(|c| c.strip_suffix(b">"))
        .ok_or_else(bad)?;
    let dot = inner.iter().position(|&b| b == b'.').ok_or_else(bad)?;
    let after_dot = &inner[dot + 1..];
    let at = after_dot.iter().rposition(|&b| b == b'@').ok_or_else(bad)?;
    if dot == 0 || at == 0 || at + 1 == after_dot.len() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example() {
        // As in mox's tests: challenge <123.1234@host>, user=pass="test".
        let mut cram = CramMd5::new(&Credentials::password("test", "test")).unwrap();
        assert_eq!(cram.name(), "CRAM-MD5");
        assert!(!cram.cleartext());
        assert_eq!(cram.step(None), Ok(Step::NoInitialResponse));
        assert_eq!(
            cram.step(Some(b"<123.1234@host>")),
            Ok(Step::Last(
                b"test 6bde698c70ae4ed79c2af56e79bab087".to_vec()
            ))
        );
        assert!(cram.step(Some(b"<123.1234@host>")).is_err());
    }

    #[test]
    fn rfc2195_example() {
        // RFC 2195 §2: user "tim", password "tanstaaftanstaaf".
        let mut cram = CramMd5::new(&Credentials::password("tim", "tanstaaftanstaaf")).unwrap();
        cram.step(None).unwrap();
        assert_eq!(
            cram.step(Some(b"<1896.697170952@postoffice.reston.mci.net>")),
            Ok(Step::Last(b"tim b913a602c7eda7a495b4e6e7334d3890".to_vec()))
        );
    }

    #[test]
    fn long_password_is_hashed_first() {
        // RFC 2104 §2: a key longer than the block (64 bytes) is replaced by its hash.
        let long = "x".repeat(100);
        let mut a = CramMd5::new(&Credentials::password("u", long.as_str())).unwrap();
        a.step(None).unwrap();
        let Ok(Step::Last(response)) = a.step(Some(b"<1.2@h>")) else {
            panic!("no response");
        };
        assert_eq!(response.len(), 2 + 32);
    }

    #[test]
    fn malformed_challenges() {
        for challenge in [
            &b"123.1234@host"[..],
            b"<1231234@host>",
            b"<.1234@host>",
            b"<123.@host>",
            b"<123.1234@>",
            b"<123@1234.host>",
            b"<>",
            b"",
        ] {
            let mut cram = CramMd5::new(&Credentials::password("u", "p")).unwrap();
            cram.step(None).unwrap();
            assert!(
                matches!(cram.step(Some(challenge)), Err(SaslError::BadChallenge(_))),
                "{challenge:?}"
            );
        }
        assert!(CramMd5::new(&Credentials::token("u", "t")).is_err());
    }
}
