//! A delaying TCP proxy of ours: every byte is held for a fixed one-way delay in each
//! direction before it is passed on, so a round trip through it costs twice the delay.

use crate::sink::set_quickack;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A running proxy on 127.0.0.1 in front of `upstream`.
pub struct DelayProxy {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DelayProxy {
    pub async fn start(upstream: SocketAddr, one_way: Duration) -> DelayProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                for stream in [&client, &server] {
                    stream.set_nodelay(true).expect("nodelay");
                }
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(forward(client_read, server_write, one_way));
                tokio::spawn(forward(server_read, client_write, one_way));
            }
        });
        DelayProxy { addr, task }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads from `from` and writes each chunk to `to` once `delay` has passed since it arrived.
/// The proxy ACKs at once (TCP_QUICKACK), so a client without TCP_NODELAY is delayed only
/// by the added latency, not by delayed ACKs.
async fn forward(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (queue, mut due) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, chunk)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
    });
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        set_quickack(from.as_ref());
        if queue
            .send((Instant::now() + delay, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    drop(queue);
    let _flushed = writer.await;
}
