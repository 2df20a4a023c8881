use super::*;

/// Encodes `input` fed in chunks of the given sizes (the last chunk takes the rest).
fn encode(input: &[u8], sizes: &[usize], mode: LineEndings) -> Result<Vec<u8>, DataError> {
    let mut encoder = DataEncoder::new(mode);
    let mut out = Vec::new();
    let mut rest = input;
    for &size in sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        encoder.encode(chunk, &mut out)?;
    }
    encoder.encode(rest, &mut out)?;
    assert_eq!(encoder.bytes_in(), input.len() as u64);
    encoder.finish(&mut out)?;
    Ok(out)
}

/// Encodes whole, one byte at a time and split at every pair of cut points; all must agree.
fn encode_every_split(input: &[u8], mode: LineEndings) -> Result<Vec<u8>, DataError> {
    let whole = encode(input, &[], mode);
    assert_eq!(
        whole,
        encode(input, &vec![1; input.len()], mode),
        "1-byte chunks of {input:?}"
    );
    for a in 0..=input.len() {
        for b in a..=input.len() {
            let got = encode(input, &[a, b - a], mode);
            assert_eq!(whole, got, "split at {a},{b} of {input:?}");
        }
    }
    whole
}

#[test]
fn strict_good() {
    // mox's smtp/data_test.go cases and more.
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b".\r\n", b"..\r\n.\r\n"),
        (
            b"header: abc\r\n\r\nmessage\r\n",
            b"header: abc\r\n\r\nmessage\r\n.\r\n",
        ),
        (
            b"Subject: test\r\n\r\nbody\r\n",
            b"Subject: test\r\n\r\nbody\r\n.\r\n",
        ),
        (
            b"a\r\n.b\r\n..c\r\nd.\r\n",
            b"a\r\n..b\r\n...c\r\nd.\r\n.\r\n",
        ),
        (b"\r\n.\r\n", b"\r\n..\r\n.\r\n"),
    ];
    for (input, want) in cases {
        let got = encode_every_split(input, LineEndings::Strict);
        assert_eq!(got.as_deref(), Ok(*want), "{input:?}");
    }
}

#[test]
fn strict_bad() {
    use DataError::*;
    let cases: &[(&[u8], DataError)] = &[
        // mox's smtp/data_test.go cases.
        (b"bad", MissingFinalCrlf),
        (b".", MissingFinalCrlf),
        (b"bare \r is bad\r\n", BareCarriageReturn { offset: 5 }),
        (b"bare \n is bad\r\n", BareLineFeed { offset: 5 }),
        (b"\n.\nis bad\r\n", BareLineFeed { offset: 0 }),
        (b"\r.\ris bad\r\n", BareCarriageReturn { offset: 0 }),
        (b"\r\n.\ris bad\r\n", BareCarriageReturn { offset: 3 }),
        (b"\r\n.\nis bad\r\n", BareLineFeed { offset: 3 }),
        (b"\n.\ris bad\r\n", BareLineFeed { offset: 0 }),
        (b"\n.\r\nis bad\r\n", BareLineFeed { offset: 0 }),
        // Cases mox missed across chunk boundaries, and at the end.
        (b"a\rb\r\n", BareCarriageReturn { offset: 1 }),
        (b"\r\r\n", BareCarriageReturn { offset: 0 }),
        (b"a\r\n\r", BareCarriageReturn { offset: 3 }),
        (b"a\r\n\n", BareLineFeed { offset: 3 }),
    ];
    for (input, want) in cases {
        let got = encode_every_split(input, LineEndings::Strict);
        assert_eq!(got, Err(want.clone()), "{input:?}");
    }
}

#[test]
fn normalize() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b"bad", b"bad\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"a\nb", b"a\r\nb\r\n.\r\n"),
        (b"a\rb\r\n", b"a\r\nb\r\n.\r\n"),
        (b"\r\r\n", b"\r\n\r\n.\r\n"),
        (b"\n.\n", b"\r\n..\r\n.\r\n"),
        (b"\r.\r", b"\r\n..\r\n.\r\n"),
        (b"a\r\n\n.x", b"a\r\n\r\n..x\r\n.\r\n"),
        (b"ok\r\n", b"ok\r\n.\r\n"),
    ];
    for (input, want) in cases {
        let got = encode_every_split(input, LineEndings::Normalize);
        assert_eq!(got.as_deref(), Ok(*want), "{input:?}");
    }
}

#[test]
fn errors_are_sticky() {
    let mut encoder = DataEncoder::new(LineEndings::Strict);
    let mut out = Vec::new();
    let error = encoder.encode(b"a\nb", &mut out);
    assert_eq!(error, Err(DataError::BareLineFeed { offset: 1 }));
    assert_eq!(encoder.encode(b"\r\n", &mut out), error);
    assert_eq!(encoder.finish(&mut out), error);
}

#[test]
fn messages() {
    assert_eq!(
        DataError::BareLineFeed { offset: 7 }.to_string(),
        "bare line feed at byte 7"
    );
    assert_eq!(
        DataError::MissingFinalCrlf.to_string(),
        "missing crlf at end of message"
    );
}

/// Input, mode and the expected BDAT bytes.
type ChunkedCase<'a> = (&'a [u8], LineEndings, Result<&'a [u8], DataError>);

