//! Conversions between the command line's types and the contract's: the command line
//! crate's, shared with host-example (`contract_conversions!`).

command_line::contract_conversions! {
    types = crate::bindings::types,
    client = crate::bindings::client,
    delivery = crate::bindings::delivery,
    tcp = crate::bindings::tcp,
}
