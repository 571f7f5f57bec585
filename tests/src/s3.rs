//! An S3 emulator (moto 5.x, `moto_server`) for integration tests.
//!
//! Each [`S3Emulator`] is its own `moto_server` process on its own free port of 127.0.0.1 with
//! its own bucket, so tests may run in parallel. It is killed by PID when dropped.
//!
//! moto is installed by `scripts/install-test-deps.sh` (`pip install 'moto[server]>=5,<6'`).
//! `QUIVER_MOTO_SERVER` may name the `moto_server` program to use; without it `moto_server` is
//! looked up on `PATH`, then `python3 -m moto.server` is tried.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// The access key the emulator's YAML uses (moto accepts any).
pub const ACCESS_KEY: &str = "testing";
/// The secret key the emulator's YAML uses (moto accepts any).
pub const SECRET_KEY: &str = "testing";
/// The region moto serves by default.
pub const REGION: &str = "us-east-1";
/// The bucket [`S3Emulator::start`] creates.
pub const DEFAULT_BUCKET: &str = "quiver-test";

/// How long moto may take to answer after it was started (it imports a lot of Python).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a start is tried on a new port when the port was taken in between.
const START_ATTEMPTS: usize = 4;

/// A running `moto_server` with one bucket, killed by PID on drop.
#[derive(Debug)]
pub struct S3Emulator {
    child: Child,
    port: u16,
    bucket: String,
    log: PathBuf,
}

impl S3Emulator {
    /// Starts `moto_server -H 127.0.0.1 -p <free port>`, waits until it answers and creates the
    /// bucket [`DEFAULT_BUCKET`].
    pub fn start() -> io::Result<Self> {
        Self::start_with_bucket(DEFAULT_BUCKET)
    }

    /// Like [`S3Emulator::start`], creating the bucket `bucket`.
    pub fn start_with_bucket(bucket: &str) -> io::Result<Self> {
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(bucket) {
                Ok(emulator) => return Ok(emulator),
                Err(StartError::PortTaken(e)) => last_error = Some(e),
                Err(StartError::Fatal(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("moto_server did not start")))
    }

    fn try_start(bucket: &str) -> Result<Self, StartError> {
        let port = free_port().map_err(StartError::Fatal)?;
        let log = log_path(port);
        let log_file = File::create(&log).map_err(StartError::Fatal)?;
        let stderr = log_file.try_clone().map_err(StartError::Fatal)?;
        let (program, prefix_args) = moto_command();
        let child = Command::new(&program)
            .args(&prefix_args)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                StartError::Fatal(io::Error::new(
                    e.kind(),
                    format!(
                        "cannot start {program} (moto S3 emulator): {e}; install it with \
                         scripts/install-test-deps.sh"
                    ),
                ))
            })?;
        // From here on, Drop kills the process and removes the log.
        let mut emulator = S3Emulator { child, port, bucket: bucket.to_string(), log };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = emulator.child.try_wait().map_err(StartError::Fatal)? {
                let log = emulator.log_text();
                let message = format!("moto_server on port {port} exited with {status}: {log}");
                return Err(if log.contains("Address already in use") {
                    StartError::PortTaken(io::Error::new(io::ErrorKind::AddrInUse, message))
                } else {
                    StartError::Fatal(io::Error::other(message))
                });
            }
            match http_request(port, "PUT", &format!("/{bucket}")) {
                Ok((200, _)) => return Ok(emulator),
                Ok((status, body)) => {
                    return Err(StartError::Fatal(io::Error::other(format!(
                        "moto_server on port {port}: creating bucket {bucket} answered {status}: \
                         {body}"
                    ))));
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(StartError::Fatal(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "moto_server on port {port} did not answer within {STARTUP_TIMEOUT:?}: \
                             {e}; log: {}",
                            emulator.log_text()
                        ),
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The endpoint as Thanos's S3 config wants it: `127.0.0.1:<port>`, no scheme.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`, for clients that want a scheme (boto3).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of `moto_server`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The bucket created at start.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates one more bucket.
    pub fn create_bucket(&self, bucket: &str) -> io::Result<()> {
        match http_request(self.port, "PUT", &format!("/{bucket}"))? {
            (200, _) => Ok(()),
            (status, body) => Err(io::Error::other(format!("creating bucket {bucket}: {status}: {body}"))),
        }
    }

    /// Thanos objstore YAML for this emulator's bucket: `type: S3`, plain http, path-style
    /// requests, dummy keys, and `prefix` when given.
    pub fn objstore_yaml(&self, prefix: Option<&str>) -> String {
        self.objstore_yaml_for(&self.bucket, prefix)
    }

    /// Thanos objstore YAML for another bucket of this emulator.
    pub fn objstore_yaml_for(&self, bucket: &str, prefix: Option<&str>) -> String {
        let mut yaml = format!(
            "type: S3\n\
             config:\n  \
               bucket: {bucket}\n  \
               endpoint: {endpoint}\n  \
               region: {REGION}\n  \
               access_key: {ACCESS_KEY}\n  \
               secret_key: {SECRET_KEY}\n  \
               insecure: true\n  \
               bucket_lookup_type: path\n",
            endpoint = self.endpoint(),
        );
        if let Some(prefix) = prefix {
            yaml.push_str(&format!("prefix: {prefix:?}\n"));
        }
        yaml
    }

    /// What moto has logged so far (one line per request).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for S3Emulator {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this process's own PID; wait reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

enum StartError {
    /// The port was taken between choosing it and moto binding it: try another.
    PortTaken(io::Error),
    Fatal(io::Error),
}

fn log_path(port: u16) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("quiver-moto-{}-{n}-{port}.log", std::process::id()))
}

/// The program and leading arguments that start moto's server.
fn moto_command() -> (String, Vec<String>) {
    if let Some(program) = std::env::var_os("QUIVER_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return (program.to_string_lossy().into_owned(), Vec::new());
    }
    if find_on_path("moto_server").is_some() {
        return ("moto_server".to_string(), Vec::new());
    }
    ("python3".to_string(), vec!["-m".to_string(), "moto.server".to_string()])
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| is_file(p))
}

fn is_file(path: &Path) -> bool {
    path.metadata().map(|m| m.is_file()).unwrap_or(false)
}

/// One unsigned HTTP/1.1 request with an empty body to 127.0.0.1:`port`; returns the status and
/// the body (lossy UTF-8). moto accepts unsigned requests.
pub fn http_request(port: u16, method: &str, path: &str) -> io::Result<(u16, String)> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, format!("not an HTTP response: {text:?}"))
    })?;
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    Ok((status, body))
}
