//! Round trips per message: each client on one reused connection to the sink behind the
//! delaying proxy (10 ms each way, so RTT = 20 ms; both in a process of their own); the time
//! per message divided by the RTT.

use crate::clients::{self, Budget};
use crate::sink::{SinkOptions, SinkProcess};
use host_example::Host;
use std::time::Duration;
use tokio::runtime::Runtime;

const ONE_WAY: Duration = Duration::from_millis(10);

pub fn table(runtime: &Runtime, host: &Host) {
    let behind_proxy = |chunking| {
        SinkProcess::start(SinkOptions {
            quickack: true,
            chunking,
            one_way_delay: Some(ONE_WAY),
        })
    };
    let (pipelining, chunking) = (behind_proxy(false), behind_proxy(true));
    let budget = Budget {
        count: 40,
        time: Duration::from_millis(1500),
    };
    let message = clients::message(1024);
    let file = std::env::temp_dir().join("smtpclient-bench-rtt.eml");
    std::fs::write(&file, &message).expect("message file");
    let (p, c) = (pipelining.addr, chunking.addr);
    let rows = [
        (
            "component, PIPELINING",
            runtime.block_on(clients::component(host, p, &message, budget)),
        ),
        (
            "component, PIPELINING + CHUNKING",
            runtime.block_on(clients::component(host, c, &message, budget)),
        ),
        (
            "native core, PIPELINING + CHUNKING",
            clients::native(c, &message, budget),
        ),
        ("lettre sync", clients::lettre_sync(p, &message, budget)),
        (
            "lettre tokio",
            runtime.block_on(clients::lettre_tokio(p, &message, budget)),
        ),
        ("Python smtplib", clients::smtplib(p, &file, budget)),
        ("raw pipelined probe", clients::probe(p, &message, budget)),
    ];
    std::fs::remove_file(&file).expect("remove message file");
    let rtt = ONE_WAY * 2;
    println!(
        "## Round trips: 1 KiB messages on one reused connection, RTT {} ms (delaying proxy)",
        rtt.as_millis()
    );
    println!();
    println!("| client | ms per message | round trips per message |");
    println!("|---|---|---|");
    for (name, run) in rows {
        let per = run.per_message();
        println!(
            "| {name} | {:.1} | {:.2} |",
            per.as_secs_f64() * 1e3,
            per.as_secs_f64() / rtt.as_secs_f64()
        );
    }
    println!();
}
