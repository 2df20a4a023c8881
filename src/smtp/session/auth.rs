//! AUTH in the session (RFC 4954): after EHLO, and after STARTTLS and the second EHLO when
//! TLS is used, the session authenticates when the configuration has credentials. The
//! mechanism is chosen with [`crate::sasl::choose`] from what the server announced; the
//! exchange itself is [`AuthExchange`]. Each reply has the EHLO deadline.

use super::{Event, Expect, Op, Session};
use crate::error::Error;
use crate::sasl::{ChannelBinding, MechanismInputs, choose, offers_plus};
use crate::smtp::auth::{AuthExchange, AuthStep};
use crate::smtp::reply::Reply;

impl Session {
    /// The SASL mechanism the session authenticated with, once AUTH succeeded (235).
    #[must_use]
    pub fn authenticated(&self) -> Option<&'static str> {
        self.authenticated
    }

    /// Opening reached the point of AUTH: starts the exchange, or fails the open when no
    /// mechanism fits (not botched: QUIT may still be sent).
    pub(super) fn start_auth(&mut self) {
        let Some(auth) = &self.config.auth else {
            return;
        };
        let offered = self
            .extensions
            .as_ref()
            .map(|e| e.auth.clone())
            .unwrap_or_default();
        let tls_active = self.transport.is_tls();
        let channel_binding = self
            .transport
            .channel_binding()
            .map(ChannelBinding::TlsExporter);
        let started = choose(
            &offered,
            &auth.mechanisms,
            auth.credentials.kind(),
            tls_active,
            channel_binding.is_some(),
            auth.allow_cleartext_without_tls,
        )
        .and_then(|name| {
            let inputs = MechanismInputs {
                client_nonce: auth.client_nonce.clone(),
                channel_binding,
                server_offers_plus: offers_plus(&offered),
                host: Some(self.config.tls.remote_hostname.clone()).filter(|h| !h.is_empty()),
                port: None,
            };
            name.build(&auth.credentials, &inputs)
        })
        .map_err(Error::from)
        .and_then(AuthExchange::start);
        match started {
            Ok((exchange, line)) => {
                // RFC 4954 §4: "AUTH mechanism [initial-response]".
                self.transport.send_line(&line.bytes);
                self.expect.push_back(Expect::Auth);
                self.auth = Some(exchange);
            }
            Err(error) => self.auth_failed(error, false),
        }
    }

    /// A reply during the AUTH exchange: 334 continues, 235 ends it (RFC 4954 §4).
    pub(super) fn auth_reply(&mut self, reply: &Reply) {
        let Some(exchange) = &mut self.auth else {
            self.botch(Error::internal("auth reply without an exchange"));
            return;
        };
        match exchange.handle_reply(reply) {
            AuthStep::Send(line) => {
                self.transport.send_line(&line.bytes);
                self.expect.push_back(Expect::Auth);
            }
            AuthStep::Done => {
                self.authenticated = Some(exchange.mechanism());
                self.auth = None;
                self.open_done();
            }
            AuthStep::Failed(error) => {
                let botched = exchange.is_botched();
                self.auth = None;
                self.auth_failed(error, botched);
            }
        }
    }

    /// The open fails with an AUTH error; the connection is given up only when the exchange
    /// left it out of sync (RFC 4954 §4: "*" not answered with 501).
    fn auth_failed(&mut self, error: Error, botched: bool) {
        if botched {
            self.botch(error);
        } else {
            self.op = Op::Idle;
            self.events.push_back(Event::OpenFailed(error));
        }
    }
}
