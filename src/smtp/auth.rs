//! The AUTH command exchange ([RFC 4954](https://www.rfc-editor.org/rfc/rfc4954)), sans-IO:
//! the session sends what [`AuthExchange`] returns and hands it every reply until the
//! exchange is done or failed.
//!
//! ```text
//! C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
//! S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
//! C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
//! S: 334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
//! C:
//! S: 235 2.7.0 Authentication successful
//! ```
//!
//! Changes from the reference client (mox): an unexpected 334 after the client's last
//! message is answered with "*" (cancel) instead of being left unanswered; the number of 334
//! round trips is capped at [`MAX_ROUND_TRIPS`]; LOGIN sends no initial response. As in the
//! reference, the enhanced status code of the final reply is parsed even when the server did
//! not announce ENHANCEDSTATUSCODES, and success data is only accepted in a 334 (RFC 4954 §4
//! has no "additional data with success" in 235): a 235 that arrives before the mechanism
//! finished, e.g. before the SCRAM server signature was checked, fails.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::sasl::{Mechanism, SaslError, Step};
use crate::smtp::command::Command;
use crate::smtp::reply::{EnhancedCode, Reply, ReplyCode};

/// The most 334 continuations accepted in one exchange; SCRAM needs two.
pub const MAX_ROUND_TRIPS: u32 = 10;

/// The longest AUTH command line, CRLF included (RFC 4954 §4: 12288 octets). A longer initial
/// response (a large OAuth token, say) goes after an empty 334 instead.
pub const MAX_AUTH_LINE: usize = 12288;

/// What the transcript shows instead of secret data.
const REDACTED: &str = "<redacted>";

/// A line to send, with what a transcript may show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLine {
    /// The bytes to write, CRLF included.
    pub bytes: Vec<u8>,
    /// True when the line carries mechanism data (a password, a token, a proof): it must
    /// not be logged. Every non-empty mechanism response counts as secret.
    pub secret: bool,
    /// The line for a transcript, without CRLF, with secret data replaced by "<redacted>",
    /// e.g. "AUTH PLAIN <redacted>".
    pub shown: String,
}

/// What to do after a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Write this line and hand the next reply to [`AuthExchange::handle_reply`].
    Send(AuthLine),
    /// 235: authenticated. The session goes on (RFC 4954 §4: no new EHLO is needed).
    Done,
    /// Authentication failed; [`AuthExchange::is_botched`] says whether the connection is
    /// still in sync (QUIT) or not (close it).
    Failed(Error),
}

#[derive(Debug)]
enum State {
    /// A reply to our last line is awaited.
    Awaiting,
    /// "*" was sent after a client-side error; the server's 501 is awaited.
    Cancelling(SaslError),
    Finished,
}

/// One AUTH exchange.
pub struct AuthExchange {
    mechanism: Box<dyn Mechanism>,
    /// The mechanism sent its last message: the verdict comes next (once `deferred` is sent).
    last: bool,
    /// An initial response too long for the AUTH line, sent after the first 334.
    deferred: Option<Vec<u8>>,
    round_trips: u32,
    state: State,
    botched: bool,
}

