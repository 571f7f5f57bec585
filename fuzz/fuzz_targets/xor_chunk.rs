//! XOR chunk decoding never panics, and whatever decodes re-encodes to something that decodes
//! to the same samples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_proto::chunkenc::{decode_xor, encode_xor};

fuzz_target!(|data: &[u8]| {
    if let Ok(samples) = decode_xor(data) {
        if samples.windows(2).all(|w| w[0].t <= w[1].t) {
            if let Ok(again) = encode_xor(&samples) {
                let round = decode_xor(&again).expect("re-encoded chunk decodes");
                assert_eq!(round.len(), samples.len());
                for (a, b) in round.iter().zip(&samples) {
                    assert_eq!(a.t, b.t);
                    assert_eq!(a.v.to_bits(), b.v.to_bits());
                }
            }
        }
    }
});
