//! `deliver`: direct delivery to the MX hosts of every recipient domain through the
//! component's `delivery.deliver` (one call and one instance per domain), with the MTA-STS
//! policy cache kept by the host (RFC 8461 §5.1: the component is stateless). The domain
//! by domain merge and the cache are the command line crate's
//! ([`command_line::deliver::deliver`], [`StsCache`]).

use crate::bindings::client::Envelope;
use crate::bindings::delivery::{DeliveryReport, DeliveryRequest, Outgoing};
use crate::convert::{deliver_envelope, delivery_request, domain_report};
use crate::host::{Host, HostError, Instance};
use crate::report::Report;
use crate::send::tlsrpt_json;
use crate::spool_impl::SpoolMessage;
use command_line::deliver::{DeliverPlatform, DomainReport};
use command_line::sts_cache::CachedPolicy;

pub use command_line::request::{Relay, TlsLevel};
pub use command_line::sts_cache::StsCache;

/// What to deliver, and how, with a spooled message.
pub type DeliverRequest = command_line::request::DeliverRequest<SpoolMessage>;

/// Delivers to every recipient domain in turn, one instance per domain, and merges the
/// reports: recipients in the order given, attempts and TLS-reporting results in order.
/// MTA-STS policies are read from and kept in `sts_cache` when given (never for a relay).
///
/// # Errors
/// [`HostError`] when the component cannot be instantiated or traps.
pub async fn deliver(
    host: &Host,
    request: &DeliverRequest,
    sts_cache: Option<&StsCache>,
) -> Result<Report, HostError> {
    command_line::deliver::deliver(&mut Delivery { host }, request, sts_cache).await
}

/// Deliveries on this host.
struct Delivery<'a> {
    host: &'a Host,
}

impl DeliverPlatform for Delivery<'_> {
    type Message = SpoolMessage;
    type Error = HostError;

    async fn deliver_domain(
        &mut self,
        request: &DeliverRequest,
        domain: &str,
        to: &[String],
        cached: Option<CachedPolicy>,
    ) -> Result<DomainReport, HostError> {
        let mut instance = self.host.instantiate().await?;
        let delivery =
            delivery_request(request, domain, cached, &self.host.config().local_addresses);
        let envelope = deliver_envelope(request, to);
        let report = self
            .host
            .deadline(deliver_domain(
                &mut instance,
                &delivery,
                vec![(envelope, request.message.clone())],
            ))
            .await?;
        let mut tlsrpt = Vec::new();
        for results in &report.tls_results {
            tlsrpt.extend(tlsrpt_json(&mut instance, results).await?);
        }
        Ok(domain_report(&report, tlsrpt))
    }
}

/// One `delivery.deliver` call on `instance`: the messages go into the instance's table as
/// `spool.message` resources the component may read as often as it needs.
///
/// # Errors
/// [`HostError`] when the component traps.
pub async fn deliver_domain(
    instance: &mut Instance,
    request: &DeliveryRequest,
    messages: Vec<(Envelope, SpoolMessage)>,
) -> Result<DeliveryReport, HostError> {
    let mut outgoing = Vec::with_capacity(messages.len());
    for (envelope, message) in messages {
        let message = instance.push(message)?;
        outgoing.push(Outgoing {
            envelope,
            message,
            dmarc_report: false,
        });
    }
    instance
        .bindings
        .smtp_client_delivery()
        .call_deliver(&mut instance.store, request, &outgoing)
        .await
        .map_err(HostError::from_guest)
}
