//! The `spool.message` resources the adapter makes: a file read by position as often as the
//! client asks, or standard input read whole into memory (it cannot be read twice).

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// One message.
#[derive(Debug)]
pub enum Message {
    /// A file, opened once; each read seeks to its offset.
    File {
        file: RefCell<File>,
        size: u64,
        path: String,
    },
    /// Bytes in memory.
    Memory(Vec<u8>),
}

impl Message {
    /// Opens the file at `path` (in a preopened directory under WASI).
    ///
    /// # Errors
    /// A description when the file cannot be opened or is not a regular file.
    pub fn open(path: &str) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("opening {path}: {e}"))?;
        let metadata = file
            .metadata()
            .map_err(|e| format!("reading the size of {path}: {e}"))?;
        if !metadata.is_file() {
            return Err(format!("{path} is not a file"));
        }
        Ok(Self::File {
            file: RefCell::new(file),
            size: metadata.len(),
            path: path.to_string(),
        })
    }

    /// Reads `input` whole (standard input).
    ///
    /// # Errors
    /// A description when reading fails.
    pub fn read_all(mut input: impl Read) -> Result<Self, String> {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading standard input: {e}"))?;
        Ok(Self::Memory(bytes))
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Self::File { size, .. } => *size,
            Self::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// At most `max` bytes from `offset`; empty at or past the end.
    ///
    /// # Errors
    /// A description when the file cannot be read.
    pub fn read(&self, offset: u64, max: u32) -> Result<Vec<u8>, String> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        match self {
            Self::Memory(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start.saturating_add(max).min(bytes.len());
                Ok(bytes[start..end].to_vec())
            }
            Self::File { size, .. } if offset >= *size => Ok(Vec::new()),
            Self::File { file, path, .. } => {
                let failed = |e: std::io::Error| format!("reading {path} at {offset}: {e}");
                let mut file = file.borrow_mut();
                file.seek(SeekFrom::Start(offset)).map_err(failed)?;
                let mut chunk = Vec::new();
                (&mut *file)
                    .take(max as u64)
                    .read_to_end(&mut chunk)
                    .map_err(failed)?;
                Ok(chunk)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"Subject: hi\r\n\r\nbody\r\n";

    fn reads(message: &Message) {
        assert_eq!(message.size(), TEXT.len() as u64);
        assert_eq!(message.read(0, 7).unwrap(), b"Subject");
        assert_eq!(message.read(15, 1000).unwrap(), b"body\r\n");
        // Again from the start, as for a second transaction.
        assert_eq!(message.read(0, 1000).unwrap(), TEXT);
        assert!(message.read(TEXT.len() as u64, 10).unwrap().is_empty());
        assert!(message.read(u64::MAX, 10).unwrap().is_empty());
        assert!(message.read(3, 0).unwrap().is_empty());
    }

    #[test]
    fn memory_by_position() {
        reads(&Message::read_all(TEXT).unwrap());
    }

    #[test]
    fn file_by_position() {
        let path = std::env::temp_dir().join(format!("adapter-spool-{}", std::process::id()));
        std::fs::write(&path, TEXT).unwrap();
        let message = Message::open(path.to_str().unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        reads(&message);
    }

    #[test]
    fn missing_file_and_directory_are_errors() {
        let error = Message::open("/nonexistent/message.eml").unwrap_err();
        assert!(
            error.starts_with("opening /nonexistent/message.eml: "),
            "{error}"
        );
        let dir = std::env::temp_dir();
        let error = Message::open(dir.to_str().unwrap()).unwrap_err();
        assert!(error.ends_with("is not a file"), "{error}");
    }
}
