//! A Prometheus's remote-read answer, as the sidecar decodes it: any bytes, as a streamed body
//! (fed in pieces of any size) or as a snappy samples body, give series or an error, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_engine::storage::{StreamedDecoder, decode_samples};

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else { return };
    let step = usize::from(step).max(1);
    let mut decoder = StreamedDecoder::new("fuzz");
    let mut ok = true;
    for piece in body.chunks(step) {
        if decoder.push(piece).is_err() {
            ok = false;
            break;
        }
    }
    if ok {
        let _ = decoder.finish();
    }
    let _ = decode_samples("fuzz", body);
});
