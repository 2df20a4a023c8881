//! `deliver` through the composed components: one `delivery.deliver` call per recipient
//! domain ([`command_line::deliver::deliver`] merges them and keeps the MTA-STS policy cache
//! of `--sts-cache`, as in host-example).

use crate::bindings::delivery::{self, Outgoing};
use crate::convert::{deliver_envelope, delivery_request, domain_report};
use crate::message::SharedMessage;
use crate::send::{Composed, tlsrpt_json};
use command_line::deliver::{DeliverPlatform, DomainReport};
use command_line::request::DeliverRequest;
use command_line::sts_cache::CachedPolicy;
use std::convert::Infallible;

impl DeliverPlatform for Composed {
    type Message = SharedMessage;
    type Error = Infallible;

    async fn deliver_domain(
        &mut self,
        request: &DeliverRequest<SharedMessage>,
        domain: &str,
        to: &[String],
        cached: Option<CachedPolicy>,
    ) -> Result<DomainReport, Infallible> {
        let outgoing = Outgoing {
            envelope: deliver_envelope(request, to),
            message: request.message.clone().0,
            dmarc_report: false,
        };
        let report = delivery::deliver(
            &delivery_request(request, domain, cached, &[]),
            vec![outgoing],
        );
        let tlsrpt = report.tls_results.iter().flat_map(tlsrpt_json).collect();
        Ok(domain_report(&report, tlsrpt))
    }
}
