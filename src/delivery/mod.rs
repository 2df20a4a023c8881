//! One delivery attempt to a next-hop domain, the planning half (sans-IO): the TLS level of
//! each MX host from DANE, MTA-STS and the caller's level ([`plan`]), and the fate of every
//! recipient across transactions and hosts ([`Ledger`]). The component's `delivery.deliver`
//! does the I/O around them (src/component/deliver.rs), in the order of spec §11.

mod ledger;
mod level;
mod plan;

pub use ledger::{Ledger, Recipient, Status};
pub use level::TlsLevel;
pub use plan::{Dane, HostInput, HostPlan, Sts, plan};
