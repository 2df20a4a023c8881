//! `send` through the composed components: the server looked up with the adapter's
//! `resolver`, dialed with its `tcp`, and the session run by the client
//! ([`command_line::send::send`] does the rest, as in host-example).

use crate::bindings::client::{self, Session};
use crate::bindings::resolver::{self, IpFamily, LookupError};
use crate::bindings::tcp::{self, Connection, TcpError};
use crate::bindings::tls_report::{self, TlsResults};
use crate::convert::{
    error_report, event_report, failure_report, ip_addr, millis, open_options, send_envelope,
    socket_address, success_report, tls_report,
};
use crate::message::SharedMessage;
use command_line::report::{ErrorReport, Report, tlsrpt_values};
use command_line::request::SendRequest;
use command_line::send::SendPlatform;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Submissions through the composed components; a trap ends the whole program, so there is
/// no error of the host's own.
pub struct Composed;

impl SendPlatform for Composed {
    type Message = SharedMessage;
    type Connection = Connection;
    type Error = Infallible;

    async fn lookup_ip(&mut self, server: &str) -> Result<Vec<IpAddr>, ErrorReport> {
        // The resolver takes absolute names with the trailing dot.
        let name = format!("{}.", server.trim_end_matches('.'));
        match resolver::lookup_ip(&name, IpFamily::Any) {
            Ok(answer) => Ok(answer.addresses.into_iter().map(ip_addr).collect()),
            Err(error) => {
                let (permanent, why) = match error {
                    LookupError::NotFound(_) => (true, "no such name or no address".to_string()),
                    LookupError::Temporary(failure) => (false, failure.message),
                    LookupError::Permanent(why) => (true, why),
                };
                Err(ErrorReport::of(
                    "dns",
                    permanent,
                    format!("looking up {server}: {why}"),
                ))
            }
        }
    }

    async fn dial(&mut self, remote: SocketAddr, timeout: Duration) -> Result<Connection, String> {
        tcp::connect(socket_address(remote), None, millis(timeout)).map_err(|e| tcp_error_text(&e))
    }

    async fn submit(
        &mut self,
        connection: Connection,
        request: &SendRequest<SharedMessage>,
    ) -> Result<Report, Infallible> {
        Ok(submit(connection, request))
    }
}

/// Open the session on `connection`, deliver, close, and report.
fn submit(connection: Connection, request: &SendRequest<SharedMessage>) -> Report {
    let session = match client::open_session(connection, &open_options(request)) {
        Ok(session) => session,
        Err(failure) => {
            let mut report = Report::failed(&request.to, error_report(&failure.error));
            report.tlsrpt = tlsrpt_json(&failure.tls_results);
            report.events = failure.events.iter().map(event_report).collect();
            return report.at_server(&request.server, request.port, Vec::new());
        }
    };
    let tls = session.tls_state().as_ref().map(tls_report);
    let tlsrpt = tlsrpt_json(&session.tls_results());
    let extensions = session.extensions().lines;
    let delivered = session.deliver(&send_envelope(request), &request.message.0);
    let events = close(session);
    let mut report = match delivered {
        Ok(success) => success_report(&success),
        Err(failure) => failure_report(&request.to, &failure),
    };
    report.tls = tls;
    report.tlsrpt = tlsrpt;
    report.events = events.iter().map(event_report).collect();
    report.at_server(&request.server, request.port, extensions)
}

/// QUIT (a failing QUIT does not change the outcome) and what the session observed.
fn close(session: Session) -> Vec<crate::bindings::types::Event> {
    let _quit = session.close();
    session.take_events()
}

/// The RFC 8460 JSON objects of `results`, from the client's `tls-report` export.
pub fn tlsrpt_json(results: &TlsResults) -> Vec<command_line::serde_json::Value> {
    tlsrpt_values(&tls_report::to_json(results))
}

/// A `tcp-error` for the report.
fn tcp_error_text(error: &TcpError) -> String {
    match error {
        TcpError::Refused => "connection refused".into(),
        TcpError::Unreachable => "no route to host".into(),
        TcpError::Timeout => "timed out".into(),
        TcpError::Reset => "connection reset".into(),
        TcpError::Denied(why) => format!("denied by the adapter's egress policy: {why}"),
        TcpError::Closed => "connection closed".into(),
        TcpError::Other(why) => why.clone(),
    }
}
