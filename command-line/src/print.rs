//! What `send` and `deliver` print, and the exit code they return: the report as one JSON
//! object (`--json`) or as lines for a terminal.

use crate::exit::{self, fail};
use crate::report::{Report, Status};
use serde::Serialize;

/// Print the report (JSON or text) and return its exit code.
pub fn print_report(report: &Report, json: bool) -> u8 {
    print(report, json, report_text).map_or_else(|code| code, |()| report_exit_code(report))
}

/// `value` as pretty JSON, or as `text` makes it; a value that cannot be serialized is an
/// internal error (70).
///
/// # Errors
/// The exit code when the value could not be printed.
pub fn print<T: Serialize>(value: &T, json: bool, text: fn(&T) -> String) -> Result<(), u8> {
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
pub fn report_text(report: &Report) -> String {
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
