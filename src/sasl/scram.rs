//! SCRAM ([RFC 5802](https://www.rfc-editor.org/rfc/rfc5802)) with SHA-1 and SHA-256
//! ([RFC 7677](https://www.rfc-editor.org/rfc/rfc7677)), and the -PLUS variants with
//! `tls-exporter` channel binding ([RFC 9266](https://www.rfc-editor.org/rfc/rfc9266)).
//!
//! ```text
//! C: client-first  = gs2-header "n=" saslname ",r=" c-nonce
//! S: server-first  = ["m=" ext ","] "r=" c-nonce s-nonce ",s=" salt ",i=" iteration-count
//! C: client-final  = "c=" base64(gs2-header cbind-data) ",r=" nonce ",p=" base64(proof)
//! S: server-final  = "v=" base64(server-signature) / "e=" server-error-value
//! ```

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use super::{ChannelBinding, Credentials, Mechanism, MechanismName, SaslError, Step};

/// The least iteration count accepted (as mox; RFC 7677 §4 recommends at least 4096).
pub const MIN_ITERATIONS: u32 = 2048;
/// The most iterations computed: more would let a server make the client spin.
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// The shortest server part of the nonce accepted (as mox).
const MIN_SERVER_NONCE: usize = 8;
/// The shortest salt accepted, in bytes (as mox).
const MIN_SALT: usize = 8;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScramHash {
    /// SHA-1 (RFC 5802).
    Sha1,
    /// SHA-256 (RFC 7677).
    Sha256,
}

impl ScramHash {
    /// RFC 5802 §2.2: H(str).
    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// RFC 5802 §2.2: HMAC(key, str).
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        const ANY_KEY: &str = "hmac accepts keys of any length";
        match self {
            Self::Sha1 => {
                let mut mac = Hmac::<Sha1>::new_from_slice(key).expect(ANY_KEY);
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect(ANY_KEY);
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// RFC 5802 §2.2: Hi(str, salt, i), which is PBKDF2 with HMAC as the PRF and the hash's
    /// output length.
    fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let mut out = [0u8; 20];
                pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out);
                out.to_vec()
            }
            Self::Sha256 => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

/// RFC 5802 §7 gs2-cbind-flag: what the client says about channel binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CbindFlag {
    /// "n": the client does not support channel binding.
    N,
    /// "y": the client supports channel binding but thinks the server does not (it offered
    /// no -PLUS mechanism). A server that does support it then fails the exchange, which
    /// detects a downgrade (RFC 5802 §6).
    Y,
    /// "p=tls-exporter": the -PLUS variant, bound to this TLS connection.
    P(ChannelBinding),
}

/// A SCRAM client: SCRAM-SHA-1, SCRAM-SHA-256, or their -PLUS variants.
#[derive(Debug)]
pub struct Scram {
    hash: ScramHash,
    flag: CbindFlag,
    /// The prepared password; SaltedPassword is derived from it on server-first.
    password: String,
    nonce: String,
    /// RFC 5802 §7: client-first-message-bare.
    client_first_bare: String,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    /// client-first was sent.
    ClientFirst,
    /// client-final was sent; server-final must carry this signature.
    ClientFinal {
        server_signature: Vec<u8>,
    },
    Done,
}

impl Scram {
    /// A SCRAM client; `client_nonce` are fresh random bytes (12 or more), sent base64
    /// encoded, and `flag` says whether and how channel binding is used (a
    /// [`CbindFlag::P`] makes this the -PLUS variant).
    ///
    /// # Errors
    /// [`SaslError::CredentialMismatch`] when the credentials are not a password,
    /// [`SaslError::InvalidNonce`] for an empty nonce.
    pub fn new(
        hash: ScramHash,
        credentials: &Credentials,
        client_nonce: &[u8],
        flag: CbindFlag,
    ) -> Result<Self, SaslError> {
        Self::with_printable_nonce(hash, credentials, &STANDARD.encode(client_nonce), flag)
    }

    /// As [`Scram::new`], with the nonce given as it goes on the wire (the test vectors of
    /// RFC 5802 and RFC 7677 use this form).
    ///
    /// # Errors
    /// As [`Scram::new`]; the nonce must be printable ASCII without commas (RFC 5802 §7:
    /// `c-nonce = printable`, `printable = %x21-2B / %x2D-7E`).
    pub fn with_printable_nonce(
        hash: ScramHash,
        credentials: &Credentials,
        nonce: &str,
        flag: CbindFlag,
    ) -> Result<Self, SaslError> {
        let plus = matches!(flag, CbindFlag::P(_));
        let (user, pass) = super::simple::password_parts(credentials, name(hash, plus))?;
        if nonce.is_empty() || !nonce.bytes().all(printable) {
            return Err(SaslError::InvalidNonce);
        }
        // RFC 5802 §7: client-first-message-bare = [reserved-mext ","] username "," nonce
        let client_first_bare = format!("n={},r={nonce}", saslname(&prepare(user)));
        Ok(Self {
            hash,
            flag,
            password: prepare(pass),
            nonce: nonce.to_string(),
            client_first_bare,
            state: State::Start,
        })
    }

