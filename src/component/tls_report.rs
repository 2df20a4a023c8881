//! The `tls-report` export: RFC 8460 JSON of recorded results.

use super::Component;
use super::exports::smtp::client::tls_report::{Guest, TlsResults};

impl Guest for Component {
    fn to_json(results: TlsResults) -> Vec<String> {
        [results.recipient_domain, results.host]
            .into_iter()
            .map(|result| crate::tlsrpt::PolicyResult::from(result).to_json())
            .collect()
    }
}
