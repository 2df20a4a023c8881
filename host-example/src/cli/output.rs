//! What the command line prints and the exit code it returns: the report of `send` and
//! `deliver` and that of `probe`, as one JSON object (`--json`) or as lines for a terminal.

use crate::probe::ProbeReport;
use crate::report::{Report, Status};
use serde::Serialize;

/// sysexits(3) codes used by the command line.
pub mod exit {
    /// Every recipient accepted.
    pub const OK: u8 = 0;
    /// Bad usage: an unknown flag, a missing argument.
    pub const USAGE: u8 = 64;
    /// The message was refused as data (e.g. a bare LF with strict line endings).
    pub const DATAERR: u8 = 65;
    /// The message file does not exist or cannot be read.
    pub const NOINPUT: u8 = 66;
    /// A recipient failed permanently.
    pub const UNAVAILABLE: u8 = 69;
    /// An internal error, e.g. a guest trap or an invalid component.
    pub const SOFTWARE: u8 = 70;
    /// A temporary failure of the attempt or of a recipient.
    pub const TEMPFAIL: u8 = 75;
}

/// Print one line to stderr and return `code`.
pub fn fail(code: u8, message: &str) -> u8 {
    eprintln!("host-example: {message}");
    code
}

/// Print the report of `send` or `deliver` (JSON or text) and return its exit code.
pub fn print_report(report: &Report, json: bool) -> u8 {
    print(report, json, report_text).map_or_else(|code| code, |()| report_exit_code(report))
}

/// Print the report of `probe` (JSON or text) and return its exit code.
pub fn print_probe(report: &ProbeReport, json: bool) -> u8 {
    print(report, json, probe_text).map_or_else(|code| code, |()| probe_exit_code(report))
}

/// `value` as pretty JSON, or as `text` makes it; a report that cannot be serialized exits 70.
fn print<T: Serialize>(value: &T, json: bool, text: fn(&T) -> String) -> Result<(), u8> {
    if !json {
        print!("{}", text(value));
        return Ok(());
    }
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            Ok(())
        }
        Err(error) => Err(fail(
            exit::SOFTWARE,
            &format!("cannot print the report: {error}"),
        )),
    }
}

/// 0 all delivered; 75 if anything failed temporarily; else 69 for a permanent failure; 65
/// when the message data itself was refused.
fn report_exit_code(report: &Report) -> u8 {
    if report.error.as_ref().is_some_and(|e| e.kind == "message") {
        return exit::DATAERR;
    }
    if report.status == Status::Delivered {
        return exit::OK;
    }
    let temporary = report
        .recipients
        .iter()
        .any(|r| r.status == Status::Temporary)
        || (report.recipients.is_empty() && report.status == Status::Temporary);
    if temporary {
        exit::TEMPFAIL
    } else {
        exit::UNAVAILABLE
    }
}

/// A few human-readable lines for the terminal: per recipient its status and the server's
/// reply exactly as sent, a multi-line reply's further lines indented below.
fn report_text(report: &Report) -> String {
    let mut text = String::new();
    for r in &report.recipients {
        let mut lines = r.lines.iter();
        let first = match (lines.next(), r.code) {
            (Some(line), _) => format!(": {line}"),
            (None, Some(code)) => format!(": {code}"),
            (None, None) => String::new(),
        };
        text.push_str(&format!("{} {}{first}\n", status_word(r.status), r.address));
        for line in lines {
            text.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(error) = &report.error {
        text.push_str(&format!("error: {}\n", error.message));
    }
    text
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Delivered => "delivered to",
        Status::Partial => "partially delivered to",
        Status::Temporary => "temporary failure for",
        Status::Permanent => "permanent failure for",
    }
}

/// 0 every MX host answered; 75 a failed lookup or an MX host that did not; 69 no MX host
/// (a null MX, RFC 7505).
fn probe_exit_code(report: &ProbeReport) -> u8 {
    if report.error.is_some() || report.mx.iter().any(|mx| mx.connection.error.is_some()) {
        exit::TEMPFAIL
    } else if report.mx.is_empty() {
        exit::UNAVAILABLE
    } else {
        exit::OK
    }
}

/// The probe report for a terminal.
fn probe_text(report: &ProbeReport) -> String {
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut out = format!(
        "{}: MX {}signed\n",
        report.domain,
        if report.dnssec { "" } else { "not " }
    );
    if let Some(error) = &report.error {
        out += &format!("  error: {error}\n");
    }
    if report.mx.is_empty() && report.error.is_none() {
        out += "  no MX hosts: the domain accepts no mail\n";
    }
    for mx in &report.mx {
        let preference = match mx.preference {
            Some(preference) => format!("MX {preference}"),
            None => "implicit MX".to_string(),
        };
        out += &format!(
            "{preference} {} — addresses {} (DNSSEC {})\n",
            mx.host,
            mx.addresses.join(", "),
            yes(mx.addresses_dnssec)
        );
        for tlsa in &mx.tlsa {
            out += &format!("  TLSA {} (usable: {})\n", tlsa.record, yes(tlsa.usable));
        }
        if !mx.tlsa.is_empty() {
            out += &format!("  TLSA DNSSEC: {}\n", yes(mx.tlsa_dnssec));
        }
        if let Some(error) = &mx.tlsa_error {
            out += &format!("  TLSA lookup failed: {error}\n");
        }
        let c = &mx.connection;
        let ip = c.ip.as_deref().unwrap_or("-");
        match &c.error {
            Some(error) => out += &format!("  {ip} port {}: {error}\n", c.port),
            None => {
                out += &format!("  {ip} port {}: EHLO {}\n", c.port, c.extensions.join(" "));
                match &c.tls {
                    None => out += "  no TLS (STARTTLS not offered or failed)\n",
                    Some(tls) => {
                        out += &format!(
                            "  {} {}, PKIX {}, DANE {}\n",
                            tls.version,
                            tls.cipher,
                            if tls.pkix_valid { "valid" } else { "invalid" },
                            tls.dane
                        );
                    }
                }
            }
        }
    }
    out += &match (&report.mta_sts.mode, &report.mta_sts.error) {
        (Some(mode), _) => format!(
            "MTA-STS: {mode}, mx {}, max_age {}\n",
            report.mta_sts.mx.join(" "),
            report.mta_sts.max_age.unwrap_or_default()
        ),
        (None, Some(error)) => format!("MTA-STS: no policy ({error})\n"),
        (None, None) => "MTA-STS: no policy\n".to_string(),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RecipientReport;

    #[test]
    fn replies_print_as_the_server_sent_them() {
        let recipient = |address: &str, status, lines: &[&str]| RecipientReport {
            address: address.into(),
            status,
            code: Some(lines[0][..3].parse().unwrap()),
            enhanced: None,
            lines: lines.iter().map(|l| l.to_string()).collect(),
        };
        let report = Report {
            status: Status::Partial,
            recipients: vec![
                recipient("b@example.org", Status::Delivered, &["250 2.1.5 OK"]),
                recipient(
                    "c@example.org",
                    Status::Permanent,
                    &["550-5.1.1 no such user", "550 5.1.1 see the docs"],
                ),
            ],
            error: None,
            server: None,
            tls: None,
            tlsrpt: Vec::new(),
            attempts: Vec::new(),
            events: Vec::new(),
        };
        assert_eq!(
            report_text(&report),
            "delivered to b@example.org: 250 2.1.5 OK\n\
             permanent failure for c@example.org: 550-5.1.1 no such user\n  \
             550 5.1.1 see the docs\n"
        );
    }
}
