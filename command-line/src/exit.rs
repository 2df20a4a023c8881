//! sysexits(3) codes of the command line, and the one-line message of a failure.

/// Every recipient accepted.
pub const OK: u8 = 0;
/// Bad usage: an unknown flag, a missing argument.
pub const USAGE: u8 = 64;
/// The message was refused as data (e.g. a bare LF with strict line endings).
pub const DATAERR: u8 = 65;
/// The message file does not exist or cannot be read.
pub const NOINPUT: u8 = 66;
/// A recipient failed permanently.
pub const UNAVAILABLE: u8 = 69;
/// An internal error, e.g. a guest trap or an invalid component.
pub const SOFTWARE: u8 = 70;
/// A temporary failure of the attempt or of a recipient.
pub const TEMPFAIL: u8 = 75;

/// Print `message` on stderr as one line after the program's name, and return `code`.
pub fn fail(code: u8, message: &str) -> u8 {
    eprintln!("{}: {message}", program());
    code
}

/// The name the program was started as, without directories and extension
/// (`host-example`, `smtpclient-cli` for `smtpclient-cli.wasm`).
fn program() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_stem)
        .map_or_else(
            || "smtpclient".into(),
            |name| name.to_string_lossy().into_owned(),
        )
}

/// The command line `P` parsed from `args` (program name first), or the exit code after clap
/// printed why not: 64 for bad usage, 0 for `--help` and `--version`.
///
/// # Errors
/// The exit code when the program should stop here.
pub fn parse<P: clap::Parser>(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<P, u8> {
    P::try_parse_from(args).map_err(|error| {
        let code = if error.use_stderr() { USAGE } else { OK };
        let _printed = error.print();
        code
    })
}
