//! Messages per second on one reused connection to the loopback sink, with the ratio to the
//! native core. Every row talks to the sink with TCP_QUICKACK; the lettre rows are also shown
//! against the same sink without it (lettre does not set TCP_NODELAY, so its last write waits
//! for the sink's delayed ACK).

use crate::clients::{self, Budget, Run};
use crate::sink::{FastSink, SinkOptions};
use host_example::Host;
use std::time::Duration;
use tokio::runtime::Runtime;

const ROWS: [&str; 8] = [
    "native core",
    "component (wasmtime)",
    "lettre sync",
    "lettre tokio",
    "lettre sync, sink without quick-ack",
    "lettre tokio, sink without quick-ack",
    "Python smtplib",
    "raw pipelined probe",
];

/// The message sizes and each one's budget.
fn sizes() -> [(usize, &'static str, Budget); 3] {
    let budget = |count, millis| Budget {
        count,
        time: Duration::from_millis(millis),
    };
    [
        (1024, "1 KiB", budget(20_000, 1500)),
        (100 * 1024, "100 KiB", budget(5_000, 1500)),
        (10 * 1024 * 1024, "10 MiB", budget(40, 2000)),
    ]
}

pub fn table(runtime: &Runtime, host: &Host) {
    let quick = runtime.block_on(FastSink::start(SinkOptions {
        quickack: true,
        chunking: false,
    }));
    let plain = runtime.block_on(FastSink::start(SinkOptions {
        quickack: false,
        chunking: false,
    }));
    let mut columns = Vec::new();
    for (size, _, budget) in sizes() {
        let message = clients::message(size);
        let file = std::env::temp_dir().join(format!("smtpclient-bench-{size}.eml"));
        std::fs::write(&file, &message).expect("message file");
        let (q, p) = (quick.addr, plain.addr);
        let runs: Vec<Run> = vec![
            clients::native(q, &message, budget),
            runtime.block_on(clients::component(host, q, &message, budget)),
            clients::lettre_sync(q, &message, budget),
            runtime.block_on(clients::lettre_tokio(q, &message, budget)),
            clients::lettre_sync(p, &message, budget),
            runtime.block_on(clients::lettre_tokio(p, &message, budget)),
            clients::smtplib(q, &file, budget),
            clients::probe(q, &message, budget),
        ];
        std::fs::remove_file(&file).expect("remove message file");
        columns.push(runs);
    }
    println!(
        "## Throughput: messages per second on one reused connection (ratio to the native core)"
    );
    println!();
    let header: Vec<&str> = sizes().iter().map(|(_, name, _)| *name).collect();
    println!("| client | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(header.len()));
    for (row, name) in ROWS.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|runs| {
                let rate = runs[row].rate();
                format!("{rate:.0} ({:.2}×)", rate / runs[0].rate())
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    println!();
}

/// `count` deliveries of 100 KiB through the component and nothing else, for a profiler.
pub fn profile_component(runtime: &Runtime, host: &Host, count: usize) {
    let sink = runtime.block_on(FastSink::start(SinkOptions {
        quickack: true,
        chunking: false,
    }));
    let message = clients::message(100 * 1024);
    let budget = Budget {
        count,
        time: Duration::MAX,
    };
    let run = runtime.block_on(clients::component(host, sink.addr, &message, budget));
    println!("component, 100 KiB: {:.0} msgs/s", run.rate());
}
