//! The Python host (`hosts/python`, the component on the `wasmtime` wheel) against the real
//! peers host-example is tested with: `python -m smtpclient ... --json` as a subprocess, its
//! JSON report and exit code asserted.
//!
//! - The Python host loads the byte-identical component: the SHA-256 its `--version` prints is
//!   that of host-example's embedded component.
//! - Submission to a real Postfix with STARTTLS (PKIX against a test root) and AUTH; a wrong
//!   password is a permanent `auth` failure.
//! - MX delivery through validating Unbound and signed zones with DANE: the TLSA record that
//!   verified the server is reported and Postfix stored the message byte for byte; a TLSA
//!   record that matches nothing is refused (temporary `dane`, no plaintext retry) and nothing
//!   is stored.
//! - Hostile servers: scenarios of `tests/hostile/*.scn` (the steps of `support/scripted.rs`)
//!   with the expectations written there, each ending within its deadline.
//! - Bad input: a missing message file (66), an unreachable server (75, `io`), a malformed
//!   address (69, `address`), a guest trap (70); and the same through the Python API as typed
//!   exceptions. The API's session sends three messages on one connection.
//! - The package's own unit tests (`hosts/python/tests`: the `tcp` and `resolver` imports).
//!
//! The interpreter is the peers' venv (`SMTPCLIENT_PEER_PYTHON`), where
//! `scripts/install-peers.sh` installs the `wasmtime` wheel and dnspython; the package runs
//! from the repository (`PYTHONPATH=hosts/python`). Runs only with the real peers
//! (`scripts/test.sh` as root), group "python".

mod support;

#[path = "support/scripted.rs"]
mod scripted;

#[path = "support/hostile_scenarios.rs"]
mod hostile_scenarios;

use scripted::{Scripted, Step, parse_step};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use support::{Postfix, TempDir, json_report, mail_peers, peers_enabled, wait_for};

/// Python clients running at once (2 cores).
const PARALLEL: usize = 4;

/// The package directory.
fn package_dir() -> PathBuf {
    support::repo_dir().join("hosts/python")
}

/// True when the peers (and so the Python host's venv) are there; panics when the venv lacks
/// the host's packages, which `scripts/install-peers.sh` installs.
fn python_ready() -> bool {
    if !peers_enabled("python") {
        return false;
    }
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let output = Command::new(support::peer_python())
            .args(["-c", "import wasmtime, dns.message"])
            .output()
            .expect("the peers' python runs");
        assert!(
            output.status.success(),
            "{} lacks the wasmtime wheel or dnspython (scripts/install-peers.sh installs them): {}",
            support::peer_python().display(),
            String::from_utf8_lossy(&output.stderr)
        );
    });
    true
}

/// `python <args>` with the package importable and no password in the environment.
fn python(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(support::peer_python());
    command
        .args(args)
        .current_dir(package_dir())
        .env("PYTHONPATH", package_dir())
        .env_remove("SMTP_PASSWORD")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// `python -m smtpclient <args>`.
fn smtpclient(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all = vec!["-m", "smtpclient"];
    all.extend_from_slice(args);
    python(&all, env).output().expect("python runs")
}

fn temp_dir() -> &'static TempDir {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| TempDir::new("host-python"))
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir().path().join(name);
    std::fs::write(&path, bytes).expect("writing a temporary file");
    path
}

/// A message with a token, a line that needs dot-stuffing and trailing blanks; with Date
/// and Message-ID, so that Postfix adds no header of its own below ours.
fn message(token: &str) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nTo: {token}@example.net\r\nSubject: {token}\r\n\
         Date: Fri, 04 Dec 2026 12:00:00 +0000\r\nMessage-ID: <{token}@example.org>\r\n\r\n\
         body {token}\r\n.a line with a leading dot\r\n..two dots\r\ntrailing blanks  \r\n"
    )
    .into_bytes()
}

/// The stored messages with `Subject: <token>`.
fn stored(token: &str) -> Vec<Vec<u8>> {
    let subject = format!("Subject: {token}\n");
    mail_peers()
        .postfix
        .messages_now()
        .into_iter()
        .filter(|m| String::from_utf8_lossy(m).contains(&subject))
        .collect()
}

