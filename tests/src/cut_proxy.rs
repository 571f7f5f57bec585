//! A TCP proxy in front of a server that lets a test stop an answer half-way: once armed, it
//! forwards a given number of the server's bytes and then holds the rest, so the test knows the
//! client is in the middle of reading a response when it kills the server. When the server's
//! side closes, the client's connection is closed too, as if the server had died under it.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Default)]
struct State {
    armed: AtomicBool,
    after: AtomicU64,
    forwarded: AtomicU64,
    holding: AtomicBool,
    held: Notify,
}

#[derive(Debug)]
pub struct CutProxy {
    addr: String,
    state: Arc<State>,
    accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: &str) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let state = Arc::new(State::default());
        let upstream = upstream.to_string();
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else { continue };
                tokio::spawn(relay(client, server, Arc::clone(&shared)));
            }
        });
        Ok(Self { addr, state, accept })
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// From now on, forward `bytes` more of the server's bytes, then hold the rest.
    pub fn arm(&self, bytes: u64) {
        self.state.after.store(bytes, Ordering::SeqCst);
        self.state.forwarded.store(0, Ordering::SeqCst);
        self.state.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until an armed proxy holds a response back.
    pub async fn held(&self) {
        loop {
            let notified = self.state.held.notified();
            if self.state.holding.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn relay(client: TcpStream, server: TcpStream, state: Arc<State>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match server_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut send = n;
        if state.armed.load(Ordering::SeqCst) {
            let done = state.forwarded.fetch_add(n as u64, Ordering::SeqCst);
            let left = state.after.load(Ordering::SeqCst).saturating_sub(done);
            send = send.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        if client_write.write_all(&buf[..send]).await.is_err() {
            break;
        }
        if send < n {
            state.holding.store(true, Ordering::SeqCst);
            state.held.notify_waiters();
            // Swallow the rest until the server goes away.
            while let Ok(n) = server_read.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            break;
        }
    }
    upstream.abort();
}
