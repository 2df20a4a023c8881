//! The `spool` import: messages the component may read more than once (once per host tried
//! and per transaction of a delivery attempt), from a file or from memory.

use crate::bindings::spool;
use crate::state::HostState;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynInputStream;
use wasmtime_wasi::p2::pipe::AsyncReadStream;

/// The host side of a `message` resource: where its bytes are.
#[derive(Debug, Clone)]
pub enum SpoolMessage {
    /// A file, opened anew for every read.
    File(PathBuf),
    /// Bytes in memory, shared between reads.
    Bytes(Arc<[u8]>),
}

/// How much of a message file is read at a time.
const FILE_READ: usize = 1 << 20;

/// A message file as the input stream the guest reads. The guest asks for 64 KiB at a time;
/// every read of a tokio file is a trip to a blocking thread, so the file is read 1 MiB at
/// a time (16 times fewer trips) and handed out from that buffer.
pub fn file_stream(file: tokio::fs::File) -> DynInputStream {
    Box::new(AsyncReadStream::new(tokio::io::BufReader::with_capacity(
        FILE_READ, file,
    )))
}

impl spool::Host for HostState {}

impl spool::HostMessage for HostState {
    async fn open(
        &mut self,
        message: Resource<SpoolMessage>,
    ) -> wasmtime::Result<Result<Resource<DynInputStream>, String>> {
        let stream: DynInputStream = match self.table.get(&message)?.clone() {
            SpoolMessage::File(path) => match tokio::fs::File::open(&path).await {
                Ok(file) => file_stream(file),
                Err(error) => return Ok(Err(format!("cannot open {}: {error}", path.display()))),
            },
            SpoolMessage::Bytes(bytes) => {
                Box::new(AsyncReadStream::new(std::io::Cursor::new(bytes)))
            }
        };
        Ok(Ok(self.table.push(stream)?))
    }

    async fn drop(&mut self, message: Resource<SpoolMessage>) -> wasmtime::Result<()> {
        self.table.delete(message)?;
        Ok(())
    }
}
