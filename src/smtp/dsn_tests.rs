use super::*;

#[test]
fn xtext_encoding() {
    for (value, want) in [
        ("", ""),
        ("abc", "abc"),
        ("a+b=c", "a+2Bb+3Dc"),
        ("with space", "with+20space"),
        ("!~", "!~"),
        ("user@example.org", "user@example.org"),
    ] {
        assert_eq!(xtext("ENVID", value).as_deref(), Ok(want), "{value:?}");
    }
    for value in ["a\r\nRCPT TO:<x>", "tab\there", "\u{7f}", "é"] {
        assert_eq!(
            xtext("ORCPT", value),
            Err(DsnError::NotPrintable { parameter: "ORCPT" }),
            "{value:?}"
        );
    }
}

#[test]
fn notify_values() {
    let cases = [
        ("NEVER", Some("NEVER")),
        ("never", Some("NEVER")),
        ("SUCCESS", Some("SUCCESS")),
        ("delay,failure", Some("FAILURE,DELAY")),
        ("SUCCESS,FAILURE,DELAY", Some("SUCCESS,FAILURE,DELAY")),
        // RFC 3461 §4.1: NEVER alone.
        ("NEVER,SUCCESS", None),
        ("SUCCESS,NEVER", None),
        ("SUCCESS,SUCCESS", None),
        ("", None),
        ("SUCCESS,", None),
        ("SOMETIMES", None),
    ];
    for (input, want) in cases {
        let got = input.parse::<Notify>().map(|n| n.to_string());
        match want {
            Some(want) => assert_eq!(got.as_deref(), Ok(want), "{input:?}"),
            None => assert_eq!(got, Err(DsnError::Notify(input.to_string())), "{input:?}"),
        }
    }
    assert!(Notify::NEVER.is_never());
    assert!(Notify::on(false, false, false).is_err());
    assert_eq!(
        Notify::on(false, true, true).map(|n| n.to_string()),
        Ok("FAILURE,DELAY".to_string())
    );
}

#[test]
fn ret_values() {
    assert_eq!("full".parse(), Ok(Ret::Full));
    assert_eq!("HDRS".parse(), Ok(Ret::Hdrs));
    assert_eq!(
        "BODY".parse::<Ret>(),
        Err(DsnError::Ret("BODY".to_string()))
    );
}

#[test]
fn mail_parameters() {
    let dsn = MailDsn::new(Some(Ret::Hdrs), Some("QQ314159 id=1")).unwrap();
    assert_eq!(dsn.ret(), Some(Ret::Hdrs));
    assert_eq!(dsn.envid_xtext(), Some("QQ314159+20id+3D1"));
    let mut out = Vec::new();
    dsn.encode(&mut out);
    assert_eq!(out, b" RET=HDRS ENVID=QQ314159+20id+3D1");
    let mut empty = Vec::new();
    MailDsn::default().encode(&mut empty);
    assert!(empty.is_empty());

    // 100 characters once encoded are allowed, 101 are not; "+" counts three.
    assert!(MailDsn::new(None, Some(&"x".repeat(100))).is_ok());
    assert_eq!(
        MailDsn::new(None, Some(&format!("{}+", "x".repeat(98)))),
        Err(DsnError::TooLong {
            parameter: "ENVID",
            length: 101,
            max: 100
        })
    );
    assert!(MailDsn::new(None, Some("a\nb")).is_err());
}

#[test]
fn rcpt_parameters() {
    let dsn = RcptDsn::new(
        Some("SUCCESS,FAILURE".parse().unwrap()),
        Some(("rfc822", "Bob+lists@example.org")),
    )
    .unwrap();
    assert_eq!(dsn.orcpt_value(), Some("rfc822;Bob+2Blists@example.org"));
    assert_eq!(
        dsn.notify().map(|n| n.to_string()),
        Some("SUCCESS,FAILURE".into())
    );
    let mut out = Vec::new();
    dsn.encode(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Blists@example.org"
    );

    for addr_type in ["", "rfc 822", "rfc822;x", "a\r\n"] {
        assert_eq!(
            RcptDsn::new(None, Some((addr_type, "a@b"))),
            Err(DsnError::AddrType(addr_type.to_string()))
        );
    }
    assert!(RcptDsn::new(None, Some(("rfc822", "bøb@example.org"))).is_err());
    let long = "x".repeat(494);
    assert!(RcptDsn::new(None, Some(("rfc822", long.as_str()))).is_err());
    assert!(RcptDsn::new(None, Some(("rfc822", &long[..493]))).is_ok());
    assert_eq!(
        DsnError::TooLong {
            parameter: "ORCPT",
            length: 501,
            max: 500
        }
        .to_string(),
        "ORCPT too long: 501 characters encoded, at most 500"
    );
}

#[test]
fn utf8_original_recipients_are_utf8_addr_xtext() {
    // RFC 6533 §3: QCHAR as it is; "+", "=", "\", space and non-ASCII as \x{HEX}.
    let cases = [
        ("bob@example.org", "utf-8;bob@example.org"),
        ("bøb@example.org", "utf-8;b\\x{F8}b@example.org"),
        ("a+b=c\\d e@x", "utf-8;a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e@x"),
        (
            "用户@例子.广告",
            "utf-8;\\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.\\x{5E7F}\\x{544A}",
        ),
        ("😀@x", "utf-8;\\x{1F600}@x"),
    ];
    for (address, want) in cases {
        let dsn = RcptDsn::new(None, Some(("utf-8", address))).unwrap();
        assert_eq!(dsn.orcpt_value(), Some(want), "{address}");
    }
    assert_eq!(
        RcptDsn::new(None, Some(("utf-8", "a\rb@x"))),
        Err(DsnError::NotPrintable { parameter: "ORCPT" })
    );
}
