//! Secrets never reach logs, errors or JSON: `host-example send -vv --json` with AUTH PLAIN
//! (password from `--password-file`) and AUTH LOGIN (from `SMTP_PASSWORD`) against a scripted
//! STARTTLS server (rustls, an rcgen certificate, `--no-verify`) that reads the credentials
//! and refuses them with 535. The server checks that it did receive the password, the
//! client's stdout and stderr must not contain it, in clear or base64 (RFC 4954 §4, RFC 4616,
//! the LOGIN mechanism).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::Arc;
use std::thread::JoinHandle;

const USER: &str = "user@example.net";
const PASSWORD: &str = "S3cr3t-P4ss";

fn tls_config() -> Arc<ServerConfig> {
    let key = rcgen::KeyPair::generate().expect("a key");
    let cert = rcgen::CertificateParams::new(vec!["mx.example.net".to_string()])
        .expect("certificate parameters")
        .self_signed(&key)
        .expect("a certificate");
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a key");
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], der)
            .expect("a server configuration"),
    )
}

/// Reads one line (CRLF stripped); `None` at EOF.
fn line(reader: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_string()),
    }
}

/// After TLS: EHLO, then the AUTH exchange of `mechanism`, refused with 535; returns the
/// base64 lines that carried the password.
fn serve_auth<S: Read + Write>(stream: S, mechanism: &str) -> Vec<String> {
    let mut stream = BufReader::new(stream);
    let send = |stream: &mut BufReader<S>, text: &str| {
        let _ = stream.get_mut().write_all(format!("{text}\r\n").as_bytes());
        let _ = stream.get_mut().flush();
    };
    assert!(line(&mut stream).is_some_and(|l| l.starts_with("EHLO ")));
    send(&mut stream, "250-mx.example.net\r\n250 AUTH PLAIN LOGIN");
    let auth = line(&mut stream).expect("AUTH");
    let mut sent = Vec::new();
    match mechanism {
        "PLAIN" => {
            let initial = auth
                .strip_prefix("AUTH PLAIN ")
                .expect("an initial response");
            sent.push(initial.to_string());
        }
        _ => {
            assert_eq!(auth, "AUTH LOGIN");
            send(&mut stream, "334 VXNlcm5hbWU6");
            line(&mut stream).expect("the user name");
            send(&mut stream, "334 UGFzc3dvcmQ6");
            sent.push(line(&mut stream).expect("the password"));
        }
    }
    send(&mut stream, "535 5.7.8 authentication credentials invalid");
    if line(&mut stream).is_some_and(|l| l == "QUIT") {
        send(&mut stream, "221 2.0.0 bye");
    }
    sent
}

/// A STARTTLS server for one connection; its thread returns what [`serve_auth`] returns.
fn server(mechanism: &'static str) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let config = tls_config();
    let handle = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().expect("accept");
        tcp.write_all(b"220 mx.example.net ESMTP\r\n")
            .expect("greeting");
        let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
        assert!(line(&mut reader).is_some_and(|l| l.starts_with("EHLO ")));
        tcp.write_all(b"250-mx.example.net\r\n250 STARTTLS\r\n")
            .expect("EHLO reply");
        assert_eq!(line(&mut reader).as_deref(), Some("STARTTLS"));
        tcp.write_all(b"220 2.0.0 ready\r\n")
            .expect("STARTTLS reply");
        let tcp: TcpStream = tcp;
        let tls = StreamOwned::new(ServerConnection::new(config).expect("a connection"), tcp);
        serve_auth(tls, mechanism)
    });
    (port, handle)
}

fn send(port: u16, mechanism: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let server = format!("127.0.0.1:{port}");
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        "starttls",
        "--no-verify",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--user",
        USER,
        "--auth",
        mechanism,
        "--timeout",
        "10",
        "--json",
        "-vv",
    ];
    args.extend_from_slice(extra);
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
    command.args(&args).env_remove("SMTP_PASSWORD");
    for (key, value) in env {
        command.env(key, value);
    }
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"Subject: secrets\r\n\r\nbody\r\n")?;
            child.wait_with_output()
        })
        .expect("host-example runs")
}

/// The password in clear and in every base64 form the mechanisms send.
fn forms() -> Vec<String> {
    vec![
        PASSWORD.to_string(),
        STANDARD.encode(PASSWORD),
        STANDARD.encode(format!("\0{USER}\0{PASSWORD}")),
        STANDARD.encode(format!("{USER}\0{USER}\0{PASSWORD}")),
    ]
}

fn check(mechanism: &'static str, extra: &[&str], env: &[(&str, &str)]) {
    let (port, handle) = server(mechanism);
    let output = send(port, mechanism, extra, env);
    let sent = handle.join().expect("the server thread");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The exchange happened: the server got the password, and the client reports the 535.
    let decoded: Vec<Vec<u8>> = sent
        .iter()
        .map(|s| STANDARD.decode(s).expect("base64 from the client"))
        .collect();
    assert!(
        decoded.iter().any(|d| d.ends_with(PASSWORD.as_bytes())),
        "{mechanism}: the server never got the password: {sent:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(json["error"]["kind"], "auth", "{json}");
    assert_eq!(json["error"]["code"], 535, "{json}");
    assert_eq!(output.status.code(), Some(69), "{stderr}");
    assert!(stderr.contains("AUTH"), "no transcript with -vv: {stderr}");
    for form in forms().iter().chain(&sent) {
        assert!(
            !stdout.contains(form.as_str()),
            "{form:?} on stdout: {stdout}"
        );
        assert!(
            !stderr.contains(form.as_str()),
            "{form:?} on stderr: {stderr}"
        );
    }
}

#[test]
fn plain_password_from_a_file_stays_out_of_output() {
    let path = std::env::temp_dir().join(format!("secrets-{}", std::process::id()));
    std::fs::write(&path, format!("{PASSWORD}\n")).expect("password file");
    let file = path.to_string_lossy().into_owned();
    check("PLAIN", &["--password-file", &file], &[]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn login_password_from_the_environment_stays_out_of_output() {
    check("LOGIN", &[], &[("SMTP_PASSWORD", PASSWORD)]);
}
