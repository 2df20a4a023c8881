//! A progress bar on stderr for large messages: bytes counted as the component reads the
//! message, drawn only on a terminal and only above [`THRESHOLD`].

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::io::IsTerminal;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

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

/// A reader that advances `bar` by every byte read through it.
pub struct Counted<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R> Counted<R> {
    pub fn new(inner: R, bar: ProgressBar) -> Self {
        Counted { inner, bar }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if let Poll::Ready(Ok(())) = polled {
            if read == 0 {
                self.bar.finish_and_clear();
            } else {
                self.bar.inc(read as u64);
            }
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn only_large_messages_on_a_terminal() {
        assert!(wanted(Some(THRESHOLD + 1), true));
        assert!(!wanted(Some(THRESHOLD), true));
        assert!(!wanted(Some(THRESHOLD + 1), false));
        assert!(!wanted(None, true));
    }

    #[tokio::test]
    async fn counts_what_is_read() {
        let data = vec![b'x'; 100_000];
        let bar = ProgressBar::hidden();
        bar.set_length(data.len() as u64);
        let mut reader = Counted::new(&data[..], bar.clone());
        let mut chunk = [0; 4096];
        let n = reader.read(&mut chunk).await.unwrap();
        assert_eq!(bar.position(), n as u64);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(bar.position(), data.len() as u64);
        assert!(bar.is_finished());
    }
}
