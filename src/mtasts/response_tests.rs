use super::*;

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n";

/// Feeds `response` split at every position (two pushes), then as single bytes; all
/// outcomes must be equal. `eof` closes the connection after the last byte.
fn parse_all_splits(response: &[u8], eof: bool) -> Result<Vec<u8>, FetchError> {
    let run = |chunks: &[&[u8]]| {
        let mut parser = ResponseParser::default();
        for chunk in chunks {
            if let Some(body) = parser.push(chunk)? {
                return Ok(body);
            }
        }
        if eof {
            parser.eof()
        } else {
            Err(FetchError::Closed)
        }
    };
    let whole = run(&[response]);
    for i in 0..=response.len() {
        let (a, b) = response.split_at(i);
        assert_eq!(run(&[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = response.chunks(1).collect();
    assert_eq!(run(&bytes), whole, "one byte at a time");
    whole
}

fn ok(header: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\n{header}\r\n{body}").into_bytes()
}

#[test]
fn content_length_body() {
    let response = ok(
        &format!(
            "Content-Type: text/plain\r\nContent-Length: {}\r\n",
            POLICY.len()
        ),
        POLICY,
    );
    assert_eq!(
        parse_all_splits(&response, false).unwrap(),
        POLICY.as_bytes()
    );
    // Bytes after the body are ignored.
    let mut more = response.clone();
    more.extend_from_slice(b"garbage");
    assert_eq!(parse_all_splits(&more, false).unwrap(), POLICY.as_bytes());
}

#[test]
fn chunked_body() {
    let (a, b) = POLICY.split_at(20);
    let body = format!(
        "{:x}\r\n{a}\r\n{:X};ext=1\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let response = ok(
        "Content-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\n",
        &body,
    );
    assert_eq!(
        parse_all_splits(&response, false).unwrap(),
        POLICY.as_bytes()
    );
    let trailers = format!(
        "{:x}\r\n{POLICY}\r\n0\r\nX-Trailer: 1\r\n\r\n",
        POLICY.len()
    );
    let response = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        &trailers,
    );
    assert_eq!(
        parse_all_splits(&response, false).unwrap(),
        POLICY.as_bytes()
    );
}

#[test]
fn chunked_errors() {
    let bad_size = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        "zz\r\n",
    );
    assert!(matches!(
        parse_all_splits(&bad_size, false),
        Err(FetchError::Http { .. })
    ));
    let no_crlf = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        "3\r\nabcX\r\n",
    );
    assert!(matches!(
        parse_all_splits(&no_crlf, false),
        Err(FetchError::Http { .. })
    ));
    let gzip = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n",
        "",
    );
    assert!(matches!(
        parse_all_splits(&gzip, false),
        Err(FetchError::Http { .. })
    ));
    // The connection closes inside a chunk.
    let cut = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        "10\r\nabc",
    );
    assert_eq!(parse_all_splits(&cut, true), Err(FetchError::Closed));
}

