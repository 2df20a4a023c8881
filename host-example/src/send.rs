//! `send`: submit one message to one server through the component's `client` interface.
//! The attempt over the server's addresses is the command line crate's
//! ([`command_line::send::send`]); this host resolves with its own DNS, dials with its own
//! connector and runs the session in an instance.

use crate::bindings::exports::smtp::client::tls_report::TlsResults;
use crate::connector::TcpConnection;
use crate::convert::{
    error_report, event_report, failure_report, open_options, send_envelope, success_report,
    tls_report,
};
use crate::dns::{DnsBackend, IpFamily, LookupError};
use crate::host::{Host, HostError, Instance};
use crate::report::{ErrorReport, Report, TlsReport, tlsrpt_values};
use crate::session::{close, extensions, tls_state};
use crate::spool_impl::SpoolMessage;
use command_line::send::SendPlatform;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use wasmtime::component::{Resource, ResourceAny};

pub use command_line::request::{ClientCert, SaslMechanism, SendAuth, TlsMode, Tlsa};

/// One submission of a spooled message.
pub type SendRequest = command_line::request::SendRequest<SpoolMessage>;

/// Submit the message and report what happened to each recipient.
///
/// Network and SMTP failures are part of the report; only host failures (a trap, a broken
/// component) are errors.
///
/// # Errors
/// [`HostError`] when the component cannot be instantiated or traps.
pub async fn send(host: &Host, request: &SendRequest) -> Result<Report, HostError> {
    let instance = host.instantiate().await?;
    command_line::send::send(&mut Submission { host, instance }, request).await
}

/// One submission's instance on this host.
struct Submission<'a> {
    host: &'a Host,
    instance: Instance,
}

impl SendPlatform for Submission<'_> {
    type Message = SpoolMessage;
    type Connection = TcpConnection;
    type Error = HostError;

    async fn lookup_ip(&mut self, server: &str) -> Result<Vec<IpAddr>, ErrorReport> {
        let resolver: &dyn DnsBackend = self.host.config().resolver.as_ref();
        resolver
            .lookup_ip(server, IpFamily::Any)
            .await
            .map(|answer| answer.records)
            .map_err(|error| {
                let permanent = !matches!(error, LookupError::Temporary { .. });
                ErrorReport::of("dns", permanent, format!("looking up {server}: {error}"))
            })
    }

    async fn dial(
        &mut self,
        remote: SocketAddr,
        timeout: Duration,
    ) -> Result<TcpConnection, String> {
        self.host
            .dial(remote, timeout)
            .await
            .map_err(|error| error.to_string())
    }

    async fn submit(
        &mut self,
        connection: TcpConnection,
        request: &SendRequest,
    ) -> Result<Report, HostError> {
        let connection = self.instance.push(connection)?;
        submit(&mut self.instance, request, connection).await
    }
}

/// Open the session on `conn`, deliver, close, and report.
async fn submit(
    instance: &mut Instance,
    request: &SendRequest,
    conn: Resource<TcpConnection>,
) -> Result<Report, HostError> {
    let trap = HostError::from_guest;
    let client = instance.bindings.smtp_client_client();
    let opened = client
        .call_open_session(&mut instance.store, conn, &open_options(request))
        .await
        .map_err(trap)?;
    let session = match opened {
        Ok(session) => session,
        Err(failure) => {
            let mut report = Report::failed(&request.to, error_report(&failure.error));
            report.tlsrpt = tlsrpt_json(instance, &failure.tls_results).await?;
            report.events = failure.events.iter().map(event_report).collect();
            return Ok(report.at_server(&request.server, request.port, Vec::new()));
        }
    };
    let (tls, tlsrpt) = tls_details(instance, session).await?;
    let extensions = extensions(instance, session).await?;
    let message = instance.push(request.message.clone())?;
    let client = instance.bindings.smtp_client_client();
    let delivered = client
        .session()
        .call_deliver(
            &mut instance.store,
            session,
            &send_envelope(request),
            message,
        )
        .await
        .map_err(trap)?;
    let events = close(instance, session).await?;
    let mut report = match delivered {
        Ok(success) => success_report(&success),
        Err(failure) => failure_report(&request.to, &failure),
    };
    report.tls = tls;
    report.tlsrpt = tlsrpt;
    report.events = events.iter().map(event_report).collect();
    Ok(report.at_server(&request.server, request.port, extensions))
}

/// The TLS state and the TLS-reporting results of an open session.
async fn tls_details(
    instance: &mut Instance,
    session: ResourceAny,
) -> Result<(Option<TlsReport>, Vec<serde_json::Value>), HostError> {
    let tls = tls_state(instance, session).await?.as_ref().map(tls_report);
    let client = instance.bindings.smtp_client_client();
    let results = client
        .session()
        .call_tls_results(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?;
    Ok((tls, tlsrpt_json(instance, &results).await?))
}

/// The RFC 8460 JSON objects of `results`, from the component's `tls-report` export.
pub async fn tlsrpt_json(
    instance: &mut Instance,
    results: &TlsResults,
) -> Result<Vec<serde_json::Value>, HostError> {
    let trap = HostError::from_guest;
    let objects = instance
        .bindings
        .smtp_client_tls_report()
        .call_to_json(&mut instance.store, results)
        .await
        .map_err(trap)?;
    Ok(tlsrpt_values(&objects))
}
