//! Credentials for SASL: a user name with a password, an OAuth 2 bearer token, or nothing but
//! an authorization identity (EXTERNAL). Their `Debug` never shows the secret.

use std::fmt;

/// What kind of secret the credentials carry; it decides which mechanisms can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A password: PLAIN, LOGIN, CRAM-MD5, SCRAM.
    Password,
    /// An OAuth 2 bearer token: XOAUTH2, OAUTHBEARER (RFC 7628).
    Token,
    /// No secret: EXTERNAL (RFC 4422 Appendix A), e.g. with a TLS client certificate.
    External,
}

/// A user name and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    secret: String,
    kind: CredentialKind,
}

impl Credentials {
    /// A user name and password.
    #[must_use]
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            secret: password.into(),
            kind: CredentialKind::Password,
        }
    }

    /// A user name and an OAuth 2 bearer token.
    #[must_use]
    pub fn token(username: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            secret: token.into(),
            kind: CredentialKind::Token,
        }
    }

    /// An authorization identity for EXTERNAL; empty to act as the identity the TLS client
    /// certificate establishes (RFC 4422 Appendix A.1).
    #[must_use]
    pub fn external(authzid: impl Into<String>) -> Self {
        Self {
            username: authzid.into(),
            secret: String::new(),
            kind: CredentialKind::External,
        }
    }

    /// The user name (the authorization identity for EXTERNAL).
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password or token; empty for EXTERNAL. Keep it out of logs.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The kind of secret.
    #[must_use]
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }
}

impl fmt::Debug for Credentials {
    /// Shows the user name and kind; the secret is always `<redacted>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("kind", &self.kind)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secret() {
        for creds in [
            Credentials::password("mjl", "hunter2-secret"),
            Credentials::token("mjl", "hunter2-secret"),
        ] {
            let shown = format!("{creds:?} {creds:#?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(
                shown.contains("mjl") && shown.contains("<redacted>"),
                "{shown}"
            );
            assert_eq!(creds.secret(), "hunter2-secret");
        }
        let external = Credentials::external("");
        assert_eq!(external.kind(), CredentialKind::External);
        assert_eq!((external.username(), external.secret()), ("", ""));
        assert_eq!(Credentials::token("a", "b").kind(), CredentialKind::Token);
    }
}
