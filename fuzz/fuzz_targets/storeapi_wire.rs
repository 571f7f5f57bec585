//! StoreAPI messages off the wire: any bytes decoded as a series request, a series response or a
//! label request and then converted to the source trait's types give a value or an error, never
//! a panic. A series response is read both by prost and by the querier's own decoder
//! (`series_codec::decode`), which must take everything prost takes and read it the same.
#![no_main]

use prost::bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use prost::Message;
use quiver_proto::pb::thanos::{LabelNamesRequest, LabelValuesRequest, SeriesRequest, SeriesResponse};
use quiver_proto::store::{series_codec, wire};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = SeriesRequest::decode(data) {
        let _ = wire::series_request_from_pb("fuzz", &r);
    }
    let ours = series_codec::decode(&Bytes::copy_from_slice(data));
    if let Ok(r) = SeriesResponse::decode(data) {
        if let Ok(frames) = wire::frames_from_pb(r) {
            assert_eq!(ours, Ok(frames), "the decoder and prost disagree");
        }
    }
    if let Ok(r) = LabelNamesRequest::decode(data) {
        let _ = wire::label_names_request_from_pb("fuzz", &r);
    }
    if let Ok(r) = LabelValuesRequest::decode(data) {
        let _ = wire::label_values_request_from_pb("fuzz", &r);
    }
});
