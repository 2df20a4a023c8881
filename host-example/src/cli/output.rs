//! What `probe` prints and the exit code it returns, as one JSON object (`--json`) or as
//! lines for a terminal (`send` and `deliver` print as the command line crate does).

use crate::probe::ProbeReport;
use command_line::exit;
use command_line::print::print;

/// Print the report of `probe` (JSON or text) and return its exit code.
pub fn print_probe(report: &ProbeReport, json: bool) -> u8 {
    print(report, json, probe_text).map_or_else(|code| code, |()| probe_exit_code(report))
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
