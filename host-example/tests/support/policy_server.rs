//! An HTTPS server for MTA-STS policies (RFC 8461 §3.3) on 127.0.0.1:443: rustls on threads,
//! certificates by SNI from a test root made with rcgen (pass [`Pki::root_der`] to the
//! component as an extra root), a response per policy host, and a count of requests per host.
//! Port 443 needs root: tests using it belong to a peer group that runs in the network
//! namespace of `scripts/test.sh`.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Certificates by SNI name.
#[derive(Debug)]
struct BySni(HashMap<String, Arc<CertifiedKey>>);

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.get(hello.server_name()?).cloned()
    }
}

/// A test root and the leaves it signs.
pub struct Pki {
    root_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let root_der = params.self_signed(&key).unwrap().der().to_vec();
        Pki {
            root_der,
            issuer: Issuer::new(params, key),
        }
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> Vec<u8> {
        self.root_der.clone()
    }

    /// A leaf for `name` with a fresh key.
    pub fn leaf(&self, name: &str) -> Arc<CertifiedKey> {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let signing = rustls::crypto::ring::sign::any_supported_type(&der).unwrap();
        Arc::new(CertifiedKey::new(vec![cert.der().clone()], signing))
    }
}

/// One policy host the server answers for.
pub struct PolicyHost {
    /// The SNI and Host name, e.g. "mta-sts.example.test".
    pub name: String,
    /// The name the certificate is issued for (the policy host, or a wrong one).
    pub certificate_name: String,
    /// The whole HTTP response.
    pub response: String,
}

/// A 200 response with a text/plain policy.
pub fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Serves `hosts` on 127.0.0.1:443 until the test binary ends; returns the request counts by
/// SNI name. Each request must be the GET of RFC 8461 §3.3 with the right Host header.
pub fn serve(pki: &Pki, hosts: Vec<PolicyHost>) -> Arc<Mutex<HashMap<String, usize>>> {
    let mut certs = HashMap::new();
    let mut responses = HashMap::new();
    for host in hosts {
        certs.insert(host.name.clone(), pki.leaf(&host.certificate_name));
        responses.insert(host.name, host.response);
    }
    let config = Arc::new(
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(BySni(certs))),
    );
    let responses = Arc::new(responses);
    let listener = TcpListener::bind("127.0.0.1:443").expect("port 443 (root in a namespace)");
    let counts = Arc::new(Mutex::new(HashMap::new()));
    let seen = counts.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let (config, seen, responses) = (config.clone(), seen.clone(), responses.clone());
            std::thread::spawn(move || {
                let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let host = tls.conn.server_name().unwrap_or_default().to_string();
                let request = String::from_utf8_lossy(&request).into_owned();
                assert!(
                    request.starts_with(&format!(
                        "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                    )),
                    "{request}"
                );
                *seen.lock().unwrap().entry(host.clone()).or_insert(0) += 1;
                let not_found = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found";
                let response = responses.get(&host).map_or(not_found, String::as_str);
                let _ = tls.write_all(response.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    counts
}
