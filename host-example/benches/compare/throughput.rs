//! Messages per second on one reused connection to the loopback sink (in its own process),
//! with the ratio to the native core. Every row talks to the sink with TCP_QUICKACK; the lettre rows are also shown
//! against the same sink without it (lettre does not set TCP_NODELAY, so its last write waits
//! for the sink's delayed ACK). Our two clients are also shown against the sink offering
//! CHUNKING, as Postfix and Exim do by default: BDAT needs no wait for a 354, so a message
//! is one round trip instead of two (lettre and smtplib have no BDAT).

use crate::clients::{self, Budget, Run};
use crate::sink::{SinkOptions, SinkProcess};
use host_example::Host;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

const ROWS: [&str; 10] = [
    "native core",
    "component (wasmtime)",
    "native core, sink offers CHUNKING (BDAT)",
    "component, sink offers CHUNKING (BDAT)",
    "lettre sync",
    "lettre tokio",
    "lettre sync, sink without quick-ack",
    "lettre tokio, sink without quick-ack",
    "Python smtplib",
    "raw pipelined probe",
];

/// Every row runs this many times, the rows taking turns, and shows its median: one run on
/// this shared machine can be off by a factor of two.
const ROUNDS: usize = 3;

/// The message sizes and each one's budget per run.
fn sizes() -> [(usize, &'static str, Budget); 3] {
    let budget = |count, millis| Budget {
        count,
        time: Duration::from_millis(millis),
    };
    [
        (1024, "1 KiB", budget(20_000, 700)),
        (100 * 1024, "100 KiB", budget(5_000, 700)),
        (10 * 1024 * 1024, "10 MiB", budget(40, 1000)),
    ]
}

/// The component's rate over the probe's, with and without CHUNKING, per size (1 KiB,
/// 100 KiB, 10 MiB), for the targets.
pub struct ProbeRatios {
    pub data: [f64; 3],
    pub bdat: [f64; 3],
}

/// Prints the table; returns what the targets need.
pub fn table(runtime: &Runtime, host: &Arc<Host>) -> ProbeRatios {
    let sink = |quickack, chunking| {
        SinkProcess::start(SinkOptions {
            quickack,
            chunking,
            one_way_delay: None,
        })
    };
    let (quick, chunking, plain) = (sink(true, false), sink(true, true), sink(false, false));
    let mut columns = Vec::new();
    for (size, _, budget) in sizes() {
        let message = clients::message(size);
        let file = std::env::temp_dir().join(format!("smtpclient-bench-{size}.eml"));
        std::fs::write(&file, &message).expect("message file");
        let (q, c, p) = (quick.addr, chunking.addr, plain.addr);
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); ROWS.len()];
        for _ in 0..ROUNDS {
            let runs: [Run; ROWS.len()] = [
                clients::native(q, &message, budget),
                on_worker(runtime, component(host, q, &message, budget)),
                clients::native(c, &message, budget),
                on_worker(runtime, component(host, c, &message, budget)),
                clients::lettre_sync(q, &message, budget),
                on_worker(runtime, lettre_tokio(q, &message, budget)),
                clients::lettre_sync(p, &message, budget),
                on_worker(runtime, lettre_tokio(p, &message, budget)),
                clients::smtplib(q, &file, budget),
                clients::probe(q, &message, budget),
            ];
            for (rates, run) in rates.iter_mut().zip(runs) {
                rates.push(run.rate());
            }
        }
        std::fs::remove_file(&file).expect("remove message file");
        columns.push(rates.into_iter().map(median).collect::<Vec<f64>>());
    }
    println!(
        "## Throughput: messages per second on one reused connection, median of {ROUNDS} runs \
         (ratio to the native core)"
    );
    println!();
    let header: Vec<&str> = sizes().iter().map(|(_, name, _)| *name).collect();
    println!("| client | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(header.len()));
    for (row, name) in ROWS.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|rates| format!("{:.0} ({:.2}×)", rates[row], rates[row] / rates[0]))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    println!();
    let probe = ROWS.len() - 1;
    let ratio = |row: usize| std::array::from_fn(|size| columns[size][row] / columns[size][probe]);
    ProbeRatios {
        data: ratio(1),
        bdat: ratio(3),
    }
}

/// Runs an async client as a task on the runtime's worker threads, as a host runs its
/// deliveries. (Driven by `block_on` on the main thread instead, it would wait for a worker
/// to hand it every I/O event: one more thread wake-up per reply.)
fn on_worker(runtime: &Runtime, client: impl Future<Output = Run> + Send + 'static) -> Run {
    runtime
        .block_on(runtime.spawn(client))
        .expect("client task")
}

/// [`clients::component`] with its own handle on the host and copy of the message.
fn component(
    host: &Arc<Host>,
    addr: SocketAddr,
    message: &[u8],
    budget: Budget,
) -> impl Future<Output = Run> + Send + 'static {
    let (host, message) = (Arc::clone(host), message.to_vec());
    async move { clients::component(&host, addr, &message, budget).await }
}

/// [`clients::lettre_tokio`] with its own copy of the message.
fn lettre_tokio(
    addr: SocketAddr,
    message: &[u8],
    budget: Budget,
) -> impl Future<Output = Run> + Send + 'static {
    let message = message.to_vec();
    async move { clients::lettre_tokio(addr, &message, budget).await }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `count` deliveries through the component and nothing else, for a profiler: 100 KiB
/// messages unless `BENCH_PROFILE_SIZE` gives the size in bytes, with BDAT when
/// `BENCH_PROFILE_CHUNKING` is set.
pub fn profile_component(runtime: &Runtime, host: &Arc<Host>, count: usize) {
    let size = std::env::var("BENCH_PROFILE_SIZE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100 * 1024);
    let chunking = std::env::var_os("BENCH_PROFILE_CHUNKING").is_some();
    let sink = SinkProcess::start(SinkOptions {
        quickack: true,
        chunking,
        one_way_delay: None,
    });
    let message = clients::message(size);
    let budget = Budget {
        count,
        time: Duration::MAX,
    };
    // As the table runs it: a task on the runtime's workers.
    let run = on_worker(runtime, component(host, sink.addr, &message, budget));
    let bdat = if chunking { ", BDAT" } else { "" };
    println!("component, {size} bytes{bdat}: {:.0} msgs/s", run.rate());
}
