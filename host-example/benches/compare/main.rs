//! The clients side by side on this machine, in one run: messages per second on one reused
//! connection (the native core, the component in wasmtime, lettre, Python's smtplib and a raw
//! pipelined probe), round trips per message behind a delaying proxy, a 100 MiB message
//! streamed through the component, and how instances scale. Run with
//! `cargo bench -p host-example --bench compare`; BENCHMARKS.md at the repository root has
//! the latest tables. Timings are printed, never asserted.

#[path = "../common/mod.rs"]
mod common;

mod clients;
mod large;
mod proxy;
mod roundtrips;
mod scale;
mod sink;
mod throughput;

use host_example::dns::{Resolver, ZoneResolver};
use host_example::log_impl::Silent;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use std::sync::Arc;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // A table's sink, in a process of its own (see `sink::SinkProcess`).
    if let Ok(options) = std::env::var(sink::SINK_PROCESS) {
        sink::serve_process(&runtime, &options);
        return;
    }
    let host = Arc::new(
        Host::new(
            EMBEDDED_COMPONENT,
            HostConfig::command_line(
                Arc::new(Resolver::Zone(ZoneResolver::default())),
                Arc::new(Silent),
            ),
        )
        .expect("host"),
    );
    // For a profiler (valgrind --tool=callgrind, perf): only the component (see
    // `throughput::profile_component`).
    if let Some(count) = std::env::var("BENCH_PROFILE_COMPONENT")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        throughput::profile_component(&runtime, &host, count);
        return;
    }
    let ratios = throughput::table(&runtime, &host);
    roundtrips::table(&runtime, &host);
    let large = large::table(&runtime, &host);
    scale::table(&runtime, &host);
    targets(&ratios, &large);
}

/// The targets of issue 19 for this run: printed, never asserted.
fn targets(ratios: &throughput::ProbeRatios, large: &large::LargeResult) {
    let status = |met: bool| if met { "met" } else { "not met" };
    println!("## Targets (issue 19), this run");
    println!();
    println!("| target | measured | |");
    println!("|---|---|---|");
    for (size, name, aim) in [(1, "100 KiB", 0.9), (2, "10 MiB", 0.8)] {
        let (data, bdat) = (ratios.data[size], ratios.bdat[size]);
        println!(
            "| component ≥ {aim} × the raw probe at {name} | {data:.2} (DATA), {bdat:.2} (BDAT) | {} |",
            status(data.max(bdat) >= aim)
        );
    }
    println!(
        "| 100 MiB at ≥ 0.8 of the raw socket copy | {:.2} | {} |",
        large.ratio,
        status(large.ratio >= 0.8)
    );
    println!(
        "| guest memory growth < 1 MiB during the 100 MiB delivery | {} KiB | {} |",
        large.growth / 1024,
        status(large.growth < 1024 * 1024)
    );
    println!();
}
