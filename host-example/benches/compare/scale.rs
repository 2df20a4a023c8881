//! How instances scale: instantiation from the `InstancePre` the host keeps, memory per idle
//! session, and how many concurrent sessions (instance, loopback connection, EHLO done) one
//! host process holds.
//!
//! The sessions' sink runs in a child process, as every table's does ([`SinkProcess`]), so
//! that the host process's open-files limit and memory mappings count only the host's side of
//! each session.

use crate::clients::ComponentSession;
use crate::large::status_kib;
use crate::sink::{SinkOptions, SinkProcess};
use host_example::Host;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const INSTANTIATIONS: u32 = 1000;
const SESSIONS: usize = 10_000;
/// Memory per session is measured over the first this many.
const SAMPLE: usize = 1000;

/// Raises the soft limit on open files to the hard limit, and the hard limit too if allowed;
/// returns the soft limit in force.
pub fn raise_nofile() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid resource and a pointer to a rlimit.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        let wanted = libc::rlimit {
            rlim_cur: 65_536,
            rlim_max: limit.rlim_max.max(65_536),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) != 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

/// The memory mappings of this process (each counts against `vm.max_map_count`).
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |maps| maps.lines().count())
}

pub fn table(runtime: &Runtime, host: &Host) {
    let instantiate = runtime.block_on(async {
        drop(host.instantiate().await.expect("instantiate"));
        let start = Instant::now();
        for _ in 0..INSTANTIATIONS {
            drop(host.instantiate().await.expect("instantiate"));
        }
        start.elapsed() / INSTANTIATIONS
    });
    let nofile = raise_nofile();
    let sink = SinkProcess::start(SinkOptions::default());
    let (held, per_session, maps_per_session, stopped, took) = runtime.block_on(async {
        let mut sessions = Vec::with_capacity(SESSIONS);
        let rss_start = status_kib("VmRSS");
        let maps_start = mappings();
        let mut per_session = 0;
        let mut maps_per_session = 0.0;
        let mut stopped = None;
        let start = Instant::now();
        while sessions.len() < SESSIONS {
            match ComponentSession::try_open(host, sink.addr).await {
                Ok(session) => sessions.push(session),
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            }
            if sessions.len() == SAMPLE {
                per_session = (status_kib("VmRSS") - rss_start) / SAMPLE;
                maps_per_session = (mappings() - maps_start) as f64 / SAMPLE as f64;
            }
        }
        (
            sessions.len(),
            per_session,
            maps_per_session,
            stopped,
            start.elapsed(),
        )
    });
    drop(sink);
    let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .map_or_else(|_| "unknown".to_string(), |n| n.trim().to_string());
    println!("## Scale");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| instantiation from InstancePre (mean of {INSTANTIATIONS}) | {:.1} µs |",
        micros(instantiate)
    );
    println!("| host memory per idle session (RSS over the first {SAMPLE}) | {per_session} KiB |");
    println!(
        "| memory mappings per idle session (vm.max_map_count {max_map_count}) | {maps_per_session:.1} |"
    );
    println!(
        "| concurrent sessions held (aim {SESSIONS}; open files limit {nofile}) | {held}{} |",
        stopped.map_or(String::new(), |e| format!(", stopped by: {e}"))
    );
    println!(
        "| time to open them (instantiate, connect, greeting, EHLO) | {:.1} s |",
        took.as_secs_f64()
    );
    println!();
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
