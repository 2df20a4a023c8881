use super::*;

fn syntax(text: &str) -> (usize, SyntaxError) {
    match parse(text) {
        Err(ZoneError::Syntax { line, error }) => (line, error),
        other => panic!("want a syntax error for {text:?}, got {other:?}"),
    }
}

#[test]
fn records_names_and_continuations() {
    let zone = parse(
        "$ORIGIN Example.Test.\n\
         $TTL 1h30m\n\
         @ 300 IN MX 10 mx1 ; primary\n\
         \x20 IN 300 MX 20 mx2.other.test.\n\
         mx1 A 192.0.2.1\n\
         \tAAAA 2001:db8::1\n\
         mx1 A 192.0.2.1\n\
         txt TXT \"v=spf1 \" bare \"with \\\"quote\\\" \\059\\\\\"\n\
         _25._tcp.mx1 TLSA 3 1 1 ( 0A0b\n\
         \x20   0c0d ; more\n\
         \x20 )\n\
         alias CNAME mx1\n\
         null MX 0 .\n\
         $ORIGIN sub\n\
         www A 192.0.2.2\n\
         @ SOA ns hostmaster ( 1 2 3 4 5 )\n\
         @ NS ns.example.test.\n",
    )
    .unwrap();
    let node = |name: &str| zone.nodes.get(name).cloned().unwrap_or_default();
    assert_eq!(
        node("example.test.").mx,
        vec![
            Mx {
                preference: 10,
                exchange: "mx1.example.test.".into()
            },
            Mx {
                preference: 20,
                exchange: "mx2.other.test.".into()
            }
        ]
    );
    assert_eq!(
        node("mx1.example.test.").addresses,
        vec![
            "192.0.2.1".parse::<IpAddr>().unwrap(),
            "2001:db8::1".parse().unwrap()
        ]
    );
    assert_eq!(
        node("txt.example.test.").txt,
        vec![b"v=spf1 barewith \"quote\" ;\\".to_vec()]
    );
    assert_eq!(
        node("_25._tcp.mx1.example.test.").tlsa,
        vec![Tlsa {
            usage: 3,
            selector: 1,
            matching_type: 1,
            data: vec![10, 11, 12, 13]
        }]
    );
    assert_eq!(
        node("alias.example.test.").cname.as_deref(),
        Some("mx1.example.test.")
    );
    assert_eq!(node("null.example.test.").mx[0].exchange, ".");
    assert_eq!(
        node("www.sub.example.test.").addresses,
        vec!["192.0.2.2".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn directives() {
    let zone = parse(
        "$ORIGIN example.test.\n\
         ; plain comment, @ sign alone: not a directive\n\
         ; @ means the origin\n\
         ; @insecure legacy\n\
         ; @servfail mx broken\n\
         ; @SERVFAIL tlsa _25._tcp.mx ede=6\n\
         ; @refused txt refused.other.\n\
         ; @timeout ip slow\n\
         a A 192.0.2.1 ; @insecure @\n",
    )
    .unwrap();
    assert_eq!(
        zone.insecure,
        vec!["legacy.example.test.".to_string(), "example.test.".into()]
    );
    let failure = |kind, name: &str| zone.failures.get(&(kind, name.to_string())).copied();
    assert_eq!(
        failure(RecordKind::Mx, "broken.example.test."),
        Some(Failure::Servfail {
            extended_error: None
        })
    );
    assert_eq!(
        failure(RecordKind::Tlsa, "_25._tcp.mx.example.test."),
        Some(Failure::Servfail {
            extended_error: Some(6)
        })
    );
    assert_eq!(
        failure(RecordKind::Txt, "refused.other."),
        Some(Failure::Refused)
    );
    assert_eq!(
        failure(RecordKind::A, "slow.example.test."),
        Some(Failure::Timeout)
    );
    assert_eq!(
        failure(RecordKind::Aaaa, "slow.example.test."),
        Some(Failure::Timeout)
    );
    assert_eq!(failure(RecordKind::Mx, "slow.example.test."), None);
}

#[test]
fn errors_name_the_line() {
    let origin = "$ORIGIN example.test.\n";
    let cases: Vec<(String, usize, SyntaxError)> = vec![
        (
            "a A 192.0.2.1\n".into(),
            1,
            SyntaxError::NoOrigin("a".into()),
        ),
        (" A 192.0.2.1\n".into(), 1, SyntaxError::NoOwner),
        (
            format!("{origin}a A 192.0.2.300\n"),
            2,
            SyntaxError::InvalidField {
                rtype: RecordKind::A,
                field: "address",
                value: "192.0.2.300".into(),
            },
        ),
        (
            format!("{origin}a A 192.0.2.1 192.0.2.2\n"),
            2,
            SyntaxError::TrailingData {
                rtype: RecordKind::A,
                value: "192.0.2.2".into(),
            },
        ),
        (
            format!("{origin}\na MX 10\n"),
            3,
            SyntaxError::MissingField {
                rtype: RecordKind::Mx,
                field: "exchange",
            },
        ),
        (
            format!("{origin}a TXT \"open\n"),
            2,
            SyntaxError::UnterminatedQuote,
        ),
        (
            format!("{origin}a TLSA 3 1 1 ( abcd\n\n"),
            2,
            SyntaxError::UnbalancedParentheses,
        ),
        (
            format!("{origin}a A 192.0.2.1 )\n"),
            2,
            SyntaxError::UnbalancedParentheses,
        ),
        (
            format!("{origin}a A 192.0.2.1 )(\n"),
            2,
            SyntaxError::UnbalancedParentheses,
        ),
        (
            format!("{origin}a TLSA 3 1 1 abc\n"),
            2,
            SyntaxError::InvalidField {
                rtype: RecordKind::Tlsa,
                field: "hex data",
                value: "abc".into(),
            },
        ),
        (
            format!("{origin}a TLSA 3 1 1 zz\n"),
            2,
            SyntaxError::InvalidField {
                rtype: RecordKind::Tlsa,
                field: "hex data",
                value: "zz".into(),
            },
        ),
        (
            format!("{origin}a HINFO x y\n"),
            2,
            SyntaxError::UnsupportedType("HINFO".into()),
        ),
        (
            format!("{origin}a CH A 192.0.2.1\n"),
            2,
            SyntaxError::UnsupportedClass("CH".into()),
        ),
        (
            format!("{origin}a 1x A 192.0.2.1\n"),
            2,
            SyntaxError::InvalidTtl("1x".into()),
        ),
        (format!("{origin}a IN\n"), 2, SyntaxError::MissingType),
        (
            format!("{origin}$INCLUDE other\n"),
            2,
            SyntaxError::UnsupportedDirective("$INCLUDE".into()),
        ),
        (
            format!("{origin}$TTL\n"),
            2,
            SyntaxError::DirectiveArgument("TTL"),
        ),
        (
            "$ORIGIN a. b.\n".into(),
            1,
            SyntaxError::DirectiveArgument("ORIGIN"),
        ),
        (
            format!("{origin}*.w A 192.0.2.1\n"),
            2,
            SyntaxError::InvalidName("*.w".into()),
        ),
        (
            format!("{origin}a\\.b A 192.0.2.1\n"),
            2,
            SyntaxError::InvalidName("a\\.b".into()),
        ),
        (
            format!("{origin}a CNAME b\na A 192.0.2.1\n"),
            3,
            SyntaxError::CnameAndOtherData("a.example.test.".into()),
        ),
        (
            format!("{origin}a A 192.0.2.1\na CNAME b\n"),
            3,
            SyntaxError::CnameAndOtherData("a.example.test.".into()),
        ),
        (
            format!("{origin}a CNAME b\na CNAME c\n"),
            3,
            SyntaxError::CnameAndOtherData("a.example.test.".into()),
        ),
        (
            format!("{origin}a TXT \"{}\"\n", "x".repeat(256)),
            2,
            SyntaxError::LongString,
        ),
        (
            format!("{origin}; @servfial mx a\n"),
            2,
            SyntaxError::UnknownDirective("servfial".into()),
        ),
        (
            format!("{origin}; @servfail mx\n"),
            2,
            SyntaxError::MalformedDirective {
                directive: "servfail",
                expected: "@servfail <type> <name> [ede=<code>]",
            },
        ),
        (
            format!("{origin}; @refused mx a ede=6\n"),
            2,
            SyntaxError::MalformedDirective {
                directive: "refused",
                expected: "@refused <type> <name>",
            },
        ),
        (
            format!("{origin}; @servfail ns a\n"),
            2,
            SyntaxError::MalformedDirective {
                directive: "servfail",
                expected: "@servfail <type> <name> [ede=<code>]",
            },
        ),
        (
            format!("{origin}; @servfail mx a ede=x\n"),
            2,
            SyntaxError::MalformedDirective {
                directive: "servfail",
                expected: "@servfail <type> <name> [ede=<code>]",
            },
        ),
        (
            format!("{origin}; @insecure\n"),
            2,
            SyntaxError::MalformedDirective {
                directive: "insecure",
                expected: "@insecure <name>",
            },
        ),
    ];
    for (text, line, error) in cases {
        assert_eq!(syntax(&text), (line, error), "{text:?}");
    }
}

#[test]
fn error_messages() {
    let err = parse("$ORIGIN example.test.\n\nmx MX x y\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: mx record: invalid preference \"x\""
    );
}

#[test]
fn ttl_syntax() {
    for (ttl, ok) in [
        ("0", true),
        ("3600", true),
        ("1h30m", true),
        ("2D", true),
        ("1w2d3h4m5s", true),
        ("h", false),
        ("1hh", false),
        ("", false),
        ("1.5", false),
    ] {
        assert_eq!(is_ttl(ttl), ok, "{ttl:?}");
    }
}

#[test]
fn unescape_table() {
    for (text, want) in [
        ("plain", Some(b"plain".to_vec())),
        ("a\\\"b", Some(b"a\"b".to_vec())),
        ("\\065\\066", Some(b"AB".to_vec())),
        ("\\256", None),
        ("trailing\\", None),
        ("\\0", Some(b"0".to_vec())),
    ] {
        assert_eq!(unescape(text), want, "{text:?}");
    }
}
