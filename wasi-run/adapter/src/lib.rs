//! The smtpclient component's imports over WASI 0.2, as a component of its own: composed
//! with the client and a command, it makes one file that `wasmtime run` (or any runtime that
//! grants components `wasi:sockets`) runs.
//!
//! It exports (`wasi-run/wit/wasi-run.wit`, world `adapter-component`):
//! - `tcp` over `wasi:sockets` TCP, every wait bounded with pollables and the monotonic
//!   clock, behind the [`egress`] policy;
//! - `resolver`, a DNS [`stub`] over `wasi:sockets` UDP (TCP when truncated) to one
//!   nameserver ([`settings`]);
//! - `log` to stderr by verbosity ([`log`]);
//! - `spool.message` from files and standard input ([`spool`]);
//! - `adapter`: `configure`, `open-file`, `read-stdin`.
//!
//! The decisions are plain modules, tested natively; the WASI calls and the WIT glue are
//! compiled for wasm32 only.

pub mod egress;
pub mod log;
pub mod settings;
pub mod spool;
pub mod stub;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod deadline;
#[cfg(target_arch = "wasm32")]
mod dns_transport;
#[cfg(target_arch = "wasm32")]
mod tcp;
