//! The `spool` import: messages the component reads by position, as often as it needs (once
//! per host tried and per transaction of a delivery attempt), from a file or from memory.

use crate::bindings::spool;
use crate::state::HostState;
use indicatif::ProgressBar;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use wasmtime::component::Resource;

/// The host side of a `message` resource: where its bytes are, and a progress bar that
/// follows the component's reads.
#[derive(Debug, Clone)]
pub struct SpoolMessage {
    source: Source,
    progress: Option<ProgressBar>,
    /// Whether `size` is told to the component (SIZE= on MAIL FROM).
    size_known: bool,
}

#[derive(Debug, Clone)]
enum Source {
    /// An open file, read with positional reads (no shared cursor), and its size when opened.
    File { file: Arc<File>, size: u64 },
    /// Bytes in memory, shared between reads.
    Bytes(Arc<[u8]>),
}

impl SpoolMessage {
    /// The message in the file at `path`, opened now.
    ///
    /// # Errors
    /// The file cannot be opened or is not a regular file.
    pub fn file(path: &Path) -> io::Result<SpoolMessage> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        Ok(SpoolMessage {
            source: Source::File {
                file: Arc::new(file),
                size: metadata.len(),
            },
            progress: None,
            size_known: true,
        })
    }

    /// The message in `bytes`.
    pub fn bytes(bytes: impl Into<Arc<[u8]>>) -> SpoolMessage {
        SpoolMessage {
            source: Source::Bytes(bytes.into()),
            progress: None,
            size_known: true,
        }
    }

    /// The same message, its size not told to the component (as a host that spools a
    /// stream would): no SIZE= on MAIL FROM.
    #[must_use]
    pub fn without_size(self) -> SpoolMessage {
        SpoolMessage {
            size_known: false,
            ..self
        }
    }

    /// The same message, with `bar` advanced to the end of every read.
    #[must_use]
    pub fn with_progress(self, bar: ProgressBar) -> SpoolMessage {
        SpoolMessage {
            progress: Some(bar),
            ..self
        }
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        match &self.source {
            Source::File { size, .. } => *size,
            Source::Bytes(bytes) => bytes.len() as u64,
        }
    }

    /// At most `max` bytes from `offset`; empty at or past the end.
    ///
    /// # Errors
    /// The file could not be read.
    pub async fn read_at(&self, offset: u64, max: u32) -> io::Result<Vec<u8>> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let chunk = match &self.source {
            Source::Bytes(bytes) => {
                let start = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
                let end = start.saturating_add(max).min(bytes.len());
                bytes[start..end].to_vec()
            }
            Source::File { file, size } => {
                let want = size.saturating_sub(offset).min(max as u64) as usize;
                if want == 0 {
                    return Ok(Vec::new());
                }
                let file = Arc::clone(file);
                tokio::task::spawn_blocking(move || read_file_at(&file, offset, want))
                    .await
                    .map_err(io::Error::other)??
            }
        };
        if let Some(bar) = &self.progress {
            bar.set_position(offset + chunk.len() as u64);
            if chunk.is_empty() || offset + chunk.len() as u64 >= self.size() {
                bar.finish_and_clear();
            }
        }
        Ok(chunk)
    }
}

/// Reads up to `want` bytes at `offset` (one positional read, repeated only when the kernel
/// returns less); short at the end of the file.
fn read_file_at(file: &File, offset: u64, want: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; want];
    let mut filled = 0;
    while filled < want {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

impl spool::Host for HostState {}

impl spool::HostMessage for HostState {
    async fn size(&mut self, message: Resource<SpoolMessage>) -> wasmtime::Result<Option<u64>> {
        let message = self.table.get(&message)?;
        Ok(message.size_known.then(|| message.size()))
    }

    async fn read(
        &mut self,
        message: Resource<SpoolMessage>,
        offset: u64,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let message = self.table.get(&message)?.clone();
        Ok(message
            .read_at(offset, max)
            .await
            .map_err(|error| format!("reading the message at byte {offset}: {error}")))
    }

    async fn drop(&mut self, message: Resource<SpoolMessage>) -> wasmtime::Result<()> {
        self.table.delete(message)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_by_position_from_memory_and_files() {
        let data: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let path = std::env::temp_dir().join(format!("spool-test-{}", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        for message in [
            SpoolMessage::bytes(data.clone()),
            SpoolMessage::file(&path).unwrap(),
        ] {
            assert_eq!(message.size(), 3000);
            assert_eq!(message.read_at(0, 10).await.unwrap(), &data[..10]);
            assert_eq!(message.read_at(2990, 100).await.unwrap(), &data[2990..]);
            assert!(message.read_at(3000, 100).await.unwrap().is_empty());
            assert!(message.read_at(u64::MAX, 100).await.unwrap().is_empty());
            // Again from the start, as for the next host or transaction.
            assert_eq!(message.read_at(0, 4096).await.unwrap(), data);
        }
        std::fs::remove_file(&path).unwrap();
        assert!(SpoolMessage::file(&path).is_err());
        assert!(SpoolMessage::file(&std::env::temp_dir()).is_err());
    }

    #[tokio::test]
    async fn the_bar_follows_the_reads() {
        let bar = ProgressBar::hidden();
        bar.set_length(100);
        let message = SpoolMessage::bytes(vec![b'x'; 100]).with_progress(bar.clone());
        message.read_at(0, 60).await.unwrap();
        assert_eq!(bar.position(), 60);
        message.read_at(60, 60).await.unwrap();
        assert!(bar.is_finished());
    }
}
