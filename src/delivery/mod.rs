//! One delivery attempt to a next-hop domain ([`deliver`]): the TLS level of each MX host
//! from DANE, MTA-STS and the caller's level ([`plan`]), the fate of every recipient across
//! transactions and hosts ([`Ledger`]), and the attempt itself over the platform's
//! resolver, network and clock.

mod attempt;
pub mod batches;
mod ledger;
mod level;
mod plan;
mod relay;
mod request;
#[cfg(test)]
mod scenario_tests;

pub use attempt::{deliver, refuse};
pub use ledger::{Ledger, Recipient, Status};
pub use level::TlsLevel;
pub use plan::{Dane, HostInput, HostPlan, Sts, plan};
pub use relay::Relay;
pub use request::{
    Attempt, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MX_ADDRESS_LIMIT, DEFAULT_MX_SESSION_LIMIT, Outgoing,
    PemCertificate, Report, Request,
};
pub use smtpclient_dial_policy::refusal;
