//! Real SOCKS5 servers from Debian for the proxy tests: microsocks (username/password,
//! RFC 1929) and Dante (`danted`, without authentication, with a rule that refuses one
//! destination). Each listens on 127.0.0.1 at a free port and is stopped when dropped.

use super::{TempDir, free_port, wait_for};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running SOCKS5 server.
#[derive(Debug)]
pub struct SocksServer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    dir: TempDir,
}

impl SocksServer {
    /// microsocks requiring `user` and `password`, its outgoing connections made from
    /// `outgoing` (`-b`), so that a server can tell they came through the proxy.
    pub fn microsocks(user: &str, password: &str, outgoing: &str) -> SocksServer {
        let dir = TempDir::new("microsocks");
        let port = free_port();
        let mut command = Command::new("microsocks");
        command.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
        command.args(["-u", user, "-P", password, "-b", outgoing]);
        SocksServer::start(command, port, dir)
    }

    /// Dante without authentication, refusing connections to 127.0.0.1 port `blocked`
    /// (reply 2, "connection not allowed by ruleset") and passing the rest.
    pub fn dante_blocking(blocked: u16) -> SocksServer {
        let dir = TempDir::new("danted");
        let port = free_port();
        let config = dir.path().join("danted.conf");
        let log = dir.path().join("danted.log");
        std::fs::write(
            &config,
            format!(
                "logoutput: {log}\n\
                 internal: 127.0.0.1 port = {port}\n\
                 external: 127.0.0.1\n\
                 clientmethod: none\n\
                 socksmethod: none\n\
                 user.privileged: root\n\
                 user.unprivileged: nobody\n\
                 client pass {{ from: 0.0.0.0/0 to: 0.0.0.0/0 }}\n\
                 socks block {{ from: 0.0.0.0/0 to: 127.0.0.1/32 port = {blocked} }}\n\
                 socks pass {{ from: 0.0.0.0/0 to: 0.0.0.0/0 }}\n",
                log = log.display()
            ),
        )
        .expect("writing danted.conf");
        let mut command = Command::new("danted");
        command.arg("-f").arg(&config);
        command.arg("-p").arg(dir.path().join("danted.pid"));
        command.args(["-N", "1"]);
        SocksServer::start(command, port, dir)
    }

    fn start(mut command: Command, port: u16, dir: TempDir) -> SocksServer {
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr log");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut server = SocksServer { child, addr, dir };
        let listening = wait_for(START_TIMEOUT, || TcpStream::connect(addr).ok());
        if listening.is_none() {
            let _ = server.child.kill();
            let log = std::fs::read_to_string(server.dir.path().join("stderr.log"));
            panic!("{command:?} did not listen on {addr}: {log:?}");
        }
        server
    }
}

impl Drop for SocksServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
