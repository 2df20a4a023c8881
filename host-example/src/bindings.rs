//! The generated bindings of the `smtp-client` world, quarantined in one module.

#![allow(missing_docs, reason = "bindgen-generated code")]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "smtp-client",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "smtp:client/tcp.connection": crate::connector::TcpConnection,
        "smtp:client/spool.message": crate::spool_impl::SpoolMessage,
    },
});

pub use exports::smtp::client::{client, delivery};
pub use smtp::client::{log, resolver, spool, tcp, types};
