//! DNSSEC test DNS (`tests/peers/dns-peer.sh`): NSD serving signed zones behind a validating
//! Unbound, on free ports of 127.0.0.1. Nothing outside `test.` is resolved (REFUSED).
//!
//! Through [`Dns::resolver`] (answers carry AD when validated):
//! - `example.test` (signed): MX 10 mx.example.test; mx A 127.0.0.1, AAAA ::1; TLSA 3 1 1 of
//!   the certificate at `_25._tcp.mx` and `_2525._tcp.mx`; `mxalias` CNAME mx; `cnamemx` MX
//!   mxalias; `badtlsa` MX mxbad (TLSA that matches nothing); `mixed` MX mx.insecure.test;
//!   `nullmx` MX 0 .; SRV `_submission._tcp` 0 1 5870 mx; TXT `_mta-sts` "v=STSv1; id=1".
//! - `insecure.test` (unsigned, provably insecure): MX mx.insecure.test, A/AAAA, TLSA; `www`
//!   CNAME mx.example.test. Answers without AD.
//! - `bogus.test`: signatures that do not match the DS: SERVFAIL.
//! - `xn--exmple-cua.test` (exämple.test): MX 10 mx.example.test.
//!
//! Starting takes under a second. Needs root and the packages from `scripts/install-peers.sh`.

use super::{Certs, TempDir, run_peer_script};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;

/// Options for [`Dns::start_with`].
#[derive(Debug, Default, Clone)]
pub struct DnsConfig {
    /// Unbound's port; default a free one. 53 inside the test's network namespace makes it the
    /// system resolver (`/etc/resolv.conf` there names 127.0.0.1); only one test at a time
    /// can have it.
    pub resolver_port: Option<u16>,
    /// NSD's port; default a free one.
    pub auth_port: Option<u16>,
}

/// Running NSD + Unbound; stopped (and their directory removed) on drop.
#[derive(Debug)]
pub struct Dns {
    dir: Option<TempDir>,
    envs: Vec<(&'static str, String)>,
    resolver_port: u16,
    auth_port: u16,
    tlsa311: String,
    _own_certs: Option<Certs>,
}

impl Dns {
    /// One instance shared by all tests of this test binary (started on first use), never
    /// stopped by the test binary: `scripts/test.sh` ends what runs in its network namespace.
    pub fn shared() -> &'static Dns {
        static SHARED: std::sync::OnceLock<Dns> = std::sync::OnceLock::new();
        SHARED.get_or_init(Dns::start)
    }

    /// Starts the DNS peers with a new certificate for the TLSA records.
    pub fn start() -> Dns {
        Self::start_with(None, &DnsConfig::default())
    }

    /// Starts the DNS peers; the TLSA records match `certs` (share them with
    /// [`super::Postfix`] or the aiosmtpd peer).
    pub fn start_with(certs: Option<&Certs>, config: &DnsConfig) -> Dns {
        let own_certs = if certs.is_none() {
            Some(Certs::generate())
        } else {
            None
        };
        let certs = certs.or(own_certs.as_ref()).expect("certificates");
        let dir = TempDir::new("dns");
        let resolver_port = config.resolver_port.unwrap_or_else(free_udp_tcp_port);
        let auth_port = config.auth_port.unwrap_or_else(|| {
            loop {
                let p = free_udp_tcp_port();
                if p != resolver_port {
                    break p;
                }
            }
        });
        let envs = vec![
            (
                "DNS_DIR",
                dir.path().join("dns").to_string_lossy().into_owned(),
            ),
            ("PEERS_CERTS", certs.dir().to_string_lossy().into_owned()),
            ("AUTH_PORT", auth_port.to_string()),
            ("RES_PORT", resolver_port.to_string()),
        ];
        let dns = Dns {
            dir: Some(dir),
            envs,
            resolver_port,
            auth_port,
            tlsa311: certs.tlsa311(),
            _own_certs: own_certs,
        };
        run_peer_script("dns-peer.sh", &["start"], &dns.envs);
        dns
    }

    /// The validating resolver (Unbound), `127.0.0.1:<port>`.
    pub fn resolver(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.resolver_port))
    }

    /// The authoritative server (NSD): no validation, no recursion.
    pub fn authoritative(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.auth_port))
    }

    /// The hex data of the `3 1 1` TLSA records in the zones.
    pub fn tlsa311(&self) -> &str {
        &self.tlsa311
    }

    /// The peers' directory (zones, keys, configs, logs).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("dir").path()
    }

    /// The output of `dns-peer.sh check`: one line per query with rcode, flags and answers.
    pub fn check(&self) -> String {
        let out = run_peer_script("dns-peer.sh", &["check"], &self.envs);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = std::process::Command::new(super::peer_dir().join("dns-peer.sh"))
            .arg("stop")
            .envs(self.envs.iter().map(|(k, v)| (*k, v.as_str())))
            .output();
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("dns peer kept: {}", dir.keep().display());
        }
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 a moment ago.
pub fn free_udp_tcp_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("binding udp 127.0.0.1:0");
        let port = udp.local_addr().expect("local_addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
