//! Quiver's integration tests live in `tests/tests/`; this library holds what they share:
//! locating the real Prometheus tools, free ports, and starting peers (Prometheus, `quiver up`)
//! that are killed by PID.

pub mod bins;
pub mod counting_store;
pub mod cut_proxy;
pub mod json_diff;
pub mod memcached;
pub mod ports;
pub mod prometheus;
pub mod quiver_proc;
pub mod quiver_up;
pub mod remote_write;
pub mod s3;
pub mod samples;
pub mod shared;
