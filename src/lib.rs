//! An SMTP client for submission and for delivery to MX hosts, as a sans-IO core and a
//! WebAssembly component (`wasm32-wasip2`).
//!
//! The core (`smtp`, `sasl`, `tls`, `dns`, `mtasts`, `tlsrpt`, `delivery`, `error`) performs
//! no I/O and reads no clock: its state machines take received bytes and the current time,
//! and return bytes to send, deadlines and events. `io` is the boundary: the platform's
//! clock, connections, messages and log as traits, and the loops that drive the state
//! machines over them (the session driver, dialing); a whole delivery attempt
//! (`delivery::deliver`) runs over those traits and `dns::Resolver`, natively in tests on
//! virtual time. The module `component` (only on `wasm32`) implements the traits over the
//! WIT imports and converts between the core's types and the WIT world in `wit/`.
//!
//! | RFC | topic | status | module |
//! |---|---|---|---|
//! | 5321 | SMTP | yes: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, QUIT | `smtp` |
//! | 2920 | PIPELINING | yes | `smtp::session` |
//! | 1870 | SIZE | yes | `smtp::extensions`, `smtp::command` |
//! | 6152 | 8BITMIME | yes | `smtp::command` |
//! | 6531 | SMTPUTF8 | yes | `smtp::command`, `smtp::address` |
//! | 8689 | REQUIRETLS | MAIL parameter | `smtp::command` |
//! | 9422 | LIMITS | parsed | `smtp::extensions` |
//! | 3463, 2034 | enhanced status codes | yes | `smtp::reply` |
//! | 8460 | TLS reporting | result types and JSON | `tlsrpt` |
//! | 3207, 8314 | STARTTLS, implicit TLS | yes | `smtp::session`, `tls` |
//! | 8446, 8996 | TLS 1.3, 1.2 minimum (rustls, `rustls-rustcrypto`) | yes | `tls` |
//! | 5280, 6125 | PKIX, host names (webpki) | yes | `tls::pkix` |
//! | 9266 | tls-exporter channel binding | TLS 1.3 | `tls` |
//! | 4954 | AUTH | issue 3 | |
//! | 7672, 7671, 6698 | DANE (DANE-TA, DANE-EE) | yes | `tls::dane` |
//! | 8461 | MTA-STS: TXT record, policy, HTTPS fetch, MX matching, cache decision | yes | `mtasts` |

pub mod delivery;
pub mod dns;
pub mod error;
pub mod event;
pub mod io;
pub mod mtasts;
pub mod sasl;
pub mod smtp;
pub mod tls;
pub mod tlsrpt;

#[cfg(target_arch = "wasm32")]
mod component;
