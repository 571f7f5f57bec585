//! The chunk encodings Prometheus stores samples in, bit-exact with Prometheus.
//!
//! The encoding numbers here are the ones of Prometheus's chunk files and `prompb`
//! (XOR = 1, histogram = 2, float histogram = 3). Thanos's `storepb` numbers them from 0; convert
//! with [`Encoding::from_storepb`] and [`Encoding::to_storepb`].

mod bstream;
mod float_histogram;
mod histogram;
mod histogram_meta;
mod varbit;
mod xor;

pub use bstream::{BitReader, BitWriter, Eof};
pub use float_histogram::{
    FloatHistogramAppender, FloatHistogramIter, decode_float_histograms, encode_float_histogram_chunks,
    float_histogram_num_samples,
};
pub use histogram::{
    HistogramAppender, HistogramIter, decode_histograms, encode_histogram_chunks, histogram_num_samples,
};
pub use histogram_meta::{AppendOutcome, CounterResetHeader};
pub use xor::{
    XorAppender, XorIter, decode_xor, decode_xor_into, decode_xor_pairs_into, encode_xor, xor_num_samples,
};

use crate::error::{Error, Result};

/// A chunk encoding, numbered as in Prometheus's chunk files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Encoding {
    Xor = 1,
    Histogram = 2,
    FloatHistogram = 3,
}

impl Encoding {
    pub fn from_u8(b: u8) -> Result<Self> {
        match b {
            1 => Ok(Encoding::Xor),
            2 => Ok(Encoding::Histogram),
            3 => Ok(Encoding::FloatHistogram),
            other => Err(Error::UnknownEncoding(other)),
        }
    }

    /// Thanos `storepb.Chunk.Encoding`: XOR = 0, HISTOGRAM = 1, FLOAT_HISTOGRAM = 2.
    pub fn to_storepb(self) -> i32 {
        self as i32 - 1
    }

    pub fn from_storepb(v: i32) -> Result<Self> {
        u8::try_from(v + 1).map_err(|_| Error::UnknownEncoding(u8::MAX)).and_then(Self::from_u8)
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Xor => "XOR",
            Encoding::Histogram => "histogram",
            Encoding::FloatHistogram => "floathistogram",
        }
    }
}

/// A chunk as stored: its encoding, time range and encoded bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RawChunk {
    pub min_time: i64,
    pub max_time: i64,
    pub encoding: Encoding,
    pub data: bytes::Bytes,
}

/// Number of samples a chunk declares in its header, whatever its encoding.
pub fn num_samples(encoding: Encoding, data: &[u8]) -> Result<usize> {
    match encoding {
        Encoding::Xor => xor_num_samples(data),
        Encoding::Histogram => histogram_num_samples(data),
        Encoding::FloatHistogram => float_histogram_num_samples(data),
    }
}
