//! A scripted DNS server on 127.0.0.1 for the client tests: UDP and TCP on one port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, RData, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

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

/// A response to `query` with `rcode`, the AD bit as given, an OPT record, and `answers`.
pub(crate) fn response(
    query: &Message,
    rcode: ResponseCode,
    authentic: bool,
    answers: Vec<Record>,
) -> Message {
    let mut message = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    message.metadata.response_code = rcode;
    message.metadata.recursion_desired = query.metadata.recursion_desired;
    message.metadata.recursion_available = true;
    message.metadata.authentic_data = authentic;
    message.add_queries(query.queries.iter().cloned());
    message.add_answers(answers);
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    message.set_edns(edns);
    message
}

/// Adds an Extended DNS Error option (RFC 8914) to `message`.
pub(crate) fn with_ede(mut message: Message, code: u16, text: &str) -> Message {
    let mut data = code.to_be_bytes().to_vec();
    data.extend_from_slice(text.as_bytes());
    let mut edns = message.edns.take().unwrap_or_default();
    edns.options_mut().insert(EdnsOption::Unknown(15, data));
    message.set_edns(edns);
    message
}

/// A record `name` with `rdata`.
pub(crate) fn record(name: &str, rdata: RData) -> Record {
    Record::from_rdata(Name::from_ascii(name).unwrap(), 300, rdata)
}

/// A name.
pub(crate) fn name(name: &str) -> Name {
    Name::from_ascii(name).unwrap()
}

/// The message in wire format.
pub(crate) fn bytes(message: &Message) -> Vec<u8> {
    message.to_vec().unwrap()
}
