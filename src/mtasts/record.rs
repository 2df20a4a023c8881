//! The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1): version, policy id, extension fields.

/// A valid STSv1 TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// RFC 8461 §3.1 "id": 1 to 32 letters and digits; a new id means a new policy.
    pub id: String,
    /// Extension fields (`sts-extension`), name and value, in order.
    pub extensions: Vec<(String, String)>,
}

/// Why the TXT records of `_mta-sts.<domain>` give no policy id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// No record starts with "v=STSv1".
    #[error("no stsv1 txt record")]
    NoRecord,
    /// RFC 8461 §3.1: "If the number of resulting records is not one ... does not have an
    /// available MTA-STS Policy".
    #[error("{count} stsv1 txt records, expected one")]
    Multiple {
        /// How many STSv1 records there were.
        count: usize,
    },
    /// A field is not `name=value` or its name or value has characters the grammar forbids.
    #[error("invalid field {field:?} in stsv1 record")]
    BadField {
        /// The field as written.
        field: String,
    },
    /// The id is missing.
    #[error("stsv1 record without id")]
    MissingId,
    /// The id is given twice.
    #[error("stsv1 record with more than one id")]
    DuplicateId,
    /// RFC 8461 §3.1 `sts-id = %s"id=" 1*32(ALPHA / DIGIT)`.
    #[error("invalid id {id:?} in stsv1 record: 1 to 32 letters and digits")]
    BadId {
        /// The id as written.
        id: String,
    },
}

/// RFC 8461 §3.1 `sts-version = %s"v=STSv1"`.
const VERSION: &[u8] = b"v=STSv1";

/// Picks the one STSv1 record among the TXT records (each one's strings already concatenated,
/// RFC 8461 §3.1 "records ... must be concatenated") and parses it.
///
/// # Errors
/// [`RecordError::NoRecord`] and [`RecordError::Multiple`] per RFC 8461 §3.1; the others when
/// the one record is invalid.
pub fn select(records: &[Vec<u8>]) -> Result<Record, RecordError> {
    // RFC 8461 §3.1: "records that do not begin with "v=STSv1;" are discarded".
    let sts: Vec<&Vec<u8>> = records.iter().filter(|r| is_sts(r)).collect();
    match sts.as_slice() {
        [] => Err(RecordError::NoRecord),
        [one] => parse(one),
        more => Err(RecordError::Multiple { count: more.len() }),
    }
}

/// The record begins with the version, then `sts-sep` (`*WSP ";"`) or its end.
fn is_sts(record: &[u8]) -> bool {
    let Some(rest) = record.strip_prefix(VERSION) else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    rest.is_empty() || rest.starts_with(b";")
}

/// Parses one record that starts with the version.
///
/// ```text
/// sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]
/// sts-field       = sts-id / sts-extension
/// sts-sep         = *WSP %x3B *WSP
/// sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
/// sts-extension   = sts-ext-name "=" sts-ext-value
/// sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
/// sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
/// ```
fn parse(record: &[u8]) -> Result<Record, RecordError> {
    let text = String::from_utf8_lossy(&record[VERSION.len()..]);
    let mut id = None;
    let mut extensions = Vec::new();
    for field in text.split(';').skip(1) {
        let field = field.trim_matches([' ', '\t']);
        // A trailing `sts-sep` leaves one empty field at the end.
        if field.is_empty() {
            continue;
        }
        let bad = || RecordError::BadField {
            field: field.to_string(),
        };
        let (name, value) = field.split_once('=').ok_or_else(bad)?;
        if name == "id" {
            if !(1..=32).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(RecordError::BadId {
                    id: value.to_string(),
                });
            }
            if id.replace(value.to_string()).is_some() {
                return Err(RecordError::DuplicateId);
            }
        } else if ext_name(name) && ext_value(value) {
            extensions.push((name.to_string(), value.to_string()));
        } else {
            return Err(bad());
        }
    }
    // An empty field in the middle (";;") is accepted like the trailing one: whitespace and
    // separators carry no meaning.
    Ok(Record {
        id: id.ok_or(RecordError::MissingId)?,
        extensions,
    })
}

fn ext_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn ext_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21..=0x3a | 0x3c | 0x3e..=0x7e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Result<Record, RecordError> {
        select(&[s.as_bytes().to_vec()])
    }

    #[test]
    fn rfc_example_and_variants() {
        // RFC 8461 §3.1 example.
        let record = one("v=STSv1; id=20160831085700Z;").unwrap();
        assert_eq!(record.id, "20160831085700Z");
        assert!(record.extensions.is_empty());
        for text in [
            "v=STSv1;id=abc",
            "v=STSv1 ; id=abc ;",
            "v=STSv1;\tid=abc\t",
            "v=STSv1; id=abc;;",
        ] {
            assert_eq!(one(text).unwrap().id, "abc", "{text}");
        }
        let record = one("v=STSv1; id=1; ext_1.a-b=x:y<z; other=1").unwrap();
        assert_eq!(
            record.extensions,
            vec![
                ("ext_1.a-b".to_string(), "x:y<z".to_string()),
                ("other".to_string(), "1".to_string())
            ]
        );
    }

    #[test]
    fn id_rules() {
        assert_eq!(
            one(&format!("v=STSv1; id={}", "a".repeat(32)))
                .unwrap()
                .id
                .len(),
            32
        );
        for (text, want) in [
            ("v=STSv1;", RecordError::MissingId),
            ("v=STSv1; ext=1", RecordError::MissingId),
            ("v=STSv1; id=", RecordError::BadId { id: String::new() }),
            ("v=STSv1; id=a-b", RecordError::BadId { id: "a-b".into() }),
            (
                &format!("v=STSv1; id={}", "a".repeat(33)),
                RecordError::BadId { id: "a".repeat(33) },
            ),
            ("v=STSv1; id=a; id=b", RecordError::DuplicateId),
            // Names are case-sensitive (%s): "ID" is an extension field.
            ("v=STSv1; ID=a", RecordError::MissingId),
        ] {
            assert_eq!(one(text), Err(want), "{text}");
        }
    }

    #[test]
    fn bad_fields() {
        for field in ["novalue", "_x=1", "x=a b", "x=", "x=a=b", "é=1"] {
            let text = format!("v=STSv1; id=1; {field}");
            assert!(
                matches!(one(&text), Err(RecordError::BadField { .. })),
                "{text}"
            );
        }
        let long = format!("{}=1", "n".repeat(33));
        assert!(matches!(
            one(&format!("v=STSv1; id=1; {long}")),
            Err(RecordError::BadField { .. })
        ));
    }

    #[test]
    fn selection() {
        let records = |list: &[&str]| {
            list.iter()
                .map(|s| s.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(select(&[]), Err(RecordError::NoRecord));
        // Case matters (%s), and "v=STSv10" is another version.
        assert_eq!(
            select(&records(&[
                "v=spf1 -all",
                "v=stsv1; id=1",
                "v=STSv10; id=1"
            ])),
            Err(RecordError::NoRecord)
        );
        assert_eq!(
            select(&records(&["v=spf1 -all", "v=STSv1; id=1"]))
                .unwrap()
                .id,
            "1"
        );
        assert_eq!(
            select(&records(&["v=STSv1; id=1", "v=STSv1; id=2"])),
            Err(RecordError::Multiple { count: 2 })
        );
        // Two records are no policy even when one of them is invalid.
        assert_eq!(
            select(&records(&["v=STSv1; id=1", "v=STSv1; bad"])),
            Err(RecordError::Multiple { count: 2 })
        );
    }
}
