//! A scripted DNS server on 127.0.0.1 for the client tests: UDP and TCP on one port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

pub(crate) use smtpclient_dns_stub::testing::{bytes, name, record, response, with_ede};

/// How a query arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

/// What the script does with a query: the messages to send back, in order (none: silence).
pub(crate) type Script = dyn Fn(&Message, Transport) -> Vec<Vec<u8>> + Send + Sync;

/// A running server; stops when dropped.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server answering with `script`.
    pub(crate) async fn start(
        script: impl Fn(&Message, Transport) -> Vec<Vec<u8>> + Send + Sync + 'static,
    ) -> Self {
        let script: Arc<Script> = Arc::new(script);
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let udp_task = {
            let (script, queries) = (script.clone(), queries.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0; 65_535];
                loop {
                    let (n, peer) = udp.recv_from(&mut buffer).await.unwrap();
                    queries.fetch_add(1, Ordering::SeqCst);
                    let query = Message::from_vec(&buffer[..n]).unwrap();
                    for reply in script(&query, Transport::Udp) {
                        udp.send_to(&reply, peer).await.unwrap();
                    }
                }
            })
        };
        let tcp_task = {
            let queries = queries.clone();
            tokio::spawn(async move {
                loop {
                    let (mut stream, _) = tcp.accept().await.unwrap();
                    queries.fetch_add(1, Ordering::SeqCst);
                    let length = stream.read_u16().await.unwrap();
                    let mut query = vec![0; usize::from(length)];
                    stream.read_exact(&mut query).await.unwrap();
                    let query = Message::from_vec(&query).unwrap();
                    for reply in script(&query, Transport::Tcp) {
                        let length = u16::try_from(reply.len()).unwrap();
                        stream.write_all(&length.to_be_bytes()).await.unwrap();
                        stream.write_all(&reply).await.unwrap();
                    }
                }
            })
        };
        Self {
            addr,
            queries,
            tasks: vec![udp_task, tcp_task],
        }
    }

    /// How many queries arrived (UDP datagrams and TCP connections).
    pub(crate) fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
