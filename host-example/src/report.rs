//! The report of one `send` or `deliver`: the command line crate's (its serde names are the
//! `--json` object, DESIGN.md "The command line"), re-exported for the library's users.

pub use command_line::report::*;
