//! SMTP commands and their wire encoding (RFC 5321 §4.1.1), with the MAIL parameters of
//! SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531) and REQUIRETLS (RFC 8689), and
//! the DSN parameters of MAIL and RCPT (RFC 3461, see [`crate::smtp::dsn`]).
//!
//! Encoding appends to a caller-owned buffer and never fails. Callers validate what they put in
//! (see [`crate::smtp::address`]): this module does not escape anything.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::dsn::{MailDsn, RcptDsn};

/// Which command a reply or an error belongs to. The names are those of the WIT
/// `smtp-command` enum and of the JSON reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// The 220 greeting the server sends on connect (RFC 5321 §4.3.1).
    Greeting,
    /// EHLO (RFC 5321 §4.1.1.1).
    Ehlo,
    /// HELO (RFC 5321 §4.1.1.1).
    Helo,
    /// STARTTLS (RFC 3207 §4).
    StartTls,
    /// AUTH (RFC 4954 §4).
    Auth,
    /// MAIL FROM (RFC 5321 §4.1.1.2).
    MailFrom,
    /// RCPT TO (RFC 5321 §4.1.1.3).
    RcptTo,
    /// DATA and the message data after it (RFC 5321 §4.1.1.4).
    Data,
    /// BDAT (RFC 3030 §2).
    Bdat,
    /// RSET (RFC 5321 §4.1.1.5).
    Rset,
    /// QUIT (RFC 5321 §4.1.1.10).
    Quit,
}

impl CommandKind {
    /// The lowercase name: "greeting", "ehlo", "helo", "starttls", "auth", "mailfrom",
    /// "rcptto", "data", "bdat", "rset" or "quit".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Greeting => "greeting",
            Self::Ehlo => "ehlo",
            Self::Helo => "helo",
            Self::StartTls => "starttls",
            Self::Auth => "auth",
            Self::MailFrom => "mailfrom",
            Self::RcptTo => "rcptto",
            Self::Data => "data",
            Self::Bdat => "bdat",
            Self::Rset => "rset",
            Self::Quit => "quit",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The BODY parameter of MAIL (RFC 6152 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// BODY=7BIT.
    SevenBit,
    /// BODY=8BITMIME.
    EightBitMime,
}

/// Parameters of MAIL FROM, sent in the order SIZE, BODY, SMTPUTF8, REQUIRETLS (as mox).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailParams {
    /// RFC 1870 §6: "SIZE=<size>", the declared message size; only when SIZE is announced.
    pub size: Option<u64>,
    /// RFC 6152 §2: only when 8BITMIME is announced.
    pub body: Option<Body>,
    /// RFC 6531 §3.4: "SMTPUTF8".
    pub smtputf8: bool,
    /// RFC 8689 §4.1: "REQUIRETLS".
    pub require_tls: bool,
}

