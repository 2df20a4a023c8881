//! The command line that every smtpclient host shares: `send` and `deliver`, their flags,
//! the requests they make, the report they print (one JSON object with `--json`), the exit
//! codes (sysexits) and `deliver`'s MTA-STS policy cache. `host-example` (wasmtime, native)
//! and the `wasi-run` command (a component under `wasmtime run`) both use it, so both take
//! the same flags and print the same JSON (DESIGN.md, "The command line").
//!
//! What differs between hosts is how the component is called: each host implements
//! [`send::SendPlatform`] and [`deliver::DeliverPlatform`] with its own bindings, and
//! expands [`contract_conversions!`] for the conversions between those bindings and the
//! types here.

pub mod deliver;
pub mod exit;
pub mod flags;
pub mod print;
pub mod report;
pub mod request;
pub mod send;
pub mod sts_cache;
mod wit;

/// For [`contract_conversions!`]'s expansion.
#[doc(hidden)]
pub use serde_json;
