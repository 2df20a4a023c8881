use super::*;

/// Feeds `input` split at every pair of cut points (covering 1-byte feeds and every single
/// split) and returns what the parser produced, checking that every split agrees.
fn parse_all(input: &[u8], enhanced: bool) -> Vec<Result<Reply, ProtocolError>> {
    let whole = feed(input, &[input.len()], enhanced);
    let bytewise = feed(input, &vec![1; input.len()], enhanced);
    assert_eq!(whole, bytewise, "1-byte feed differs for {input:?}");
    for a in 0..=input.len() {
        for b in a..=input.len() {
            let got = feed(input, &[a, b - a, input.len() - b], enhanced);
            assert_eq!(whole, got, "split at {a},{b} differs for {input:?}");
        }
    }
    whole
}

/// Feeds chunks of the given sizes, draining replies after each, until the first error.
fn feed(input: &[u8], sizes: &[usize], enhanced: bool) -> Vec<Result<Reply, ProtocolError>> {
    let mut parser = ReplyParser::new();
    let mut out = Vec::new();
    let mut rest = input;
    for &size in sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        parser.push(chunk);
        while let Some(r) = parser.next_reply(enhanced) {
            let failed = r.is_err();
            out.push(r);
            if failed {
                return out;
            }
        }
    }
    out
}

fn reply(code: u16, enhanced: Option<(u8, u16, u16)>, lines: &[&[u8]]) -> Reply {
    Reply {
        code: ReplyCode(code),
        enhanced: enhanced.map(|(class, subject, detail)| EnhancedCode {
            class,
            subject,
            detail,
        }),
        lines: lines.iter().map(|l| l.to_vec()).collect(),
    }
}

#[test]
fn good_replies() {
    let cases: &[(&[u8], bool, Vec<Reply>)] = &[
        (
            b"220 mox.example ESMTP\r\n",
            false,
            vec![reply(220, None, &[b"220 mox.example ESMTP"])],
        ),
        // A bare LF ends a line too, as in mox.
        (b"250 ok\n", false, vec![reply(250, None, &[b"250 ok"])]),
        // Code-only lines (RFC 5321 §4.2: the text is optional).
        (b"451\r\n", false, vec![reply(451, None, &[b"451"])]),
        (
            b"250-mox.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
            false,
            vec![reply(
                250,
                None,
                &[b"250-mox.example", b"250-PIPELINING", b"250 SIZE 1000"],
            )],
        ),
        (
            b"250 ok\r\n550 5.7.1 no\r\n354 go\r\n",
            true,
            vec![
                reply(250, None, &[b"250 ok"]),
                reply(550, Some((5, 7, 1)), &[b"550 5.7.1 no"]),
                reply(354, None, &[b"354 go"]),
            ],
        ),
        // Non-UTF-8 text is kept as bytes.
        (
            b"550 \xff\xfe bad\r\n",
            false,
            vec![reply(550, None, &[b"550 \xff\xfe bad"])],
        ),
        // The enhanced code of the last line counts.
        (
            b"550-5.1.1 first\r\n550 5.7.1 last\r\n",
            true,
            vec![reply(
                550,
                Some((5, 7, 1)),
                &[b"550-5.1.1 first", b"550 5.7.1 last"],
            )],
        ),
        // A CR inside a line stays part of the text; only the one before LF is stripped.
        (
            b"250 a\rb\r\r\n",
            false,
            vec![reply(250, None, &[b"250 a\rb\r"])],
        ),
    ];
    for (input, enhanced, want) in cases {
        let got: Vec<Reply> = parse_all(input, *enhanced)
            .into_iter()
            .map(|r| r.expect("good reply"))
            .collect();
        assert_eq!(&got, want, "input {input:?}");
    }
}

#[test]
fn bad_replies() {
    let long = [b"250 ".as_slice(), &[b'x'; MAX_LINE_LENGTH]].concat();
    let mut many = Vec::new();
    for _ in 0..MAX_LINES {
        many.extend_from_slice(b"250-x\r\n");
    }
    many.extend_from_slice(b"250 x\r\n");
    let cases: Vec<(&[u8], ProtocolError)> = vec![
        (
            b"bogus\r\n",
            ProtocolError::BadCode {
                line: "bogus".into(),
            },
        ),
        (
            b"2200 mox.example\r\n",
            ProtocolError::BadCode {
                line: "2200 mox.example".into(),
            },
        ),
        (b"25\r\n", ProtocolError::BadCode { line: "25".into() }),
        (
            b"250x\r\n",
            ProtocolError::BadSeparator {
                line: "250x".into(),
            },
        ),
        (
            b"250\tx\r\n",
            ProtocolError::BadSeparator {
                line: "250\tx".into(),
            },
        ),
        (
            b"250-mox.example\r\n500 different code\r\n",
            ProtocolError::MixedCodes {
                first: ReplyCode(250),
                then: ReplyCode(500),
            },
        ),
        (
            &long,
            ProtocolError::LineTooLong {
                max: MAX_LINE_LENGTH,
            },
        ),
        (&many, ProtocolError::TooManyLines { max: MAX_LINES }),
    ];
    for (input, want) in cases {
        // Every split is too slow for the long inputs; these use a few.
        let got = if input.len() > 100 {
            let whole = feed(input, &[input.len()], false);
            assert_eq!(whole, feed(input, &vec![1; input.len()], false));
            assert_eq!(whole, feed(input, &vec![7; input.len() / 7 + 1], false));
            whole
        } else {
            parse_all(input, false)
        };
        assert_eq!(got.last(), Some(&Err(want.clone())), "input {input:?}");
    }
}