/// One command. Paths are given without angle brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// "EHLO <domain>".
    Ehlo(&'a str),
    /// "HELO <domain>".
    Helo(&'a str),
    /// "STARTTLS".
    StartTls,
    /// "AUTH <mechanism> [initial-response]" (RFC 4954 §4).
    Auth {
        /// The SASL mechanism name.
        mechanism: &'a str,
        /// None: no initial response; empty: "=" (RFC 4954 §4); else base64.
        initial_response: Option<&'a [u8]>,
    },
    /// "MAIL FROM:<reverse-path> [parameters]"; an empty path is the null sender.
    MailFrom {
        /// The reverse path, without angle brackets.
        path: &'a str,
        /// The ESMTP parameters.
        params: MailParams,
    },
    /// "MAIL FROM:<reverse-path> [parameters] [RET=...] [ENVID=...]": MAIL with DSN
    /// parameters (RFC 3461 §4.3, §4.4) after those of `params`.
    MailFromDsn {
        /// The reverse path, without angle brackets.
        path: &'a str,
        /// The ESMTP parameters other than DSN.
        params: MailParams,
        /// The DSN parameters.
        dsn: &'a MailDsn,
        /// Whether the server announced DSN. RFC 3461 §4: the parameters may only be used
        /// with a server that did; without it they are left out.
        offered: bool,
    },
    /// "RCPT TO:<forward-path>".
    RcptTo(&'a str),
    /// "RCPT TO:<forward-path> [NOTIFY=...] [ORCPT=...]" (RFC 3461 §4.1, §4.2).
    RcptToDsn {
        /// The forward path, without angle brackets.
        path: &'a str,
        /// The DSN parameters.
        dsn: &'a RcptDsn,
        /// Whether the server announced DSN; without it the parameters are left out.
        offered: bool,
    },
    /// "DATA".
    Data,
    /// "BDAT <size> [LAST]" (RFC 3030 §2).
    Bdat {
        /// The chunk size in bytes.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// "RSET".
    Rset,
    /// "QUIT".
    Quit,
}

impl Command<'_> {
    /// The kind of this command.
    #[must_use]
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::Ehlo(_) => CommandKind::Ehlo,
            Self::Helo(_) => CommandKind::Helo,
            Self::StartTls => CommandKind::StartTls,
            Self::Auth { .. } => CommandKind::Auth,
            Self::MailFrom { .. } | Self::MailFromDsn { .. } => CommandKind::MailFrom,
            Self::RcptTo(_) | Self::RcptToDsn { .. } => CommandKind::RcptTo,
            Self::Data => CommandKind::Data,
            Self::Bdat { .. } => CommandKind::Bdat,
            Self::Rset => CommandKind::Rset,
            Self::Quit => CommandKind::Quit,
        }
    }

    /// Appends the command line, CRLF included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            // RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
            Self::Ehlo(domain) => push(out, &["EHLO ", domain]),
            Self::Helo(domain) => push(out, &["HELO ", domain]),
            // RFC 3207 §4: "STARTTLS" CRLF
            Self::StartTls => out.extend_from_slice(b"STARTTLS"),
            Self::Auth {
                mechanism,
                initial_response,
            } => {
                push(out, &["AUTH ", mechanism]);
                match initial_response {
                    None => {}
                    // RFC 4954 §4: "If the initial response is empty, ... a single equals sign".
                    Some([]) => out.extend_from_slice(b" ="),
                    Some(bytes) => {
                        out.push(b' ');
                        out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
                    }
                }
            }
            Self::MailFrom { path, params } => encode_mail(out, path, params),
            Self::MailFromDsn {
                path,
                params,
                dsn,
                offered,
            } => {
                encode_mail(out, path, params);
                if *offered {
                    dsn.encode(out);
                }
            }
            // RFC 5321 §4.1.1.3: "RCPT TO:" Forward-path [SP Rcpt-parameters] CRLF
            Self::RcptTo(path) => push(out, &["RCPT TO:<", path, ">"]),
            Self::RcptToDsn { path, dsn, offered } => {
                push(out, &["RCPT TO:<", path, ">"]);
                if *offered {
                    dsn.encode(out);
                }
            }
            Self::Data => out.extend_from_slice(b"DATA"),
            // RFC 3030 §2: bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ] CR LF
            Self::Bdat { size, last } => {
                push(out, &["BDAT ", &size.to_string()]);
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Self::Rset => out.extend_from_slice(b"RSET"),
            Self::Quit => out.extend_from_slice(b"QUIT"),
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF, without CRLF.
fn encode_mail(out: &mut Vec<u8>, path: &str, params: &MailParams) {
    push(out, &["MAIL FROM:<", path, ">"]);
    if let Some(size) = params.size {
        // RFC 1870 §6: "SIZE=" size-value
        push(out, &[" SIZE=", &size.to_string()]);
    }
    match params.body {
        None => {}
        // RFC 6152 §2: "BODY=7BIT" / "BODY=8BITMIME"
        Some(Body::SevenBit) => out.extend_from_slice(b" BODY=7BIT"),
        Some(Body::EightBitMime) => out.extend_from_slice(b" BODY=8BITMIME"),
    }
    if params.smtputf8 {
        out.extend_from_slice(b" SMTPUTF8");
    }
    if params.require_tls {
        out.extend_from_slice(b" REQUIRETLS");
    }
}

fn push(out: &mut Vec<u8>, parts: &[&str]) {
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(command: Command<'_>) -> String {
        let mut out = Vec::new();
        command.encode(&mut out);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn encodings() {
        let all = MailParams {
            size: Some(78),
            body: Some(Body::EightBitMime),
            smtputf8: true,
            require_tls: true,
        };
        let cases = [
            (Command::Ehlo("localhost"), "EHLO localhost\r\n"),
            (Command::Helo("localhost"), "HELO localhost\r\n"),
            (Command::StartTls, "STARTTLS\r\n"),
            (
                Command::Auth {
                    mechanism: "PLAIN",
                    initial_response: Some(b"\0test\0test"),
                },
                "AUTH PLAIN AHRlc3QAdGVzdA==\r\n",
            ),
            (
                Command::Auth {
                    mechanism: "EXTERNAL",
                    initial_response: Some(b""),
                },
                "AUTH EXTERNAL =\r\n",
            ),
            (
                Command::Auth {
                    mechanism: "CRAM-MD5",
                    initial_response: None,
                },
                "AUTH CRAM-MD5\r\n",
            ),
            (
                Command::MailFrom {
                    path: "postmaster@mox.example",
                    params: MailParams::default(),
                },
                "MAIL FROM:<postmaster@mox.example>\r\n",
            ),
            (
                Command::MailFrom {
                    path: "",
                    params: MailParams::default(),
                },
                "MAIL FROM:<>\r\n",
            ),
            (
                Command::MailFrom {
                    path: "postmaster@mox.example",
                    params: all,
                },
                "MAIL FROM:<postmaster@mox.example> SIZE=78 BODY=8BITMIME SMTPUTF8 REQUIRETLS\r\n",
            ),
            (
                Command::MailFrom {
                    path: "a@b",
                    params: MailParams {
                        body: Some(Body::SevenBit),
                        ..MailParams::default()
                    },
                },
                "MAIL FROM:<a@b> BODY=7BIT\r\n",
            ),
            (
                Command::RcptTo("mjl@mox.example"),
                "RCPT TO:<mjl@mox.example>\r\n",
            ),
            (Command::Data, "DATA\r\n"),
            (
                Command::Bdat {
                    size: 100,
                    last: false,
                },
                "BDAT 100\r\n",
            ),
            (
                Command::Bdat {
                    size: 0,
                    last: true,
                },
                "BDAT 0 LAST\r\n",
            ),
            (Command::Rset, "RSET\r\n"),
            (Command::Quit, "QUIT\r\n"),
        ];
        for (command, want) in cases {
            assert_eq!(encoded(command), want);
        }
    }

    #[test]
    fn dsn_parameters() {
        use crate::smtp::dsn::{MailDsn, Notify, RcptDsn, Ret};
        let mail = MailDsn::new(Some(Ret::Full), Some("id+1")).unwrap();
        let params = MailParams {
            size: Some(10),
            ..MailParams::default()
        };
        let rcpt = RcptDsn::new(Some(Notify::NEVER), Some(("rfc822", "a@b"))).unwrap();
        let cases = [
            (
                Command::MailFromDsn {
                    path: "a@b",
                    params,
                    dsn: &mail,
                    offered: true,
                },
                "MAIL FROM:<a@b> SIZE=10 RET=FULL ENVID=id+2B1\r\n",
            ),
            (
                Command::MailFromDsn {
                    path: "a@b",
                    params,
                    dsn: &mail,
                    offered: false,
                },
                "MAIL FROM:<a@b> SIZE=10\r\n",
            ),
            (
                Command::RcptToDsn {
                    path: "c@d",
                    dsn: &rcpt,
                    offered: true,
                },
                "RCPT TO:<c@d> NOTIFY=NEVER ORCPT=rfc822;a@b\r\n",
            ),
            (
                Command::RcptToDsn {
                    path: "c@d",
                    dsn: &rcpt,
                    offered: false,
                },
                "RCPT TO:<c@d>\r\n",
            ),
            (
                Command::RcptToDsn {
                    path: "c@d",
                    dsn: &RcptDsn::default(),
                    offered: true,
                },
                "RCPT TO:<c@d>\r\n",
            ),
        ];
        for (command, want) in cases {
            assert_eq!(encoded(command), want);
        }
        let dsn = RcptDsn::default();
        let rcpt_dsn = Command::RcptToDsn {
            path: "x",
            dsn: &dsn,
            offered: true,
        };
        assert_eq!(rcpt_dsn.kind(), CommandKind::RcptTo);
        let mail_dsn = Command::MailFromDsn {
            path: "",
            params,
            dsn: &mail,
            offered: true,
        };
        assert_eq!(mail_dsn.kind(), CommandKind::MailFrom);
    }

    #[test]
    fn kind_names() {
        let cases = [
            (CommandKind::Greeting, "greeting"),
            (CommandKind::Ehlo, "ehlo"),
            (CommandKind::Helo, "helo"),
            (CommandKind::StartTls, "starttls"),
            (CommandKind::Auth, "auth"),
            (CommandKind::MailFrom, "mailfrom"),
            (CommandKind::RcptTo, "rcptto"),
            (CommandKind::Data, "data"),
            (CommandKind::Bdat, "bdat"),
            (CommandKind::Rset, "rset"),
            (CommandKind::Quit, "quit"),
        ];
        for (kind, name) in cases {
            assert_eq!(kind.to_string(), name);
        }
        assert_eq!(Command::RcptTo("x").kind(), CommandKind::RcptTo);
        assert_eq!(Command::Quit.kind(), CommandKind::Quit);
    }
}
