//! Hostile servers: scripted servers on 127.0.0.1 (`tests/hostile/*.scn`, the steps of
//! `support/scripted.rs`, run by `support/hostile_scenarios.rs`) against the component in
//! wasmtime through the real binary (`host-example send --json --timeout 2`). Each scenario
//! names the typed error the client must report (or delivery) and must end within its
//! deadline: the per-phase timeout plus a margin. All scenarios run concurrently in this one
//! test.

#[path = "support/scripted.rs"]
mod scripted;

#[path = "support/hostile_scenarios.rs"]
mod hostile_scenarios;

use hostile_scenarios::{Client, run_all, scenarios};
use std::process::Command;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers() {
    let scenarios = scenarios();
    assert!(
        scenarios.len() >= 60,
        "{} scenarios, want at least 60",
        scenarios.len()
    );
    let client: Client = Arc::new(|| Command::new(env!("CARGO_BIN_EXE_host-example")));
    // Clients running at once.
    let failures = run_all(client, scenarios, 8).await;
    assert!(failures.is_empty(), "failed: {failures:?}");
}
