//! DNS-side delivery planning. So far: the names a DANE certificate may carry
//! (RFC 7672 §3.2.2); destination, address and TLSA gathering come with issue 5.

pub mod tlsa_names;