/// Waits until Postfix stored the message with `token` and returns it.
fn wait_stored(token: &str) -> Vec<u8> {
    wait_for(Duration::from_secs(20), || stored(token).into_iter().next())
        .unwrap_or_else(|| panic!("{token} not stored:\n{}", mail_peers().postfix.log()))
}

/// Postfix stores with LF line endings after the headers it prepends: what follows them must
/// be the message exactly.
fn assert_stored_exactly(stored: &[u8], sent: &[u8]) {
    let sent = String::from_utf8_lossy(sent).replace("\r\n", "\n");
    let stored = String::from_utf8_lossy(stored);
    let start = stored
        .find("From: a@example.org\n")
        .unwrap_or_else(|| panic!("our first header is not in:\n{stored}"));
    assert_eq!(&stored[start..], sent, "stored:\n{stored}");
}

#[test]
fn loads_the_component_host_example_embeds() {
    if !python_ready() {
        return;
    }
    let output = smtpclient(&["--version"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = stdout
        .split_whitespace()
        .skip_while(|word| *word != "sha256")
        .nth(1)
        .unwrap_or_else(|| panic!("no sha256 in {stdout:?}"));
    let embedded: String = Sha256::digest(host_example::EMBEDDED_COMPONENT)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(printed, embedded, "{stdout}");
    assert!(stdout.contains("wasmtime 50.0.1"), "{stdout}");
}

#[test]
fn python_unit_tests_of_the_imports() {
    if !python_ready() {
        return;
    }
    let started = Instant::now();
    let output = python(
        &["-m", "unittest", "discover", "-s", "tests", "-t", "."],
        &[],
    )
    .output()
    .expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");
    eprintln!("python unit tests in {:.1?}", started.elapsed());
}

/// `send` to Postfix's submission port: STARTTLS required, PKIX with the test certificate
/// as root, AUTH as the test user with the password from a file.
fn submit(token: &str, password: &str) -> Output {
    let peers = mail_peers();
    let server = format!("127.0.0.1:{}", peers.postfix.submission_port());
    let message = temp_file(&format!("{token}.eml"), &message(token));
    let password = temp_file(
        &format!("{token}.password"),
        format!("{password}\n").as_bytes(),
    );
    let cert = peers.certs.cert();
    let to = format!("{token}@example.net");
    smtpclient(
        &[
            "send",
            "--server",
            &server,
            "--tls",
            "starttls",
            "--ca",
            cert.to_str().unwrap(),
            "--user",
            Postfix::USER,
            "--password-file",
            password.to_str().unwrap(),
            "--from",
            "a@example.org",
            "--to",
            &to,
            "--message",
            message.to_str().unwrap(),
            "--timeout",
            "30",
            "--json",
        ],
        &[],
    )
}

#[test]
fn submission_with_starttls_and_auth_to_postfix() {
    if !(python_ready() && peers_enabled("postfix")) {
        return;
    }
    let token = "py-submission-3c1e";
    let report = json_report(&submit(token, Postfix::PASSWORD), 0);
    assert_eq!(report["status"], "delivered");
    let recipient = &report["recipients"][0];
    assert_eq!(recipient["status"], "delivered");
    assert_eq!(recipient["code"], 250);
    // Replies whole, as the server sent them (contract 0.2).
    let line = recipient["lines"][0].as_str().unwrap();
    assert!(line.starts_with("250 "), "{report}");
    assert_eq!(report["tls"]["version"], "TLSv1.3");
    assert_eq!(report["tls"]["pkix_valid"], true);
    assert_eq!(report["tls"]["dane_verified_record"], Value::Null);
    let extensions = report["server"]["extensions"].as_array().unwrap();
    assert!(
        extensions
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("AUTH ")),
        "{report}"
    );
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
    assert_stored_exactly(&wait_stored(token), &message(token));
    let logged = wait_for(Duration::from_secs(10), || {
        let log = mail_peers().postfix.log();
        log.contains(&format!("sasl_username={}", Postfix::USER))
            .then_some(())
    });
    assert!(
        logged.is_some(),
        "no AUTH in the log:\n{}",
        mail_peers().postfix.log()
    );
}

#[test]
fn wrong_password_is_a_permanent_auth_failure() {
    if !(python_ready() && peers_enabled("postfix")) {
        return;
    }
    let token = "py-wrong-password";
    let report = json_report(&submit(token, "not the password"), 69);
    assert_eq!(report["status"], "permanent");
    assert_eq!(report["error"]["kind"], "auth");
    assert_eq!(report["error"]["permanent"], true);
    assert_eq!(report["error"]["command"], "auth");
    assert_eq!(report["error"]["code"], 535);
    assert!(stored(token).is_empty());
}

/// `deliver` through the test's validating Unbound to Postfix's MX port.
fn deliver(token: &str, to: &str) -> Output {
    let peers = mail_peers();
    let message = temp_file(&format!("{token}.eml"), &message(token));
    let dns = peers.dns.resolver().to_string();
    let port = peers.postfix.smtp_port().to_string();
    let cache = TempDir::new("sts-cache");
    smtpclient(
        &[
            "deliver",
            "--dns",
            &dns,
            "--port",
            &port,
            "--allow-private-addresses",
            "--sts-cache",
            cache.path().to_str().unwrap(),
            "--from",
            "sender@client.example.test",
            "--ehlo",
            "client.example.test",
            "--to",
            to,
            "--message",
            message.to_str().unwrap(),
            "--timeout",
            "10",
            "--json",
        ],
        &[],
    )
}

#[test]
fn mx_delivery_with_dane_to_postfix() {
    if !(python_ready() && peers_enabled("postfix") && peers_enabled("dns")) {
        return;
    }
    let token = "py-dane-5b07";
    let report = json_report(&deliver(token, "a@example.test"), 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["recipients"][0]["code"], 250);
    assert_eq!(report["server"]["host"], "mx.example.test");
    assert_eq!(
        report["tls"]["dane_verified_record"],
        format!("3 1 1 {}", mail_peers().certs.tlsa311()).as_str()
    );
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{report}");
    assert_eq!(attempts[0]["error"], Value::Null);
    let tlsrpt = report["tlsrpt"].as_array().unwrap();
    assert!(
        tlsrpt.iter().any(|r| r["policy"]["policy-type"] == "tlsa"
            && r["summary"]["total-successful-session-count"] == 1),
        "{report}"
    );
    assert_stored_exactly(&wait_stored(token), &message(token));
}

#[test]
fn wrong_tlsa_record_is_refused_and_nothing_stored() {
    if !(python_ready() && peers_enabled("postfix") && peers_enabled("dns")) {
        return;
    }
    let token = "py-badtlsa-91d2";
    let report = json_report(&deliver(token, "a@badtlsa.example.test"), 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["recipients"][0]["status"], "temporary");
    assert_eq!(report["error"]["kind"], "dane");
    assert_eq!(report["error"]["permanent"], false);
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "no plaintext retry: {report}");
    assert_eq!(attempts[0]["error"]["kind"], "dane");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        stored(token).is_empty(),
        "stored despite the wrong TLSA record"
    );
}

