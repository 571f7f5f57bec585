//! StoreAPI messages off the wire: any bytes decoded as a series request, a series response or a
//! label request and then converted to the source trait's types give a value or an error, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use quiver_proto::pb::thanos::{LabelNamesRequest, LabelValuesRequest, SeriesRequest, SeriesResponse};
use quiver_proto::store::wire;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = SeriesRequest::decode(data) {
        let _ = wire::series_request_from_pb("fuzz", &r);
    }
    if let Ok(r) = SeriesResponse::decode(data) {
        let _ = wire::frames_from_pb(r);
    }
    if let Ok(r) = LabelNamesRequest::decode(data) {
        let _ = wire::label_names_request_from_pb("fuzz", &r);
    }
    if let Ok(r) = LabelValuesRequest::decode(data) {
        let _ = wire::label_values_request_from_pb("fuzz", &r);
    }
});
