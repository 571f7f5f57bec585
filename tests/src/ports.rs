//! Free TCP ports on 127.0.0.1 for the peers that tests start.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, OnceLock};

/// Ports already handed out by this process, so two tests running in parallel never get the
/// same one.
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port on 127.0.0.1 that was free a moment ago: the OS picks it for a listener that is closed
/// again at once. No other call in this process returns the same port. Another process may still
/// take it before the peer binds, so a peer that fails to bind should be started again on a new
/// port.
pub fn free_port() -> io::Result<u16> {
    for _ in 0..64 {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
        let mut ports = handed_out().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if ports.insert(port) {
            return Ok(port);
        }
    }
    Err(io::Error::new(io::ErrorKind::AddrNotAvailable, "no free port on 127.0.0.1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_and_distinct() -> io::Result<()> {
        let a = free_port()?;
        let b = free_port()?;
        assert_ne!(a, b);
        // Free: we can bind it.
        drop(TcpListener::bind((Ipv4Addr::LOCALHOST, a))?);
        Ok(())
    }
}
