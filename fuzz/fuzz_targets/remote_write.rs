//! The receiver's remote-write path: any body (snappy-compressed or not, any protobuf inside)
//! gets a clear outcome, never a panic, and the receiver keeps taking well-formed writes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use quiver_ingest::{Receiver, ReceiverConfig};
use quiver_proto::pb::prometheus::{Label, Sample, TimeSeries, WriteRequest};

struct Fixture {
    receiver: Receiver,
    good: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let receiver = Receiver::open(&dir.path().join("wal"), ReceiverConfig::default()).expect("receiver");
        let req = WriteRequest {
            timeseries: vec![TimeSeries {
                labels: vec![Label { name: "__name__".into(), value: "up".into() }],
                samples: vec![Sample { value: 1.0, timestamp: i64::MAX }],
                ..TimeSeries::default()
            }],
            ..WriteRequest::default()
        };
        let good = snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).expect("snappy");
        Fixture { receiver, good, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    // As sent, and as a snappy-compressed protobuf, so the decoder behind snappy is reached too.
    let _ = f.receiver.write_snappy("fuzz", data);
    if let Ok(body) = snap::raw::Encoder::new().compress_vec(data) {
        let _ = f.receiver.write_snappy("fuzz", &body);
    }
    // A repeat of the same newest sample is an identical duplicate: taken without error.
    assert!(f.receiver.write_snappy("check", &f.good).is_ok());
});