impl std::fmt::Debug for AuthExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthExchange")
            .field("mechanism", &self.mechanism.name())
            .field("last", &self.last)
            .field("round_trips", &self.round_trips)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl AuthExchange {
    /// Starts the exchange: the AUTH command, with the mechanism's initial response if it has
    /// one (RFC 4954 §4: "AUTH mechanism [initial-response]", "=" for an empty one).
    ///
    /// # Errors
    /// [`Error::Auth`] when the mechanism fails before anything is sent.
    pub fn start(mut mechanism: Box<dyn Mechanism>) -> Result<(Self, AuthLine), Error> {
        let name = mechanism.name();
        let (mut initial, last) = match mechanism.step(None).map_err(Error::from)? {
            Step::NoInitialResponse => (None, false),
            Step::Respond(data) => (Some(data), false),
            Step::Last(data) => (Some(data), true),
        };
        let mut bytes = Vec::new();
        Command::Auth {
            mechanism: name,
            initial_response: initial.as_deref(),
        }
        .encode(&mut bytes);
        let mut deferred = None;
        if bytes.len() > MAX_AUTH_LINE {
            // RFC 4954 §4: "If use of the initial response argument would cause the AUTH
            // command to exceed this length, the client MUST NOT use the initial response
            // parameter (and instead MUST proceed as defined in Section 5.1 of [SASL])": the
            // response follows the server's empty challenge.
            bytes.clear();
            Command::Auth {
                mechanism: name,
                initial_response: None,
            }
            .encode(&mut bytes);
            deferred = initial.take();
        }
        let (secret, shown) = match &initial {
            None => (false, format!("AUTH {name}")),
            Some(data) if data.is_empty() => (false, format!("AUTH {name} =")),
            Some(_) => (true, format!("AUTH {name} {REDACTED}")),
        };
        let exchange = Self {
            mechanism,
            last,
            deferred,
            round_trips: 0,
            state: State::Awaiting,
            botched: false,
        };
        Ok((
            exchange,
            AuthLine {
                bytes,
                secret,
                shown,
            },
        ))
    }

    /// The mechanism's name.
    #[must_use]
    pub fn mechanism(&self) -> &'static str {
        self.mechanism.name()
    }

    /// Whether the mechanism sends the secret itself (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER).
    #[must_use]
    pub fn is_cleartext(&self) -> bool {
        self.mechanism.cleartext()
    }

    /// True after a failure that left the connection out of sync: the server did not answer
    /// our "*" with 501 (RFC 4954 §4), as mox judges it.
    #[must_use]
    pub fn is_botched(&self) -> bool {
        self.botched
    }

    /// Handles the reply to the last line sent.
    ///
    /// 334 continues (its text is strict base64, RFC 4954 §4), 235 ends successfully, a 4xx
    /// or 5xx ends with [`SaslError::Rejected`] carrying the reply. A client-side problem
    /// (bad challenge, wrong server signature, too many round trips) sends "*" first and
    /// fails on the reply to it.
    pub fn handle_reply(&mut self, reply: &Reply) -> AuthStep {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Finished => AuthStep::Failed(Error::internal("auth exchange already finished")),
            State::Cancelling(error) => {
                // RFC 4954 §4: "If the client wishes to cancel an authentication exchange, it
                // issues a line with a single "*". If the server receives such a response, it
                // MUST reject the AUTH command by sending a 501 reply."
                self.botched = reply.code != ReplyCode::SYNTAX_ERROR_PARAMS;
                AuthStep::Failed(Error::Auth {
                    error,
                    reply: Some(final_reply(reply)),
                })
            }
            State::Awaiting => self.continue_with(reply),
        }
    }

    fn continue_with(&mut self, reply: &Reply) -> AuthStep {
        match reply.code.0 {
            // RFC 4954 §4: "235 2.7.0 Authentication Succeeded".
            235 if self.last && self.deferred.is_none() => AuthStep::Done,
            235 => fail(SaslError::EarlySuccess, reply),
            // RFC 4954 §4: "334 SP [base64]" continuation.
            334 => {
                self.round_trips += 1;
                if self.round_trips > MAX_ROUND_TRIPS {
                    return self.cancel(SaslError::TooManyRoundTrips {
                        max: MAX_ROUND_TRIPS,
                    });
                }
                if reply.lines.len() != 1 {
                    return self.cancel(SaslError::MultilineChallenge);
                }
                if let Some(data) = self.deferred.take() {
                    // RFC 4422 §5.1: the server's challenge here is empty; the initial
                    // response is the answer.
                    self.state = State::Awaiting;
                    return AuthStep::Send(response_line(&data));
                }
                let text = reply.texts().next().unwrap_or_default();
                let Ok(challenge) = STANDARD.decode(text) else {
                    // RFC 4954 §4: a challenge that is not base64 cannot be answered; the
                    // client cancels the exchange.
                    return self.cancel(SaslError::MalformedBase64);
                };
                let data = match self.mechanism.step(Some(&challenge)) {
                    Err(error) => return self.cancel(error),
                    Ok(Step::NoInitialResponse) => Vec::new(),
                    Ok(Step::Respond(data)) => data,
                    Ok(Step::Last(data)) => {
                        self.last = true;
                        data
                    }
                };
                self.state = State::Awaiting;
                AuthStep::Send(response_line(&data))
            }
            400..=599 => fail(SaslError::Rejected, reply),
            _ => fail(SaslError::UnexpectedReply, reply),
        }
    }

    /// Sends "*" (RFC 4954 §4) and remembers why.
    fn cancel(&mut self, error: SaslError) -> AuthStep {
        self.state = State::Cancelling(error);
        AuthStep::Send(AuthLine {
            bytes: b"*\r\n".to_vec(),
            secret: false,
            shown: "*".to_string(),
        })
    }
}

/// A mechanism response as a line of base64 (RFC 4954 §4), redacted unless empty.
fn response_line(data: &[u8]) -> AuthLine {
    let mut bytes = STANDARD.encode(data).into_bytes();
    bytes.extend_from_slice(b"\r\n");
    AuthLine {
        bytes,
        secret: !data.is_empty(),
        shown: if data.is_empty() { "" } else { REDACTED }.to_string(),
    }
}

fn fail(error: SaslError, reply: &Reply) -> AuthStep {
    AuthStep::Failed(Error::Auth {
        error,
        reply: Some(final_reply(reply)),
    })
}

/// The final reply with its enhanced status code parsed even without ENHANCEDSTATUSCODES
/// (as mox does; RFC 4954 §6 lists enhanced codes for every AUTH outcome).
fn final_reply(reply: &Reply) -> Reply {
    let mut reply = reply.clone();
    if reply.enhanced.is_none() {
        reply.enhanced = reply
            .texts()
            .last()
            .and_then(|text| EnhancedCode::parse(reply.code, text));
    }
    reply
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
