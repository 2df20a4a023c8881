//! The message of `send` and `deliver`: a `spool.message` the adapter serves from a file in
//! a preopened directory or from standard input.

use crate::bindings::adapter;
use crate::bindings::spool::Message;
use command_line::exit::{self, fail};
use command_line::flags::MessageSource;

/// A handle to the adapter's message. Cloning asks the adapter for another handle to the
/// same message, since each call of the client takes one (`deliver`: one per domain).
pub struct SharedMessage(pub Message);

impl Clone for SharedMessage {
    fn clone(&self) -> Self {
        SharedMessage(adapter::share(&self.0))
    }
}

/// The message of `--message FILE` or standard input; one that cannot be read exits 66.
pub fn open_message(source: &MessageSource) -> Result<SharedMessage, u8> {
    let opened = match source {
        MessageSource::File(path) => adapter::open_file(&path.to_string_lossy())
            .map_err(|e| format!("cannot read message file {}: {e}", path.display())),
        MessageSource::Stdin => adapter::read_stdin()
            .map_err(|e| format!("cannot read the message from standard input: {e}")),
    };
    opened
        .map(SharedMessage)
        .map_err(|message| fail(exit::NOINPUT, &message))
}