#[test]
fn line_length_boundary() {
    // 2046 bytes of content + CRLF = 2048: accepted. One more: refused.
    let ok = [b"250 ".as_slice(), &[b'x'; MAX_LINE_LENGTH - 6], b"\r\n"].concat();
    assert_eq!(ok.len(), MAX_LINE_LENGTH);
    assert!(matches!(feed(&ok, &[ok.len()], false).as_slice(), [Ok(_)]));
    assert!(matches!(
        feed(&ok, &vec![1; ok.len()], false).as_slice(),
        [Ok(_)]
    ));
    let bad = [b"250 ".as_slice(), &[b'x'; MAX_LINE_LENGTH - 5], b"\r\n"].concat();
    assert_eq!(
        feed(&bad, &[bad.len()], false),
        vec![Err(ProtocolError::LineTooLong {
            max: MAX_LINE_LENGTH
        })]
    );
    // Exactly MAX_LINES lines are fine.
    let mut lines = b"250-x\r\n".repeat(MAX_LINES - 1);
    lines.extend_from_slice(b"250 x\r\n");
    let got = feed(&lines, &[lines.len()], false);
    assert!(matches!(got.as_slice(), [Ok(r)] if r.lines.len() == MAX_LINES));
}

#[test]
fn errors_are_sticky() {
    let mut parser = ReplyParser::new();
    parser.push(b"bogus\r\n250 ok\r\n");
    let first = parser.next_reply(false);
    assert!(matches!(first, Some(Err(ProtocolError::BadCode { .. }))));
    assert_eq!(parser.next_reply(false), first);
}

#[test]
fn partial_input_waits() {
    let mut parser = ReplyParser::new();
    assert!(parser.is_empty());
    parser.push(b"250-a\r\n250 b");
    assert_eq!(parser.next_reply(false), None);
    assert!(!parser.is_empty());
    parser.push(b"\r\n");
    assert!(matches!(parser.next_reply(false), Some(Ok(r)) if r.lines.len() == 2));
    assert!(parser.is_empty());
}

#[test]
fn enhanced_codes() {
    type Code = Option<(u8, u16, u16)>;
    let cases: &[(u16, &[u8], Code)] = &[
        (250, b"2.0.0 ok", Some((2, 0, 0))),
        (250, b"2.0.0", Some((2, 0, 0))),
        (550, b"5.7.1 no", Some((5, 7, 1))),
        (554, b"5.7.0 Blocked", Some((5, 7, 0))),
        (451, b"4.123.999 x", Some((4, 123, 999))),
        // The class must match the reply code.
        (250, b"5.0.0 x", None),
        // Too many digits, missing parts, no space after (fix of mox's "2.0.0ok").
        (250, b"2.0000.0 x", None),
        (250, b"2.0.0000 x", None),
        (250, b"2..0 x", None),
        (250, b"2.0. x", None),
        (250, b"2.0 x", None),
        (250, b"2.0.0ok", None),
        (452, b"maybe", None),
        (452, b"", None),
        // RFC 3463 §2: class 3 does not exist.
        (354, b"3.0.0 go", None),
    ];
    for &(code, text, want) in cases {
        let want = want.map(|(class, subject, detail)| EnhancedCode {
            class,
            subject,
            detail,
        });
        assert_eq!(EnhancedCode::parse(ReplyCode(code), text), want, "{text:?}");
    }
    let code = EnhancedCode {
        class: 5,
        subject: 7,
        detail: 1,
    };
    assert_eq!(code.to_string(), "5.7.1");
}

#[test]
fn texts_and_display() {
    let r = reply(250, None, &[b"250-mox.example", b"250 \xffSIZE", b"250"]);
    assert_eq!(r.text_lossy(), vec!["mox.example", "\u{fffd}SIZE", ""]);
    assert_eq!(r.lines_lossy()[0], "250-mox.example");
    assert_eq!(r.to_string(), "250-mox.example / 250 \u{fffd}SIZE / 250");
    assert_eq!(ReplyCode(250).to_string(), "250");
    assert!(ReplyCode(552).is_permanent_negative());
    assert!(!ReplyCode(452).is_permanent_negative());
}
