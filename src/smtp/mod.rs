//! Sans-IO SMTP client: reply parsing, commands, EHLO extensions, message data and the session
//! state machine ([RFC 5321](https://www.rfc-editor.org/rfc/rfc5321)).
//!
//! Nothing here performs I/O, reads a clock or draws random numbers: bytes and the current
//! time come in as arguments, bytes to send, deadlines and events go out.

pub mod address;
pub mod auth;
pub mod command;
pub mod data;
pub mod dsn;
pub mod extensions;
pub mod reply;
pub mod session;

pub use address::AddressError;
pub use auth::{AuthExchange, AuthLine, AuthStep};
pub use command::{Command, CommandKind, MailParams};
pub use data::{DataEncoder, DataError, LineEndings};
pub use dsn::{DsnError, MailDsn, Notify, RcptDsn, Ret};
pub use extensions::{Extensions, Limits};
pub use reply::{EnhancedCode, ProtocolError, Reply, ReplyCode, ReplyParser};
pub use session::{
    Event, RecipientResult, Session, SessionConfig, Timeouts, TlsMode, Transaction,
    TransactionFailure, TransactionOutcome,
};
