//! The one- and two-step mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login) and
//! EXTERNAL (RFC 4422 Appendix A).

use super::{Credentials, Mechanism, MechanismName, SaslError, Step};

/// PLAIN ([RFC 4616](https://www.rfc-editor.org/rfc/rfc4616)): user name and password in one
/// initial response. Cleartext: use it only over TLS.
#[derive(Debug)]
pub struct Plain {
    message: Option<Vec<u8>>,
}

impl Plain {
    /// PLAIN for `credentials`, with an empty authorization identity.
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a password or contain a
    /// NUL byte (RFC 4616 §2: `SAFE` excludes NUL).
    pub fn new(credentials: &Credentials) -> Result<Self, SaslError> {
        let (user, pass) = password_parts(credentials, MechanismName::Plain)?;
        if user.contains('\0') || pass.contains('\0') {
            return Err(SaslError::CredentialMismatch {
                mechanism: MechanismName::Plain,
                needs: "a user name and password without nul",
            });
        }
        // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
        let message = [b"\0", user.as_bytes(), b"\0", pass.as_bytes()].concat();
        Ok(Self {
            message: Some(message),
        })
    }
}

impl Mechanism for Plain {
    fn name(&self) -> &'static str {
        MechanismName::Plain.as_str()
    }

    fn cleartext(&self) -> bool {
        true
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        match (challenge, self.message.take()) {
            // RFC 4954 §4: the message goes out as the initial response.
            (None, Some(message)) => Ok(Step::Last(message)),
            // RFC 4616 §2: "The mechanism consists of a single message".
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// LOGIN (draft-murchison-sasl-login-00): the user name and the password, each in answer to
/// a server prompt. Cleartext: use it only over TLS.
///
/// Unlike mox, which sends the user name as an initial response, none is sent: the draft's
/// §2.1 exchange starts with the server's "Username:" prompt, and old servers expect it. The
/// prompts' text is not checked.
#[derive(Debug)]
pub struct Login {
    username: Vec<u8>,
    password: Vec<u8>,
    step: u8,
}

impl Login {
    /// LOGIN for `credentials`.
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a password.
    pub fn new(credentials: &Credentials) -> Result<Self, SaslError> {
        let (user, pass) = password_parts(credentials, MechanismName::Login)?;
        Ok(Self {
            username: user.as_bytes().to_vec(),
            password: pass.as_bytes().to_vec(),
            step: 0,
        })
    }
}

impl Mechanism for Login {
    fn name(&self) -> &'static str {
        MechanismName::Login.as_str()
    }

    fn cleartext(&self) -> bool {
        true
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        let step = self.step;
        self.step = self.step.saturating_add(1);
        match (step, challenge) {
            (0, None) => Ok(Step::NoInitialResponse),
            // draft-murchison-sasl-login §2.1: "Username:" prompt, then "Password:".
            (1, Some(_)) => Ok(Step::Respond(std::mem::take(&mut self.username))),
            (2, Some(_)) => Ok(Step::Last(std::mem::take(&mut self.password))),
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// EXTERNAL ([RFC 4422 Appendix A](https://www.rfc-editor.org/rfc/rfc4422#appendix-A)): the
/// server authenticates by other means, e.g. the TLS client certificate; the client sends
/// only an authorization identity, possibly empty.
#[derive(Debug)]
pub struct External {
    authzid: Option<Vec<u8>>,
}

impl External {
    /// EXTERNAL with the user name of `credentials` as authorization identity (any credential
    /// kind; [`Credentials::external`] is the usual one).
    #[must_use]
    pub fn new(credentials: &Credentials) -> Self {
        Self {
            authzid: Some(credentials.username().as_bytes().to_vec()),
        }
    }
}

impl Mechanism for External {
    fn name(&self) -> &'static str {
        MechanismName::External.as_str()
    }

    fn cleartext(&self) -> bool {
        false
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        match (challenge, self.authzid.take()) {
            // RFC 4422 Appendix A.1: external-initial-resp = [ authz-id-string ]; an empty
            // one goes out as "=" (RFC 4954 §4).
            (None, Some(authzid)) => Ok(Step::Last(authzid)),
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// The user name and password of password credentials.
pub(super) fn password_parts(
    credentials: &Credentials,
    mechanism: MechanismName,
) -> Result<(&str, &str), SaslError> {
    if credentials.kind() != super::CredentialKind::Password {
        return Err(SaslError::CredentialMismatch {
            mechanism,
            needs: "a password",
        });
    }
    Ok((credentials.username(), credentials.secret()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_spec_example() {
        // As in mox's tests: user=pass="test" gives "AUTH PLAIN AHRlc3QAdGVzdA==".
        let mut plain = Plain::new(&Credentials::password("test", "test")).unwrap();
        assert_eq!(plain.name(), "PLAIN");
        assert!(plain.cleartext());
        assert_eq!(plain.step(None), Ok(Step::Last(b"\0test\0test".to_vec())));
        assert_eq!(
            plain.step(Some(b"")),
            Err(SaslError::UnexpectedChallenge("PLAIN"))
        );
        assert!(matches!(
            Plain::new(&Credentials::password("a\0b", "c")),
            Err(SaslError::CredentialMismatch { .. })
        ));
        assert!(matches!(
            Plain::new(&Credentials::token("a", "c")),
            Err(SaslError::CredentialMismatch {
                needs: "a password",
                ..
            })
        ));
    }

    #[test]
    fn login_answers_prompts() {
        let mut login = Login::new(&Credentials::password("user", "pass")).unwrap();
        assert_eq!(login.name(), "LOGIN");
        assert!(login.cleartext());
        assert_eq!(login.step(None), Ok(Step::NoInitialResponse));
        assert_eq!(
            login.step(Some(b"Username:")),
            Ok(Step::Respond(b"user".to_vec()))
        );
        assert_eq!(
            login.step(Some(b"Password:")),
            Ok(Step::Last(b"pass".to_vec()))
        );
        assert!(login.step(Some(b"more?")).is_err());
        assert!(Login::new(&Credentials::external("x")).is_err());
    }

    #[test]
    fn external_sends_authzid() {
        let mut external = External::new(&Credentials::external(""));
        assert_eq!(external.name(), "EXTERNAL");
        assert!(!external.cleartext());
        assert_eq!(external.step(None), Ok(Step::Last(Vec::new())));
        assert!(external.step(Some(b"")).is_err());
        let mut as_user = External::new(&Credentials::external("postmaster"));
        assert_eq!(as_user.step(None), Ok(Step::Last(b"postmaster".to_vec())));
    }
}
