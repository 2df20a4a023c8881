//! `smtpclient-cli`: host-example's `send` and `deliver` as a `wasi:cli/run` component. It
//! is composed with the smtpclient component and the WASI adapter into one file that
//! `wasmtime run` executes as is (README, "Running under wasmtime run"): the same flags,
//! JSON report and exit codes, from the command line crate both share.

mod bindings;
mod convert;
mod deliver;
mod message;
mod send;
mod settings;

use clap::{Parser, Subcommand};
use command_line::exit;
use command_line::print::print_report;
use command_line::sts_cache::StsCache;
use message::open_message;
use send::Composed;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[derive(Parser, Debug)]
#[command(
    name = "smtpclient-cli",
    version,
    about = "Submit or deliver mail with the smtpclient component, over WASI sockets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Submit a message to a server (msmtp-style).
    Send(Box<command_line::send::SendArgs>),
    /// Deliver a message to the MX hosts of its recipients' domains (DANE, MTA-STS).
    Deliver(Box<command_line::deliver::DeliverArgs>),
}

fn main() {
    let code = run();
    exit_with(code);
}

/// Parse the command line, run the subcommand, and return its exit code.
fn run() -> u8 {
    let cli: Cli = match exit::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        Command::Send(args) => send(&args),
        Command::Deliver(args) => deliver(&args),
    }
}

fn send(args: &command_line::send::SendArgs) -> u8 {
    let request = match args.request(open_message, ehlo_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    // The server is the user's choice: any address, only its port. DNS only for a name.
    let needs_dns = request
        .server
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_err();
    if let Err(code) =
        settings::configure(&args.dns, &args.output, vec![request.port], true, needs_dns)
    {
        return code;
    }
    match ready(command_line::send::send(&mut Composed, &request)) {
        Some(Ok(report)) => print_report(&report, args.output.json),
        Some(Err(never)) => match never {},
        None => not_ready(),
    }
}

fn deliver(args: &command_line::deliver::DeliverArgs) -> u8 {
    let request = match args.request(open_message, ehlo_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    // A relay is the user's choice, as `send`'s server; MX hosts are public unless
    // --allow-private-addresses, on their SMTP port, plus HTTPS for MTA-STS policies.
    let (ports, allow_private) = match &request.relay {
        Some(relay) => (vec![relay.port], true),
        None => (
            vec![request.port, settings::HTTPS_PORT],
            request.allow_private_addresses,
        ),
    };
    if let Err(code) = settings::configure(&args.dns, &args.output, ports, allow_private, true) {
        return code;
    }
    // No default cache directory: a component has no home directory. The runtime must
    // preopen the one given (`wasmtime run --dir DIR::DIR`).
    let sts_cache = args.sts_cache.as_ref().map(StsCache::new);
    match ready(command_line::deliver::deliver(
        &mut Composed,
        &request,
        sts_cache.as_ref(),
    )) {
        Some(Ok(report)) => print_report(&report, args.output.json),
        Some(Err(never)) => match never {},
        None => not_ready(),
    }
}

/// The EHLO name without `--ehlo`: a component cannot ask for the machine's name, so
/// `$HOSTNAME` when the runtime passes it (`wasmtime run --env HOSTNAME`), else "localhost".
fn ehlo_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into())
}

/// The output of `future`, which is ready at its first poll: every call it makes into the
/// other components blocks until it has its answer. None if it was not.
fn ready<T>(future: impl Future<Output = T>) -> Option<T> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// The exit of a subcommand whose future did not complete: an internal error.
fn not_ready() -> u8 {
    exit::fail(
        exit::SOFTWARE,
        "internal error: a blocking call did not complete",
    )
}

/// End the program with `code`. Under WASI 0.2 std's exit reports only success or failure,
/// so the exit code goes through `wasi:cli/exit.exit-with-code` (`wasmtime run -S
/// cli-exit-with-code`).
fn exit_with(code: u8) -> ! {
    #[cfg(target_arch = "wasm32")]
    wasip2::cli::exit::exit_with_code(code);
    std::process::exit(i32::from(code))
}
