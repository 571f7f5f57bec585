//! Native histogram chunk decoding (integer and float) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_proto::chunkenc::{decode_float_histograms, decode_histograms};

fuzz_target!(|data: &[u8]| {
    let _ = decode_histograms(data);
    let _ = decode_float_histograms(data);
});
