//! A 100 MiB message streamed from a file through the component: the guest's linear memory
//! growth during the delivery, the host's peak RSS, and the throughput against a raw
//! loopback socket copy of the same file.

use crate::clients::{self, ComponentSession};
use crate::sink::{SinkOptions, SinkProcess};
use host_example::Host;
use host_example::spool_impl::SpoolMessage;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use wasmtime::ResourceLimiter;

const SIZE: usize = 100 * 1024 * 1024;

/// The linear memory size when the guest first grew during the delivery (usize::MAX: never).
static FIRST: AtomicUsize = AtomicUsize::new(usize::MAX);
/// The largest size the guest grew its memory to.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Records growth and allows it up to the host's usual cap (64 MiB); a zero-sized type, so
/// the store can be handed a fresh `&'static mut` on every call without allocating.
struct PeakLimiter;

impl ResourceLimiter for PeakLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let _first =
            FIRST.compare_exchange(usize::MAX, current, Ordering::Relaxed, Ordering::Relaxed);
        PEAK.fetch_max(desired, Ordering::Relaxed);
        Ok(desired <= 64 << 20 && maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }
}

/// A line of /proc/self/status in KiB ("VmHWM", "VmRSS").
pub fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("status field")
}

/// The bytes of `path` written to a loopback socket whose reader discards them.
fn raw_copy(path: &Path) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut buf = vec![0; 256 * 1024];
        while stream.read(&mut buf).expect("read") > 0 {}
    });
    let start = Instant::now();
    let mut file = std::fs::File::open(path).expect("open");
    let mut stream = TcpStream::connect(addr).expect("connect");
    std::io::copy(&mut file, &mut stream).expect("copy");
    drop(stream);
    reader.join().expect("reader");
    start.elapsed()
}

/// Each measure is the median of this many runs.
const ROUNDS: usize = 3;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// What the targets need: the delivery's throughput over the raw copy's, and the guest's
/// memory growth in bytes.
pub struct LargeResult {
    pub ratio: f64,
    pub growth: usize,
}

/// Prints the table; returns what the targets need.
pub fn table(runtime: &Runtime, host: &Arc<Host>) -> LargeResult {
    let path = std::env::temp_dir().join("smtpclient-bench-100MiB.eml");
    std::fs::write(&path, clients::message(SIZE)).expect("message file");
    let size = std::fs::metadata(&path).expect("size").len();
    let raw = median((0..ROUNDS).map(|_| raw_copy(&path)).collect());
    let sink = SinkProcess::start(SinkOptions {
        quickack: true,
        ..SinkOptions::default()
    });
    // Writing 5 resets the peak RSS (VmHWM) to the current RSS (proc(5)).
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
    let rss_before = status_kib("VmRSS");
    // One instance delivers the message ROUNDS times, as a task on the runtime's workers
    // (as a host runs deliveries, see `throughput::on_worker`).
    let (host, addr, task_path) = (Arc::clone(host), sink.addr, path.clone());
    let deliveries = runtime
        .block_on(runtime.spawn(async move {
            let mut session = ComponentSession::open(&host, addr).await;
            session
                .instance
                .store
                .limiter(|_| Box::leak(Box::new(PeakLimiter)));
            let mut times = Vec::new();
            for _ in 0..ROUNDS {
                let message = SpoolMessage::file(&task_path).expect("open");
                let start = Instant::now();
                session.deliver(&clients::envelope(), message).await;
                times.push(start.elapsed());
            }
            times
        }))
        .expect("delivery task");
    let component = median(deliveries);
    let hwm = status_kib("VmHWM");
    std::fs::remove_file(&path).expect("remove message file");
    let first = FIRST.load(Ordering::Relaxed);
    let growth_bytes = if first == usize::MAX {
        0
    } else {
        PEAK.load(Ordering::Relaxed) - first
    };
    let growth = if first == usize::MAX {
        "none".to_string()
    } else {
        let peak = PEAK.load(Ordering::Relaxed);
        format!(
            "{} KiB (from {} KiB to {} KiB)",
            (peak - first) / 1024,
            first / 1024,
            peak / 1024
        )
    };
    let mib_s = |d: Duration| size as f64 / (1024.0 * 1024.0) / d.as_secs_f64();
    println!(
        "## Large message: {} MiB streamed from a file, median of {ROUNDS} runs",
        size >> 20
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| component, delivery | {:.0} MiB/s |", mib_s(component));
    println!("| raw loopback socket copy | {:.0} MiB/s |", mib_s(raw));
    println!(
        "| component / raw | {:.2} |",
        raw.as_secs_f64() / component.as_secs_f64()
    );
    println!("| guest memory growth during the delivery | {growth} |");
    println!(
        "| host peak RSS during the delivery (VmHWM) | {} MiB (RSS before: {} MiB) |",
        hwm / 1024,
        rss_before / 1024
    );
    println!();
    LargeResult {
        ratio: raw.as_secs_f64() / component.as_secs_f64(),
        growth: growth_bytes,
    }
}