/// The Python API: three messages on one session (`smtpclient.connect`, `Session.send`).
#[test]
fn api_session_sends_three_messages_on_one_connection() {
    if !(python_ready() && peers_enabled("postfix")) {
        return;
    }
    let peers = mail_peers();
    let tokens = ["py-session-a1", "py-session-b2", "py-session-c3"];
    let script = format!(
        r#"
import json, smtpclient
statuses = []
with smtpclient.connect("127.0.0.1:{port}", tls="starttls", ca=smtpclient.pem_certificates("{ca}"),
                        username="{user}", password="{password}", timeout=30) as session:
    for token in {tokens:?}:
        message = ("From: a@example.org\r\nSubject: %s\r\n\r\n%s\r\n" % (token, token)).encode()
        statuses.append(session.send("a@example.org", [token + "@example.net"], message).status)
print(json.dumps(statuses))
"#,
        port = peers.postfix.submission_port(),
        ca = peers.certs.cert().display(),
        user = Postfix::USER,
        password = Postfix::PASSWORD,
    );
    let output = python(&["-c", &script], &[]).output().expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let statuses: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        statuses,
        serde_json::json!(["delivered", "delivered", "delivered"])
    );
    for token in tokens {
        wait_stored(token);
    }
    // One SMTP session with three transactions in Postfix's summary of the connection
    // ("... auth=1 mail=3 rcpt=3 bdat=3 quit=1 ...": Postfix offers CHUNKING).
    let logged = wait_for(Duration::from_secs(10), || {
        peers
            .postfix
            .log()
            .contains(" auth=1 mail=3 rcpt=3 ")
            .then_some(())
    });
    assert!(logged.is_some(), "{}", peers.postfix.log());
}

