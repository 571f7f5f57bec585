//! Decoding the wire messages Quiver receives from peers never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use quiver_proto::pb;

fuzz_target!(|data: &[u8]| {
    let _ = pb::prometheus::WriteRequest::decode(data);
    let _ = pb::prometheus::ReadRequest::decode(data);
    let _ = pb::prometheus::ChunkedReadResponse::decode(data);
    let _ = pb::io::prometheus::write::v2::Request::decode(data);
    let _ = pb::thanos::SeriesRequest::decode(data);
    let _ = pb::thanos::SeriesResponse::decode(data);
    let _ = pb::thanos::info::InfoResponse::decode(data);
});
