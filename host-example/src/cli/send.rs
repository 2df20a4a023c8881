//! `host-example send`: submit one message to one server (msmtp-style).

use super::flags::{
    AuthArgs, CaArgs, ClientCertArgs, DnsArgs, EgressArgs, EhloArgs, MailArgs, OutputArgs,
    ServerTlsArgs, TimeoutArgs, split_server,
};
use super::output::{exit, fail, print_report};
use super::start_host;
use crate::egress::AddressPolicy;
use crate::send::{SendRequest, send};
use clap::Args;
use std::path::Path;
use std::sync::Arc;

/// `send` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The server, HOST or HOST:PORT (an IPv6 address in brackets: [::1]:587).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: String,
    #[command(flatten)]
    tls: ServerTlsArgs,
    #[command(flatten)]
    ca: CaArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    client_cert: ClientCertArgs,
    #[command(flatten)]
    ehlo: EhloArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// Turn bare CR and LF in the message into CRLF instead of refusing it.
    #[arg(long)]
    normalize: bool,
    #[command(flatten)]
    timeout: TimeoutArgs,
    #[command(flatten)]
    dns: DnsArgs,
    #[command(flatten)]
    egress: EgressArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `send` and returns its exit code.
pub async fn run(component: Option<&Path>, args: SendArgs) -> u8 {
    let (server, port) = match split_server("--server", &args.server, 587) {
        Ok(parts) => parts,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let message = match args.mail.spool_message() {
        Ok(message) => message,
        Err(code) => return code,
    };
    let extra_root_cas = match args.ca.roots() {
        Ok(roots) => roots,
        Err(code) => return code,
    };
    let dane_records = match args.tls.dane_records() {
        Ok(records) => records,
        Err(code) => return code,
    };
    let auth = match args.auth.credentials() {
        Ok(auth) => auth,
        Err(code) => return code,
    };
    let client_certificate = match args.client_cert.certificate() {
        Ok(cert) => cert,
        Err(code) => return code,
    };
    // The server is the user's choice: every address allowed.
    let policy = Arc::new(AddressPolicy::allow_all());
    let host = match start_host(component, &args.dns, &args.output, &args.egress, policy).await {
        Ok(host) => host,
        Err(code) => return code,
    };
    let request = SendRequest {
        server,
        port,
        tls_mode: args.tls.mode(port),
        verify_pkix: args.tls.verify_pkix(),
        ehlo: args.ehlo.name(),
        from: args.mail.from,
        to: args.mail.to,
        message,
        require_8bitmime: args.mail.eight_bit_mime,
        require_smtputf8: args.mail.smtputf8,
        require_tls: args.mail.requiretls,
        normalize_line_endings: args.normalize,
        timeout: args.timeout.duration(),
        extra_root_cas,
        dane_records,
        auth,
        client_certificate,
    };
    match host.deadline(send(&host, &request)).await {
        Ok(report) => print_report(&report, args.output.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}
