//! The generated bindings of the `smtp-client` world, quarantined in one module.

#![allow(missing_docs, reason = "bindgen-generated code")]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "smtp-client",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
        "smtp:client/tcp.connection": crate::tcp_impl::TcpConnection,
    },
});

pub use exports::smtp::client::client;
pub use smtp::client::{log, resolver, tcp, types};