#[test]
fn chunked_has_no_dot_stuffing_and_no_final_dot() {
    let cases: &[ChunkedCase<'_>] = &[
        (b"", LineEndings::Strict, Ok(b"")),
        (b".\r\n..x\r\n", LineEndings::Strict, Ok(b".\r\n..x\r\n")),
        (b"a\nb", LineEndings::Normalize, Ok(b"a\r\nb\r\n")),
        (
            b"a\r\nb\nc\r\n",
            LineEndings::Strict,
            Err(DataError::BareLineFeed { offset: 4 }),
        ),
        (b"x", LineEndings::Strict, Err(DataError::MissingFinalCrlf)),
    ];
    for (input, mode, want) in cases {
        for cut in 0..=input.len() {
            let mut encoder = DataEncoder::chunked(*mode);
            let mut out = Vec::new();
            let got = encoder
                .encode(&input[..cut], &mut out)
                .and_then(|()| encoder.encode(&input[cut..], &mut out))
                .and_then(|()| encoder.finish(&mut out))
                .map(|()| out);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "{input:?} cut {cut}"
            );
        }
    }
}

/// The encoder's rules one byte at a time, as simply as they can be written: what
/// [`DataEncoder`] must produce, however the input is split.
fn reference(input: &[u8], mode: LineEndings, dot_stuffing: bool) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    let mut at_line_start = true;
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        if byte == b'\r' && input.get(i + 1) == Some(&b'\n') {
            out.extend_from_slice(b"\r\n");
            at_line_start = true;
            i += 2;
            continue;
        }
        if byte == b'\r' || byte == b'\n' {
            let offset = i as u64;
            match (mode, byte) {
                (LineEndings::Strict, b'\r') => {
                    return Err(DataError::BareCarriageReturn { offset });
                }
                (LineEndings::Strict, _) => return Err(DataError::BareLineFeed { offset }),
                (LineEndings::Normalize, _) => out.extend_from_slice(b"\r\n"),
            }
            at_line_start = true;
            i += 1;
            continue;
        }
        if at_line_start && dot_stuffing && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        at_line_start = false;
        i += 1;
    }
    if !at_line_start {
        match mode {
            LineEndings::Strict => return Err(DataError::MissingFinalCrlf),
            LineEndings::Normalize => out.extend_from_slice(b"\r\n"),
        }
    }
    if dot_stuffing {
        out.extend_from_slice(b".\r\n");
    }
    Ok(out)
}

#[test]
fn verbatim_takes_only_chunks_that_encode_to_themselves() {
    let mut data = DataEncoder::new(LineEndings::Strict);
    assert!(data.verbatim(b"a\r\nb.c\r\n"));
    assert!(!data.verbatim(b".a\r\n"), "a line starting with a dot");
    assert!(!data.verbatim(b"a\r\n.b\r\n"), "a line starting with a dot");
    assert!(!data.verbatim(b"a\r"), "a CR at the end waits for its LF");
    assert!(!data.verbatim(b"a\nb"), "a bare LF");
    assert!(!data.verbatim(b""));
    assert!(data.verbatim(b"tail"));
    assert!(data.verbatim(b".dot"), "a dot inside a line");
    assert_eq!(data.bytes_in(), 16);
    let mut chunked = DataEncoder::chunked(LineEndings::Strict);
    assert!(
        chunked.verbatim(b".a\r\n.b\r\n"),
        "no dot-stuffing with BDAT"
    );
    let mut out = Vec::new();
    chunked.encode(b"x\r", &mut out).unwrap();
    assert!(
        !chunked.verbatim(b"\ny\r\n"),
        "a CR held from the chunk before"
    );
}

#[test]
fn random_inputs_and_splits_match_the_reference() {
    // A fixed linear congruential generator: the same 20,000 cases on every run.
    let mut state: u64 = 0x5eed;
    let mut next = move |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound
    };
    // Mostly well-formed lines (the encoder's fast path) with some bare CR and LF (its
    // line-by-line path), and dots at line starts; every other case has only CRLF.
    const TOKENS: &[&[u8]] = &[b"a", b"b", b".", b"\r\n", b"\r\n", b"\r\n.", b"\r", b"\n"];
    for case in 0..20_000 {
        let tokens = if case % 2 == 0 {
            TOKENS.len()
        } else {
            TOKENS.len() - 2
        };
        // One case in five long enough for the encoder's 256-byte blocks.
        let length = if case % 10 < 2 { next(400) } else { next(30) };
        let input: Vec<u8> = (0..length)
            .flat_map(|_| TOKENS[next(tokens)].iter().copied())
            .collect();
        let mode = [LineEndings::Strict, LineEndings::Normalize][next(2)];
        let dot_stuffing = next(2) == 0;
        let mut encoder = if dot_stuffing {
            DataEncoder::new(mode)
        } else {
            DataEncoder::chunked(mode)
        };
        let mut out = Vec::new();
        let mut rest = &input[..];
        let got = loop {
            if rest.is_empty() {
                break encoder.finish(&mut out).map(|()| out);
            }
            let (chunk, tail) = rest.split_at(1 + next(rest.len()));
            rest = tail;
            // Half the chunks are offered as they are first (what a caller then sends
            // without copying must be exactly what `encode` would have written).
            if next(2) == 0 && encoder.verbatim(chunk) {
                out.extend_from_slice(chunk);
            } else if let Err(error) = encoder.encode(chunk, &mut out) {
                break Err(error);
            }
        };
        let want = reference(&input, mode, dot_stuffing);
        assert_eq!(got, want, "{input:?} {mode:?} dot-stuffing {dot_stuffing}");
    }
}