// ---- bad input -------------------------------------------------------------------------------

#[test]
fn missing_message_file_exits_66() {
    if !python_ready() {
        return;
    }
    let output = smtpclient(
        &[
            "send",
            "--server",
            "127.0.0.1:25",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            "/nonexistent/message.eml",
            "--json",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(66), "{stderr}");
    assert!(stderr.contains("/nonexistent/message.eml"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
}

#[test]
fn unreachable_server_is_a_temporary_io_failure() {
    if !python_ready() {
        return;
    }
    let port = support::free_port().to_string();
    let message = temp_file("unreachable.eml", &message("unreachable"));
    let output = smtpclient(
        &[
            "send",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            message.to_str().unwrap(),
            "--timeout",
            "5",
            "--json",
        ],
        &[],
    );
    let report = json_report(&output, 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["error"]["kind"], "io");
    assert_eq!(report["error"]["permanent"], false);
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
}

/// Runs `args` (`send` flags without `--server`) against a scripted server; `None` when the
/// client never connected.
async fn against_script(
    steps: Vec<Step>,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> (Output, Option<Duration>, Result<(), String>) {
    let server = Scripted::bind().await;
    let mut all = vec![
        "send".to_string(),
        "--server".to_string(),
        format!("127.0.0.1:{}", server.port()),
    ];
    all.extend(args);
    let accepted = Arc::new(OnceLock::new());
    let serving = tokio::spawn(server.serve(steps, accepted.clone()));
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        smtpclient(&args, &env)
    })
    .await
    .expect("the client task");
    let elapsed = accepted.get().map(Instant::elapsed);
    // The script may still sleep; a finished script must have seen what it expected.
    let script = match tokio::time::timeout(Duration::from_millis(500), serving).await {
        Ok(result) => result.expect("the server task"),
        Err(_) => Ok(()),
    };
    (output, elapsed, script)
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_address_is_a_permanent_address_error() {
    if !python_ready() {
        return;
    }
    let steps = [
        "S: 220 mx.example.net ESMTP",
        "C: EHLO",
        "S: 250 mx.example.net",
        "C: QUIT",
        "S: 221 bye",
    ]
    .iter()
    .flat_map(|line| parse_step(line).expect("a step"))
    .collect();
    let message = temp_file("address.eml", &message("address"));
    let args = [
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "b@exa\rmple.net",
        "--message",
        message.to_str().unwrap(),
        "--timeout",
        "5",
        "--json",
    ];
    let (output, _, script) =
        against_script(steps, args.map(String::from).to_vec(), Vec::new()).await;
    let report = json_report(&output, 69);
    assert_eq!(report["status"], "permanent", "{report}");
    assert_eq!(report["error"]["kind"], "address", "{report}");
    assert_eq!(report["error"]["permanent"], true);
    script.expect("no MAIL or RCPT was sent");
}

#[test]
fn guest_trap_exits_70_with_one_line() {
    if !python_ready() {
        return;
    }
    let message = temp_file("trap.eml", &message("trap"));
    let port = support::free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    // The component runs out of fuel at once: a trap inside the guest.
    let output = smtpclient(
        &[
            "send",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            message.to_str().unwrap(),
            "--json",
        ],
        &[("SMTPCLIENT_GUEST_FUEL", "1000")],
    );
    drop(listener);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(70), "{stderr}");
    assert!(stderr.contains("fuel"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(output.stdout.is_empty());
}

/// The Python API: each bad input is its exception type with the structured error. A small
/// server in the script answers the greeting and EHLO, then QUIT, for the malformed address
/// and the trap.
#[test]
fn api_raises_typed_exceptions() {
    if !python_ready() {
        return;
    }
    let port = support::free_port();
    let script = format!(
        r#"
import json, os, socket, threading, smtpclient

listener = socket.create_server(("127.0.0.1", 0))
def serve():
    while True:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 mx.example.net ESMTP\r\n")
            for line in lines:
                if line.upper().startswith(b"EHLO"):
                    conn.sendall(b"250 mx.example.net\r\n")
                elif line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"500 unexpected\r\n")
threading.Thread(target=serve, daemon=True).start()
server = "127.0.0.1:%d" % listener.getsockname()[1]

def case(f):
    try:
        f()
    except smtpclient.SmtpClientError as e:
        return {{"type": type(e).__name__, "kind": e.kind, "permanent": e.permanent,
                "command": e.command, "report": e.report is not None}}
    return None
message = b"Subject: x\r\n\r\nx\r\n"
cases = {{
    "missing": case(lambda: smtpclient.send(server, "a@example.org", ["b@example.net"],
                                            "/nonexistent/message.eml")),
    "unreachable": case(lambda: smtpclient.send("127.0.0.1:{port}", "a@example.org", ["b@example.net"],
                                                message, tls="none", timeout=5)),
    "address": case(lambda: smtpclient.send(server, "a@example.org", ["b@exa\rmple.net"], message,
                                            tls="none", timeout=5)),
    "usage": case(lambda: smtpclient.send(server, "a@example.org", ["b@example.net"], message,
                                          tlsa=["3 1 1 zz"])),
    "component": case(lambda: smtpclient.send(server, "a@example.org", ["b@example.net"], message,
                                              component="/nonexistent/component.wasm")),
}}
os.environ["SMTPCLIENT_GUEST_FUEL"] = "1000"
cases["trap"] = case(lambda: smtpclient.send(server, "a@example.org", ["b@example.net"], message,
                                             tls="none", timeout=5))
print(json.dumps(cases))
"#
    );
    let output = python(&["-c", &script], &[]).output().expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let cases: Value = serde_json::from_slice(&output.stdout).expect("json");
    let want = |type_: &str, kind: &str, permanent: bool, command: Value, report: bool| {
        serde_json::json!({"type": type_, "kind": kind, "permanent": permanent, "command": command,
                           "report": report})
    };
    let none = Value::Null;
    assert_eq!(
        cases["missing"],
        want("MessageUnavailable", "usage", true, none.clone(), false)
    );
    assert_eq!(
        cases["unreachable"],
        want("NotDelivered", "io", false, none.clone(), true)
    );
    assert_eq!(
        cases["address"],
        want("NotDelivered", "address", true, "rcptto".into(), true),
        "{cases}"
    );
    assert_eq!(
        cases["usage"],
        want("UsageError", "usage", true, none.clone(), false)
    );
    assert_eq!(
        cases["component"],
        want(
            "ComponentUnavailable",
            "internal",
            false,
            none.clone(),
            false
        )
    );
    assert_eq!(
        cases["trap"],
        want("ComponentError", "internal", false, none, false)
    );
}

// ---- hostile servers -------------------------------------------------------------------------

/// The scenarios of `tests/hostile` run here: one or two of each file, with the flags,
/// environment and expectations written there. None with the 64 MiB message: the wheel moves
/// a `list<u8>` through wasmtime's C API as one 32-byte value per byte (about 4 MB/s here), so
/// filling the socket buffers takes longer than the scenarios' margin.
const SCENARIOS: &[&str] = &[
    "greeting/never-comes",
    "greeting/421",
    "greeting/554",
    "greeting/continuation-lines-never-end",
    "greeting/closed-mid-multiline",
    "greeting/byte-by-byte-within-the-deadline",
    "ehlo/ehlo-500-helo-550",
    "ehlo/size-of-1",
    "auth/auth-535",
    "auth/endless-334",
    "data/final-reply-glued-to-the-354",
    "data/354-then-silence",
    "bdat/bdat-554",
    "tls/starttls-220-plus-injected-bytes",
    "tls/downgrade-220-then-silence",
    "transaction/final-554",
];

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers() {
    if !python_ready() {
        return;
    }
    let scenarios: Vec<_> = hostile_scenarios::scenarios()
        .into_iter()
        .filter(|scenario| SCENARIOS.contains(&scenario.name.as_str()))
        .collect();
    assert_eq!(
        scenarios.len(),
        SCENARIOS.len(),
        "every listed scenario exists"
    );
    let client: hostile_scenarios::Client = Arc::new(|| python(&["-m", "smtpclient"], &[]));
    let failures = hostile_scenarios::run_all(client, scenarios, PARALLEL).await;
    assert!(failures.is_empty(), "failed: {failures:?}");
}
