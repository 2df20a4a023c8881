//! A progress bar on stderr for large messages: it follows the component's reads of the
//! message ([`crate::spool_impl::SpoolMessage::with_progress`]), drawn only on a terminal and
//! only above [`THRESHOLD`].

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::io::IsTerminal;

/// Messages larger than this get a bar; smaller ones are sent before a bar would help.
pub const THRESHOLD: u64 = 4 << 20;

/// Whether a message of `size` bytes gets a bar when stderr `is_terminal`.
pub fn wanted(size: Option<u64>, is_terminal: bool) -> bool {
    is_terminal && size.is_some_and(|size| size > THRESHOLD)
}

/// A bar for a message of `size` bytes on stderr, or none (not a terminal, small or unknown
/// size); it disappears when done or dropped.
pub fn bar(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|_| wanted(size, std::io::stderr().is_terminal()))?;
    let style = ProgressStyle::with_template(
        "{bytes:>10}/{total_bytes} [{wide_bar}] {bytes_per_sec} eta {eta}",
    )
    .map_or_else(
        |_| ProgressStyle::default_bar(),
        |style| style.progress_chars("=> "),
    );
    Some(
        ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_finish(ProgressFinish::AndClear),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_large_messages_on_a_terminal() {
        assert!(wanted(Some(THRESHOLD + 1), true));
        assert!(!wanted(Some(THRESHOLD), true));
        assert!(!wanted(Some(THRESHOLD + 1), false));
        assert!(!wanted(None, true));
    }
}
