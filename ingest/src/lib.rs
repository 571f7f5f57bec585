//! Quiver's write path: remote-write decoding, validation, WAL, the in-memory head, block cutting
//! and upload (the receiver), and the sidecar's shipper and reloader.
//!
//! It depends only on `quiver-proto` and `quiver-bucket`, never on query code. Nothing lives here
//! yet: the receiver and sidecar are built in their own issues.
