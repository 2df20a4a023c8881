//! One lookup and its outcome as a line for people (`-vv`, the demo): which name, which
//! records, and whether the answer was authentic (what DANE depends on, RFC 7672 §2.2).

use std::net::IpAddr;

use crate::types::{Answer, LookupError, Mx, Tlsa};

/// How a record of a lookup is shown.
pub trait ShownRecord {
    /// The record as in a zone file's RDATA.
    fn shown(&self) -> String;
}

impl ShownRecord for String {
    fn shown(&self) -> String {
        self.clone()
    }
}

impl ShownRecord for IpAddr {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl ShownRecord for Mx {
    fn shown(&self) -> String {
        format!("{} {}", self.preference, self.exchange)
    }
}

impl ShownRecord for Tlsa {
    fn shown(&self) -> String {
        let hex: String = self.data.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{} {} {} {hex}",
            self.usage, self.selector, self.matching_type
        )
    }
}

impl ShownRecord for Vec<u8> {
    fn shown(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

/// "dns: MX example.test -> 10 mx.example.test. (authentic)", or the error.
pub fn lookup_line<T: ShownRecord>(
    kind: &str,
    name: &str,
    result: &Result<Answer<T>, LookupError>,
) -> String {
    match result {
        Ok(answer) => {
            let records: Vec<String> = answer.records.iter().map(ShownRecord::shown).collect();
            let authentic = if answer.authentic {
                "authentic"
            } else {
                "not authentic"
            };
            format!("dns: {kind} {name} -> {} ({authentic})", records.join(", "))
        }
        Err(error) => format!("dns: {kind} {name} -> {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let mx = Ok(Answer {
            records: vec![Mx {
                preference: 10,
                exchange: "mx.example.test.".into(),
            }],
            authentic: true,
        });
        assert_eq!(
            lookup_line("MX", "example.test.", &mx),
            "dns: MX example.test. -> 10 mx.example.test. (authentic)"
        );
        let tlsa = Ok(Answer {
            records: vec![Tlsa {
                usage: 3,
                selector: 1,
                matching_type: 1,
                data: vec![0xab, 0x01],
            }],
            authentic: false,
        });
        assert_eq!(
            lookup_line("TLSA", "_25._tcp.mx.", &tlsa),
            "dns: TLSA _25._tcp.mx. -> 3 1 1 ab01 (not authentic)"
        );
        let missing: Result<Answer<Vec<u8>>, _> = Err(LookupError::NotFound { authentic: true });
        assert_eq!(
            lookup_line("TXT", "x.", &missing),
            "dns: TXT x. -> no such record"
        );
    }
}
