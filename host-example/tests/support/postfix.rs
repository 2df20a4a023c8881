//! A real Postfix (`tests/peers/postfix-peer.sh`): its own instance, on free ports of 127.0.0.1.
//!
//! - `smtp_port()`: MX; STARTTLS offered, no AUTH. EHLO: PIPELINING SIZE VRFY ETRN STARTTLS
//!   ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING.
//! - `submission_port()`: STARTTLS required, then AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1
//!   SCRAM-SHA-256 as [`Postfix::USER`] / [`Postfix::PASSWORD`]; relaying needs AUTH.
//! - `submissions_port()`: implicit TLS + AUTH.
//! - Accepts mail for any domain into one Maildir (LF line endings, headers prepended:
//!   Return-Path, X-Original-To, Delivered-To, Received). `reject550@` `defer451@`
//!   `reject552@` get those replies at RCPT. SIZE (default 10485760) is enforced at MAIL.
//!
//! Starting takes about 3 to 6 s. Needs root and the packages from `scripts/install-peers.sh`.

use super::{Certs, TempDir, free_ports, run_peer_script, wait_for};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Options for [`Postfix::start_with`].
#[derive(Debug, Default, Clone)]
pub struct PostfixConfig {
    /// (smtp, submission, submissions) ports; default: three free ports.
    pub ports: Option<(u16, u16, u16)>,
    /// `message_size_limit`; default 10485760.
    pub size: Option<u64>,
    /// `smtpd_recipient_limit`; default 1000.
    pub recipient_limit: Option<u32>,
}

/// A running Postfix instance; stopped (and its directory removed) on drop.
#[derive(Debug)]
pub struct Postfix {
    dir: Option<TempDir>,
    pf_dir: PathBuf,
    envs: Vec<(&'static str, String)>,
    ports: (u16, u16, u16),
    _own_certs: Option<Certs>,
}

impl Postfix {
    pub const USER: &'static str = "user@example.test";
    pub const PASSWORD: &'static str = "secret";

    /// One instance shared by all tests of this test binary (started on first use; saves the
    /// 5 s start per test). It is never stopped by the test binary: `scripts/test.sh` ends
    /// what runs in its network namespace afterwards. Mail for all tests lands in one Maildir,
    /// so tell messages apart by recipient or a token in the body.
    pub fn shared() -> &'static Postfix {
        static SHARED: std::sync::OnceLock<Postfix> = std::sync::OnceLock::new();
        SHARED.get_or_init(Postfix::start)
    }

    /// Starts Postfix with its own certificate on free ports.
    pub fn start() -> Postfix {
        Self::start_with(None, &PostfixConfig::default())
    }

    /// Starts Postfix serving `certs` (share them with [`super::Dns`] so the TLSA matches).
    pub fn start_with(certs: Option<&Certs>, config: &PostfixConfig) -> Postfix {
        let own_certs = if certs.is_none() {
            Some(Certs::generate())
        } else {
            None
        };
        let certs = certs.or(own_certs.as_ref()).expect("certificates");
        let dir = TempDir::new("postfix");
        let ports = config.ports.unwrap_or_else(|| {
            let p = free_ports(3);
            (p[0], p[1], p[2])
        });
        let mut envs = vec![
            (
                "PF_DIR",
                dir.path().join("pf").to_string_lossy().into_owned(),
            ),
            ("PEERS_CERTS", certs.dir().to_string_lossy().into_owned()),
            ("PF_SMTP", format!("127.0.0.1:{}", ports.0)),
            ("PF_SUB", format!("127.0.0.1:{}", ports.1)),
            ("PF_SUBS", format!("127.0.0.1:{}", ports.2)),
            ("PF_USER", Self::USER.to_string()),
            ("PF_PASS", Self::PASSWORD.to_string()),
        ];
        if let Some(size) = config.size {
            envs.push(("PF_SIZE", size.to_string()));
        }
        if let Some(limit) = config.recipient_limit {
            envs.push(("PF_RCPT_LIMIT", limit.to_string()));
        }
        // The instance may live elsewhere when the path is not traversable by postfix/nobody.
        let out = run_peer_script("postfix-peer.sh", &["dir"], &envs);
        let pf_dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let postfix = Postfix {
            dir: Some(dir),
            pf_dir,
            envs,
            ports,
            _own_certs: own_certs,
        };
        run_peer_script("postfix-peer.sh", &["start"], &postfix.envs);
        postfix
    }

    pub fn smtp_port(&self) -> u16 {
        self.ports.0
    }

    pub fn submission_port(&self) -> u16 {
        self.ports.1
    }

    pub fn submissions_port(&self) -> u16 {
        self.ports.2
    }

    /// The instance directory (config, queue, Maildir, maillog).
    pub fn dir(&self) -> &Path {
        &self.pf_dir
    }

    /// The Maildir's `new/` directory, where every delivered message lands.
    pub fn maildir_new(&self) -> PathBuf {
        self.pf_dir.join("mail/sink/new")
    }

    /// Postfix's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.pf_dir.join("maillog")).unwrap_or_default()
    }

    /// The delivered messages so far (as stored: LF line endings, headers prepended), oldest
    /// first.
    pub fn messages_now(&self) -> Vec<Vec<u8>> {
        let Ok(rd) = std::fs::read_dir(self.maildir_new()) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| std::fs::read(p).ok())
            .collect()
    }

    /// Waits up to 15 s until at least `n` messages were delivered; returns all of them.
    pub fn wait_messages(&self, n: usize) -> Vec<Vec<u8>> {
        wait_for(Duration::from_secs(15), || {
            let m = self.messages_now();
            (m.len() >= n).then_some(m)
        })
        .unwrap_or_else(|| self.messages_now())
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = std::process::Command::new(super::peer_dir().join("postfix-peer.sh"))
            .arg("stop")
            .envs(self.envs.iter().map(|(k, v)| (*k, v.as_str())))
            .output();
        let Some(dir) = self.dir.take() else { return };
        if std::thread::panicking() {
            // Keep the Maildir and the log of a failing test.
            eprintln!("postfix peer kept: {}", self.pf_dir.display());
            dir.keep();
        } else if !self.pf_dir.starts_with(dir.path()) {
            // the instance lived in its fallback place (see postfix-peer.sh)
            let _ = std::fs::remove_dir_all(&self.pf_dir);
        }
    }
}
