//! Hostile-server scenarios as data (`tests/hostile/*.scn`, the steps of `scripted.rs`) and
//! how one is run against a command line: a scripted server on 127.0.0.1, the client's
//! `send --json --timeout 2`, its JSON report and exit code checked against the scenario's
//! expectations, and the time from the connection to the client's exit bounded. Shared by
//! `hostile.rs` (host-example) and `host_node.rs` (the Node.js host); include it after
//! `scripted.rs` (`#[path = "support/hostile_scenarios.rs"]`).
//!
//! Scenario format, in addition to the script steps:
//!
//! ```text
//! === name
//! send: FLAGS          extra `send` flags; `--message big` is a 64 MiB message
//! env: KEY=VALUE       environment of the client
//! expect: key=value…   status, kind, command, code, permanent, exit of the JSON report
//! ```

use crate::scripted::{Scripted, Step, parse_step};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Every per-phase deadline of the client (`--timeout`).
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// Closing, process exit, a loaded machine.
const MARGIN: Duration = Duration::from_secs(2);

/// The client under test: a command to which the `send` arguments are appended.
pub type Client = Arc<dyn Fn() -> Command + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    flags: Vec<String>,
    env: Vec<(String, String)>,
    steps: Vec<Step>,
    expect: Vec<(String, String)>,
}

fn parse(file: &str, text: &str) -> Vec<Scenario> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("=== ") {
            scenarios.push(Scenario {
                name: format!("{file}/{name}"),
                flags: Vec::new(),
                env: Vec::new(),
                steps: Vec::new(),
                expect: Vec::new(),
            });
            continue;
        }
        let scenario = scenarios
            .last_mut()
            .unwrap_or_else(|| panic!("{file}:{}: outside a scenario", i + 1));
        if let Some(flags) = line.strip_prefix("send:") {
            scenario
                .flags
                .extend(flags.split_whitespace().map(String::from));
        } else if let Some(env) = line.strip_prefix("env:") {
            let (key, value) = env.trim().split_once('=').expect("env: KEY=VALUE");
            scenario.env.push((key.into(), value.into()));
        } else if let Some(expect) = line.strip_prefix("expect:") {
            for token in expect.split_whitespace() {
                let (key, value) = token.split_once('=').expect("expect: key=value");
                scenario.expect.push((key.into(), value.into()));
            }
        } else if let Some(steps) = parse_step(line) {
            scenario.steps.extend(steps);
        } else {
            panic!("{file}:{}: unknown line {line:?}", i + 1);
        }
    }
    for scenario in &scenarios {
        assert!(
            !scenario.expect.is_empty(),
            "{}: no expectation",
            scenario.name
        );
    }
    scenarios
}

/// Every scenario of `tests/hostile/*.scn`, by file name and order.
pub fn scenarios() -> Vec<Scenario> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let name = path.file_stem().expect("a name").to_string_lossy();
            parse(
                &name,
                &std::fs::read_to_string(path).expect("a scenario file"),
            )
        })
        .collect()
}

/// Message files: "small" and a 64 MiB "big" one (more than loopback socket buffers hold).
struct Messages {
    dir: PathBuf,
}