    /// RFC 5802 §7: gs2-header = gs2-cbind-flag "," [ authzid ] ","; the authzid is empty.
    fn gs2_header(&self) -> &'static str {
        match self.flag {
            CbindFlag::N => "n,,",
            CbindFlag::Y => "y,,",
            // RFC 9266 §3: the channel binding type "tls-exporter".
            CbindFlag::P(ChannelBinding::TlsExporter(_)) => "p=tls-exporter,,",
        }
    }

    /// Handles server-first and builds client-final, keeping the expected server signature.
    fn client_final(&mut self, server_first: &[u8]) -> Result<Step, SaslError> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| SaslError::BadChallenge("server-first is not utf-8"))?;
        let first = ServerFirst::parse(server_first)?;
        // RFC 5802 §5.1: the client "MUST verify that the initial part of the nonce used in
        // subsequent messages is the same as the nonce it initially specified".
        let server_part = first
            .nonce
            .strip_prefix(self.nonce.as_str())
            .ok_or(SaslError::NonceMismatch)?;
        if server_part.len() < MIN_SERVER_NONCE {
            return Err(SaslError::BadChallenge("server nonce too short"));
        }
        if first.salt.len() < MIN_SALT {
            return Err(SaslError::BadChallenge("salt too short"));
        }
        let iterations = u32::try_from(first.iterations)
            .ok()
            .filter(|i| (MIN_ITERATIONS..=MAX_ITERATIONS).contains(i))
            .ok_or(SaslError::UnsafeIterations {
                count: first.iterations,
                min: MIN_ITERATIONS,
                max: MAX_ITERATIONS,
            })?;

        // RFC 5802 §7: channel-binding = "c=" base64 (gs2-header [cbind-data]).
        let mut binding = self.gs2_header().as_bytes().to_vec();
        if let CbindFlag::P(cb) = &self.flag {
            binding.extend_from_slice(cb.data());
        }
        let without_proof = format!("c={},r={}", STANDARD.encode(&binding), first.nonce);

        // RFC 5802 §3:
        //   SaltedPassword  := Hi(Normalize(password), salt, i)
        //   ClientKey       := HMAC(SaltedPassword, "Client Key")
        //   StoredKey       := H(ClientKey)
        //   AuthMessage     := client-first-message-bare + "," + server-first-message + ","
        //                      + client-final-message-without-proof
        //   ClientSignature := HMAC(StoredKey, AuthMessage)
        //   ClientProof     := ClientKey XOR ClientSignature
        //   ServerKey       := HMAC(SaltedPassword, "Server Key")
        //   ServerSignature := HMAC(ServerKey, AuthMessage)
        let h = self.hash;
        let salted = h.hi(self.password.as_bytes(), &first.salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        let server_signature = h.hmac(&server_key, auth_message.as_bytes());
        self.state = State::ClientFinal { server_signature };
        let client_final = format!("{without_proof},p={}", STANDARD.encode(proof));
        Ok(Step::Respond(client_final.into_bytes()))
    }
}

/// RFC 5802 §7: printable = %x21-2B / %x2D-7E ;; Printable ASCII except ",".
fn printable(b: u8) -> bool {
    matches!(b, 0x21..=0x2b | 0x2d..=0x7e)
}

fn name(hash: ScramHash, plus: bool) -> MechanismName {
    match (hash, plus) {
        (ScramHash::Sha1, false) => MechanismName::ScramSha1,
        (ScramHash::Sha1, true) => MechanismName::ScramSha1Plus,
        (ScramHash::Sha256, false) => MechanismName::ScramSha256,
        (ScramHash::Sha256, true) => MechanismName::ScramSha256Plus,
    }
}