#[test]
fn until_close() {
    let response = ok("Content-Type: TEXT/PLAIN\r\n", POLICY);
    assert_eq!(
        parse_all_splits(&response, true).unwrap(),
        POLICY.as_bytes()
    );
    // Content-Length bodies are not complete at close.
    let short = ok(
        "Content-Type: text/plain\r\nContent-Length: 500\r\n",
        POLICY,
    );
    assert_eq!(parse_all_splits(&short, true), Err(FetchError::Closed));
    assert_eq!(
        parse_all_splits(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl", true),
        Err(FetchError::Closed)
    );
}

#[test]
fn interim_responses_are_skipped() {
    let mut response = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    response.extend(ok(
        &format!(
            "Content-Type: text/plain\r\nContent-Length: {}\r\n",
            POLICY.len()
        ),
        POLICY,
    ));
    assert_eq!(
        parse_all_splits(&response, false).unwrap(),
        POLICY.as_bytes()
    );
}

#[test]
fn redirects_and_statuses_are_refused() {
    for code in [301, 302, 303, 307, 308] {
        let response =
            format!("HTTP/1.1 {code} Moved\r\nLocation: https://elsewhere.example/p\r\n\r\n");
        assert_eq!(
            parse_all_splits(response.as_bytes(), true),
            Err(FetchError::Redirect {
                code,
                location: Some("https://elsewhere.example/p".into())
            })
        );
    }
    for code in [204, 404, 500] {
        let response = format!("HTTP/1.1 {code} X\r\nContent-Type: text/plain\r\n\r\n");
        assert_eq!(
            parse_all_splits(response.as_bytes(), true),
            Err(FetchError::Status { code })
        );
    }
    assert!(matches!(
        parse_all_splits(b"SMTP/1.0 220 hello\r\n\r\n", true),
        Err(FetchError::Http { .. })
    ));
}

#[test]
fn content_type_must_be_text_plain() {
    for (header, found) in [
        ("", None),
        ("Content-Type: text/html\r\n", Some("text/html")),
        ("Content-Type: text/plainx\r\n", Some("text/plainx")),
        (
            "Content-Type: application/octet-stream\r\n",
            Some("application/octet-stream"),
        ),
    ] {
        let response = ok(header, POLICY);
        assert_eq!(
            parse_all_splits(&response, true),
            Err(FetchError::ContentType {
                found: found.map(String::from)
            }),
            "{header}"
        );
    }
    for header in [
        "Content-Type: text/plain;charset=us-ascii\r\n",
        "content-type:  Text/Plain ; charset=\"utf-8\"\r\n",
    ] {
        assert!(
            parse_all_splits(&ok(header, POLICY), true).is_ok(),
            "{header}"
        );
    }
}

#[test]
fn caps() {
    let max = MAX_POLICY_SIZE;
    let body = "a".repeat(max);
    let exact = ok(
        &format!("Content-Type: text/plain\r\nContent-Length: {max}\r\n"),
        &body,
    );
    let mut parser = ResponseParser::default();
    assert_eq!(parser.push(&exact).unwrap().map(|b| b.len()), Some(max));
    let too_big = ok(
        &format!(
            "Content-Type: text/plain\r\nContent-Length: {}\r\n",
            max + 1
        ),
        "",
    );
    assert_eq!(parse_all_splits(&too_big, false), Err(super::too_big()));
    let huge = ok(
        "Content-Type: text/plain\r\nContent-Length: 99999999999999999999999\r\n",
        "",
    );
    assert_eq!(parse_all_splits(&huge, false), Err(super::too_big()));
    let mut close = ok("Content-Type: text/plain\r\n", &body);
    close.push(b'a');
    let mut parser = ResponseParser::default();
    assert_eq!(parser.push(&close), Err(super::too_big()));
    let chunks = format!("{max:x}\r\n{body}\r\n1\r\na\r\n0\r\n\r\n");
    let chunked = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        &chunks,
    );
    let mut parser = ResponseParser::default();
    assert_eq!(parser.push(&chunked), Err(super::too_big()));
    let big_chunk = ok(
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        &format!("{:x}\r\n", max + 1),
    );
    let mut parser = ResponseParser::default();
    assert_eq!(parser.push(&big_chunk), Err(super::too_big()));
    let mut parser = ResponseParser::default();
    let long_header = format!("HTTP/1.1 200 OK\r\nX: {}", "a".repeat(MAX_HEADER));
    assert_eq!(
        parser.push(long_header.as_bytes()),
        Err(FetchError::TooBig {
            what: "header",
            max: MAX_HEADER
        })
    );
}

#[test]
fn content_length_errors() {
    for header in [
        "Content-Length: 1\r\nContent-Length: 2\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: \r\n",
        "Content-Length: 1, 1\r\n",
    ] {
        let response = ok(&format!("Content-Type: text/plain\r\n{header}"), "x");
        assert!(
            matches!(
                parse_all_splits(&response, true),
                Err(FetchError::Http { .. })
            ),
            "{header}"
        );
    }
    let same = ok(
        "Content-Type: text/plain\r\nContent-Length: 1\r\nContent-Length: 1\r\n",
        "x",
    );
    assert_eq!(parse_all_splits(&same, false).unwrap(), b"x");
}
