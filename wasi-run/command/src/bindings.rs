//! The generated bindings of the command's world (`smtp:wasi-run/command-component`): the
//! client's exports and the adapter's interface, all imported.

#![allow(missing_docs, reason = "wit-bindgen-generated code")]

wit_bindgen::generate!({
    path: ["../../wit", "../wit"],
    world: "smtp:wasi-run/command-component",
    generate_all,
});

pub use smtp::client::{client, delivery, resolver, spool, tcp, tls_report, types};
pub use smtp::wasi_run::adapter;