impl Mechanism for Scram {
    fn name(&self) -> &'static str {
        name(self.hash, matches!(self.flag, CbindFlag::P(_))).as_str()
    }

    fn cleartext(&self) -> bool {
        false
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        match (&self.state, challenge) {
            (State::Start, None) => {
                self.state = State::ClientFirst;
                let first = format!("{}{}", self.gs2_header(), self.client_first_bare);
                Ok(Step::Respond(first.into_bytes()))
            }
            (State::ClientFirst, Some(server_first)) => {
                // Any failure ends the exchange: the state stays unusable.
                self.state = State::Done;
                self.client_final(server_first)
            }
            (State::ClientFinal { server_signature }, Some(server_final)) => {
                let verdict = verify_server_final(server_signature, server_final);
                self.state = State::Done;
                verdict?;
                // RFC 4954 §4: the server-final came in a 334; answer it with an empty line,
                // then the server sends 235.
                Ok(Step::Last(Vec::new()))
            }
            _ => Err(SaslError::UnexpectedChallenge(self.name())),
        }
    }
}

/// The fields of server-first-message that matter.
struct ServerFirst<'a> {
    nonce: &'a str,
    salt: Vec<u8>,
    iterations: u64,
}

impl<'a> ServerFirst<'a> {
    /// ```text
    /// server-first-message = [reserved-mext ","] nonce "," salt ","
    ///                        iteration-count ["," extensions]
    /// ```
    /// Attribute names are single letters and case-sensitive (RFC 5802 §5.1).
    fn parse(message: &'a str) -> Result<Self, SaslError> {
        let mut parts = message.split(',');
        let mut next = |attr: &str, what: &'static str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(attr))
                .ok_or(SaslError::BadChallenge(what))
        };
        if message.starts_with("m=") {
            // RFC 5802 §5.1: "m: This attribute is reserved for future extensibility. ... a
            // client ... MUST cause authentication failure when the attribute is parsed".
            return Err(SaslError::ExtensionsNotSupported);
        }
        let nonce = next("r=", "server-first lacks r=")?;
        if nonce.is_empty() || !nonce.bytes().all(printable) {
            return Err(SaslError::BadChallenge("server nonce is not printable"));
        }
        let salt = next("s=", "server-first lacks s=")?;
        let salt = STANDARD
            .decode(salt)
            .map_err(|_| SaslError::BadChallenge("salt is not base64"))?;
        let iterations = next("i=", "server-first lacks i=")?;
        // RFC 5802 §7: iteration-count = posit-number; posit-number = %x31-39 *DIGIT
        if !iterations.starts_with(|c: char| matches!(c, '1'..='9'))
            || !iterations.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(SaslError::BadChallenge("iteration count is not a number"));
        }
        let iterations = iterations.parse().unwrap_or(u64::MAX);
        // RFC 5802 §7: extensions = attr-val *("," attr-val); unknown ones are ignored.
        for extension in parts {
            let mut chars = extension.chars();
            if !(chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some('='))
            {
                return Err(SaslError::BadChallenge("malformed server-first extension"));
            }
        }
        Ok(Self {
            nonce,
            salt,
            iterations,
        })
    }
}

/// Checks server-final against the expected server signature.
///
/// ```text
/// server-final-message = (server-error / verifier) ["," extensions]
/// server-error = "e=" server-error-value
/// verifier     = "v=" base64
/// ```
fn verify_server_final(expected: &[u8], server_final: &[u8]) -> Result<(), SaslError> {
    let first = server_final
        .split(|&b| b == b',')
        .next()
        .unwrap_or_default();
    if let Some(error) = first.strip_prefix(b"e=") {
        // RFC 5802 §7: server-error-value, e.g. "invalid-proof"; shown printable and short.
        let shown: String = error
            .iter()
            .filter(|b| (0x20..0x7f).contains(*b))
            .take(64)
            .map(|&b| char::from(b))
            .collect();
        return Err(SaslError::ServerError(shown));
    }
    let verifier = first.strip_prefix(b"v=").ok_or(SaslError::BadChallenge(
        "server-final has neither v= nor e=",
    ))?;
    let signature = STANDARD
        .decode(verifier)
        .map_err(|_| SaslError::BadChallenge("server signature is not base64"))?;
    // RFC 5802 §3: "The client then authenticates the server by computing the
    // ServerSignature and comparing it to the value sent by the server."
    let differs = signature.len() != expected.len()
        || signature
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0;
    if differs {
        return Err(SaslError::BadServerSignature);
    }
    Ok(())
}

/// RFC 5802 §5.1: "The characters ',' or '=' in usernames are sent as '=2C' and '=3D'".
pub(super) fn saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// RFC 5802 §5.1 Normalize(): SASLprep (RFC 4013) with unassigned code points allowed as in
/// a query. A string SASLprep refuses is used as it is (mox does the same with PRECIS).
pub(super) fn prepare(s: &str) -> String {
    stringprep::saslprep(s).map_or_else(|_| s.to_string(), Cow::into_owned)
}

#[cfg(test)]
#[path = "scram_tests.rs"]
mod tests;