impl Messages {
    fn create() -> Messages {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hostile-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(
            dir.join("small"),
            b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hostile\r\n\r\nbody\r\n",
        )
        .expect("small message");
        let line = [b"x".repeat(998), b"\r\n".to_vec()].concat();
        std::fs::write(dir.join("big"), line.repeat(64 << 10)).expect("big message");
        Messages { dir }
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The command line of one scenario.
fn args(scenario: &Scenario, port: u16, messages: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["send", "--server", &format!("127.0.0.1:{port}")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let has = |flag: &str| scenario.flags.iter().any(|f| f == flag);
    let defaults = [
        ("--tls", "none"),
        ("--from", "a@example.org"),
        ("--to", "b@example.net"),
        ("--message", "small"),
        ("--timeout", "2"),
    ];
    for (flag, value) in defaults {
        if !has(flag) {
            args.extend([flag.to_string(), value.to_string()]);
        }
    }
    args.extend(scenario.flags.iter().cloned());
    args.push("--json".into());
    for i in 0..args.len() {
        if args[i] == "--message" {
            args[i + 1] = messages.join(&args[i + 1]).to_string_lossy().into_owned();
        }
    }
    args
}

fn field(json: &Value, key: &str) -> String {
    let value = match key {
        "status" => &json["status"],
        _ => &json["error"][key],
    };
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Runs one scenario with `client`; `Err` says what went wrong.
async fn run(client: Client, scenario: Scenario, messages: Arc<PathBuf>) -> Result<String, String> {
    let server = Scripted::bind().await;
    let args = args(&scenario, server.port(), &messages);
    let accepted = Arc::new(OnceLock::new());
    let serving = tokio::spawn(server.serve(scenario.steps.clone(), accepted.clone()));
    let env = scenario.env.clone();
    let output: Output = tokio::task::spawn_blocking(move || {
        client()
            .args(&args)
            .env_remove("SMTP_PASSWORD")
            .envs(env)
            .output()
            .expect("the client runs")
    })
    .await
    .expect("the client task");
    // From the connection on: starting the process and compiling the component come before.
    let elapsed = accepted.get().map(Instant::elapsed).ok_or_else(|| {
        format!(
            "the client never connected; exit {:?}; stdout {}; stderr {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    // The script may still sleep; a finished script must have seen what it expected.
    let script = match tokio::time::timeout(Duration::from_millis(500), serving).await {
        Ok(result) => result.expect("the server task"),
        Err(_) => Ok(()),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "stdout is not JSON ({e}); exit {:?}; stderr {stderr}",
            output.status.code()
        )
    })?;
    let mut problems = Vec::new();
    if let Err(message) = script {
        problems.push(format!("script: {message}"));
    }
    if elapsed > TIMEOUT + MARGIN {
        problems.push(format!("took {elapsed:?}"));
    }
    for (key, want) in &scenario.expect {
        let got = match key.as_str() {
            "exit" => output.status.code().map_or("-".into(), |c| c.to_string()),
            _ => field(&json, key),
        };
        if &got != want {
            problems.push(format!("{key}={got}, want {want}"));
        }
    }
    let summary = format!(
        "status={} kind={} command={} code={} permanent={} exit={} in {:.1?}",
        field(&json, "status"),
        field(&json, "kind"),
        field(&json, "command"),
        field(&json, "code"),
        field(&json, "permanent"),
        output.status.code().unwrap_or(-1),
        elapsed
    );
    if problems.is_empty() {
        Ok(summary)
    } else {
        Err(format!(
            "{}; got {summary}; message {:?}",
            problems.join("; "),
            json["error"]["message"]
        ))
    }
}

/// Runs `scenarios` with `client`, `parallel` at a time, after one warm-up run (which fills
/// caches the concurrent clients then share); prints one line per scenario and returns the
/// names of those that failed.
pub async fn run_all(client: Client, scenarios: Vec<Scenario>, parallel: usize) -> Vec<String> {
    let messages = Messages::create();
    let dir = Arc::new(messages.dir.clone());
    let warm_up = Scenario {
        name: "warm-up".into(),
        flags: Vec::new(),
        env: Vec::new(),
        steps: parse_step("S: 554 5.3.2 warming up").expect("a step"),
        expect: vec![("code".into(), "554".into())],
    };
    run(client.clone(), warm_up, dir.clone())
        .await
        .expect("warm-up");
    let limit = Arc::new(Semaphore::new(parallel));
    let started = Instant::now();
    let tasks: Vec<_> = scenarios
        .into_iter()
        .map(|scenario| {
            let (client, dir, limit) = (client.clone(), dir.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore");
                let name = scenario.name.clone();
                (name, run(client, scenario, dir).await)
            })
        })
        .collect();
    let mut failures = Vec::new();
    let count = tasks.len();
    for task in tasks {
        let (name, result) = task.await.expect("a scenario task");
        match result {
            Ok(summary) => eprintln!("ok   {name}: {summary}"),
            Err(problem) => {
                eprintln!("FAIL {name}: {problem}");
                failures.push(name);
            }
        }
    }
    eprintln!("{count} scenarios in {:.1?}", started.elapsed());
    failures
}
