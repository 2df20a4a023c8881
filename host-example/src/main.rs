//! `host-example`: run the smtpclient component from the command line (see `cli`).

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(host_example::cli::run(std::env::args_os()))
}
