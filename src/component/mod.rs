//! The only code that knows the WIT world: it binds the sans-IO core to the `tcp`,
//! `resolver` and `log` imports and implements the `client`, `delivery` and `tls-report`
//! exports.

mod convert;
mod deliver;
mod delivery;
mod mta_sts;
mod platform;
mod resolver;
mod session;
mod tls_report;

wit_bindgen::generate!({
    world: "smtp-client",
    path: "wit",
    generate_all,
});

/// The component: the type every export is implemented on.
struct Component;

export!(Component);
