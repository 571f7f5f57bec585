//! A real memcached (Debian package `memcached`, installed by `scripts/install-test-deps.sh`) on a
//! free port of 127.0.0.1, killed by its PID when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

#[derive(Debug)]
pub struct Memcached {
    child: Child,
    port: u16,
}

impl Memcached {
    /// Starts `memcached` (64 MiB, TCP only) and waits until it accepts connections.
    pub fn start() -> Self {
        let port = free_port().expect("free port");
        // `-u root` only matters when run as root, where memcached refuses to start without it.
        let child = Command::new("memcached")
            .args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0", "-m", "64", "-u", "root"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start memcached");
        let m = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(m.address()).is_err() {
            assert!(Instant::now() < deadline, "memcached did not start on {}", m.address());
            std::thread::sleep(Duration::from_millis(50));
        }
        m
    }

    /// `127.0.0.1:port`, as Thanos's `addresses` take it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's `stats` (curr_items, get_hits, ...).
    pub fn stats(&self) -> BTreeMap<String, String> {
        let mut s = TcpStream::connect(self.address()).expect("connect memcached");
        s.write_all(b"stats\r\n").expect("write stats");
        let mut out = BTreeMap::new();
        for line in BufReader::new(s).lines() {
            let line = line.expect("read stats");
            if line == "END" {
                break;
            }
            let mut parts = line.splitn(3, ' ');
            if let (Some("STAT"), Some(k), Some(v)) = (parts.next(), parts.next(), parts.next()) {
                out.insert(k.to_string(), v.to_string());
            }
        }
        out
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        self.kill();
    }
}
