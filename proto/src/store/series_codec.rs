//! StoreAPI `Series` answers written and read straight from and to the source trait's types,
//! the bytes exactly as prost writes `storepb.SeriesResponse`. The `Series` call carries nearly
//! all of a query's data, so going through prost's message structs cost a store a copy of every
//! series into them, three walks over every message to size it and one to write it, and cost
//! the querier the same again backwards; here each message is sized once and written once, and
//! read once with chunk bytes sliced out of the received buffer.
//!
//! [`decode`] accepts what prost accepts (unknown fields skipped, repeated oneof members merged,
//! later scalars winning) and converts as [`wire::frames_from_pb`] does; the fuzz target
//! `storeapi_wire` checks it against prost on any input.

use bytes::{Buf, BufMut, Bytes};
use prost::Message;
use prost::encoding::{
    DecodeContext, WireType, decode_key, decode_varint, encode_varint, encoded_len_varint,
};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use super::{SeriesFrame, StoreSeries, wire};
use crate::chunkenc::{Encoding, RawChunk};
use crate::labels::{Label, Labels};
use crate::pb::thanos as pb;

/// One `SeriesResponse` to send.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesMessage {
    Series(StoreSeries),
    /// Consecutive series in one message (`SeriesBatch`, Thanos's `response_batch_size`).
    Batch(Vec<StoreSeries>),
    Warning(String),
}

impl SeriesMessage {
    /// The prost message with the same bytes, for servers that go through generated code.
    pub fn into_pb(self) -> pb::SeriesResponse {
        use pb::series_response::Result as R;
        let result = match self {
            SeriesMessage::Series(s) => R::Series(wire::series_to_pb(s)),
            SeriesMessage::Batch(b) => {
                R::Batch(pb::SeriesBatch { series: b.into_iter().map(wire::series_to_pb).collect() })
            }
            SeriesMessage::Warning(w) => R::Warning(w),
        };
        pb::SeriesResponse { result: Some(result) }
    }
}

/// Frames as messages, consecutive series packed into batches of at most `batch` (0 or 1: a
/// message per series, as clients that do not ask for batches expect).
pub fn messages(frames: Vec<SeriesFrame>, batch: usize) -> Vec<SeriesMessage> {
    let mut out = Vec::new();
    let mut pending: Vec<StoreSeries> = Vec::new();
    for frame in frames {
        match frame {
            SeriesFrame::Series(s) if batch <= 1 => out.push(SeriesMessage::Series(s)),
            SeriesFrame::Series(s) => {
                pending.push(s);
                if pending.len() == batch {
                    out.push(SeriesMessage::Batch(std::mem::take(&mut pending)));
                }
            }
            SeriesFrame::Warning(w) => {
                if !pending.is_empty() {
                    out.push(SeriesMessage::Batch(std::mem::take(&mut pending)));
                }
                out.push(SeriesMessage::Warning(w));
            }
        }
    }
    if !pending.is_empty() {
        out.push(SeriesMessage::Batch(pending));
    }
    out
}

// Field numbers, from storepb's rpc.proto and types.proto.
const RESPONSE_SERIES: u32 = 1;
const RESPONSE_WARNING: u32 = 2;
const RESPONSE_HINTS: u32 = 3;
const RESPONSE_BATCH: u32 = 4;
const BATCH_SERIES: u32 = 1;
const SERIES_LABELS: u32 = 1;
const SERIES_CHUNKS: u32 = 2;
const LABEL_NAME: u32 = 1;
const LABEL_VALUE: u32 = 2;
const AGGR_MIN_TIME: u32 = 1;
const AGGR_MAX_TIME: u32 = 2;
const AGGR_RAW: u32 = 3;
const CHUNK_TYPE: u32 = 1;
const CHUNK_DATA: u32 = 2;
const CHUNK_HASH: u32 = 3;
const ANY_TYPE_URL: u32 = 1;

fn key_len(tag: u32) -> usize {
    encoded_len_varint(u64::from(tag << 3))
}

fn put_key(tag: u32, wt: WireType, buf: &mut impl BufMut) {
    encode_varint(u64::from(tag << 3 | wt as u32), buf);
}

/// A length-delimited field holding `len` bytes, key and length included.
fn delimited_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// A proto3 string or bytes field: absent when empty.
fn bytes_field_len(tag: u32, b: &[u8]) -> usize {
    if b.is_empty() { 0 } else { delimited_len(tag, b.len()) }
}

fn put_bytes_field(tag: u32, b: &[u8], buf: &mut impl BufMut) {
    if !b.is_empty() {
        put_key(tag, WireType::LengthDelimited, buf);
        encode_varint(b.len() as u64, buf);
        buf.put_slice(b);
    }
}

/// A proto3 varint field: absent when zero. Negative numbers take ten bytes, as in prost.
fn varint_field_len(tag: u32, v: u64) -> usize {
    if v == 0 { 0 } else { key_len(tag) + encoded_len_varint(v) }
}

fn put_varint_field(tag: u32, v: u64, buf: &mut impl BufMut) {
    if v != 0 {
        put_key(tag, WireType::Varint, buf);
        encode_varint(v, buf);
    }
}

fn label_len(l: &Label) -> usize {
    bytes_field_len(LABEL_NAME, l.name.as_bytes()) + bytes_field_len(LABEL_VALUE, l.value.as_bytes())
}

/// `storepb.Chunk`: the encoding as storepb numbers it, the data, and its hash as Thanos's
/// stores send it (xxhash64), so a querier can drop identical chunks of replicas.
fn chunk_len(c: &RawChunk, hash: u64) -> usize {
    varint_field_len(CHUNK_TYPE, c.encoding.to_storepb() as i64 as u64)
        + bytes_field_len(CHUNK_DATA, &c.data)
        + varint_field_len(CHUNK_HASH, hash)
}

fn aggr_len(c: &RawChunk, hash: u64) -> usize {
    varint_field_len(AGGR_MIN_TIME, c.min_time as u64)
        + varint_field_len(AGGR_MAX_TIME, c.max_time as u64)
        + delimited_len(AGGR_RAW, chunk_len(c, hash))
}

/// The body of `storepb.Series`; `hashes` holds its chunks' hashes in order.
fn series_len(s: &StoreSeries, hashes: &[u64]) -> usize {
    let labels: usize = s.labels.iter().map(|l| delimited_len(SERIES_LABELS, label_len(l))).sum();
    let chunks: usize =
        s.chunks.iter().zip(hashes).map(|(c, &h)| delimited_len(SERIES_CHUNKS, aggr_len(c, h))).sum();
    labels + chunks
}

fn put_series(s: &StoreSeries, hashes: &[u64], buf: &mut impl BufMut) {
    for l in &s.labels {
        put_key(SERIES_LABELS, WireType::LengthDelimited, buf);
        encode_varint(label_len(l) as u64, buf);
        put_bytes_field(LABEL_NAME, l.name.as_bytes(), buf);
        put_bytes_field(LABEL_VALUE, l.value.as_bytes(), buf);
    }
    for (c, &h) in s.chunks.iter().zip(hashes) {
        put_key(SERIES_CHUNKS, WireType::LengthDelimited, buf);
        encode_varint(aggr_len(c, h) as u64, buf);
        put_varint_field(AGGR_MIN_TIME, c.min_time as u64, buf);
        put_varint_field(AGGR_MAX_TIME, c.max_time as u64, buf);
        put_key(AGGR_RAW, WireType::LengthDelimited, buf);
        encode_varint(chunk_len(c, h) as u64, buf);
        put_varint_field(CHUNK_TYPE, c.encoding.to_storepb() as i64 as u64, buf);
        put_bytes_field(CHUNK_DATA, &c.data, buf);
        put_varint_field(CHUNK_HASH, h, buf);
    }
}

/// Sizes of one message to write: its series' bodies and chunk hashes.
#[derive(Debug, Default)]
pub struct Plan {
    hashes: Vec<u64>,
    lens: Vec<usize>,
}

impl Plan {
    /// Sizes `msg` (each chunk hashed once), reusing this plan's space, and returns its whole
    /// length.
    pub fn size(&mut self, msg: &SeriesMessage) -> usize {
        let series: &[StoreSeries] = match msg {
            SeriesMessage::Warning(w) => return delimited_len(RESPONSE_WARNING, w.len()),
            SeriesMessage::Series(s) => std::slice::from_ref(s),
            SeriesMessage::Batch(b) => b,
        };
        self.hashes.clear();
        self.hashes
            .extend(series.iter().flat_map(|s| &s.chunks).map(|c| twox_hash::XxHash64::oneshot(0, &c.data)));
        self.lens.clear();
        let mut at = 0;
        for s in series {
            let n = s.chunks.len();
            self.lens.push(series_len(s, &self.hashes[at..at + n]));
            at += n;
        }
        match msg {
            SeriesMessage::Batch(_) => delimited_len(RESPONSE_BATCH, self.batch_len()),
            _ => delimited_len(RESPONSE_SERIES, self.lens.first().copied().unwrap_or(0)),
        }
    }

    fn batch_len(&self) -> usize {
        self.lens.iter().map(|&l| delimited_len(BATCH_SERIES, l)).sum()
    }

    /// Writes `msg`, sized by [`Plan::size`] just before, as prost writes the same
    /// `SeriesResponse`.
    pub fn write(&self, msg: &SeriesMessage, buf: &mut impl BufMut) {
        let series: &[StoreSeries] = match msg {
            SeriesMessage::Warning(w) => {
                // A oneof member is written even when empty: it says which member is set.
                put_key(RESPONSE_WARNING, WireType::LengthDelimited, buf);
                encode_varint(w.len() as u64, buf);
                buf.put_slice(w.as_bytes());
                return;
            }
            SeriesMessage::Series(s) => {
                put_key(RESPONSE_SERIES, WireType::LengthDelimited, buf);
                encode_varint(self.lens.first().copied().unwrap_or(0) as u64, buf);
                std::slice::from_ref(s)
            }
            SeriesMessage::Batch(b) => {
                put_key(RESPONSE_BATCH, WireType::LengthDelimited, buf);
                encode_varint(self.batch_len() as u64, buf);
                b
            }
        };
        let batched = matches!(msg, SeriesMessage::Batch(_));
        let mut at = 0;
        for (s, &len) in series.iter().zip(&self.lens) {
            if batched {
                put_key(BATCH_SERIES, WireType::LengthDelimited, buf);
                encode_varint(len as u64, buf);
            }
            let n = s.chunks.len();
            put_series(s, &self.hashes[at..at + n], buf);
            at += n;
        }
    }
}

type Decoded<T> = Result<T, String>;

fn err(e: prost::DecodeError) -> String {
    e.to_string()
}

fn expect(got: WireType, want: WireType) -> Decoded<()> {
    if got == want { Ok(()) } else { Err(format!("invalid wire type: {got:?} (expected {want:?})")) }
}

/// A length-delimited field's body, `buf` moved past it.
fn delimited<'a>(buf: &mut &'a [u8], wt: WireType) -> Decoded<&'a [u8]> {
    expect(wt, WireType::LengthDelimited)?;
    let len = decode_varint(buf).map_err(err)?;
    let len = usize::try_from(len).ok().filter(|&l| l <= buf.len()).ok_or("buffer underflow")?;
    let (body, rest) = buf.split_at(len);
    *buf = rest;
    Ok(body)
}

fn varint(buf: &mut &[u8], wt: WireType) -> Decoded<u64> {
    expect(wt, WireType::Varint)?;
    decode_varint(buf).map_err(err)
}

fn utf8(b: &[u8]) -> Decoded<&str> {
    std::str::from_utf8(b).map_err(|_| "invalid string value: data is not UTF-8 encoded".to_string())
}

fn skip(buf: &mut &[u8], tag: u32, wt: WireType) -> Decoded<()> {
    prost::encoding::skip_field(wt, tag, buf, DecodeContext::default()).map_err(err)
}

/// Each field of the message in `body` to `f`, unknown ones skipped by it.
fn fields<'a>(
    mut body: &'a [u8],
    mut f: impl FnMut(u32, WireType, &mut &'a [u8]) -> Decoded<()>,
) -> Decoded<()> {
    while body.has_remaining() {
        let (tag, wt) = decode_key(&mut body).map_err(err)?;
        f(tag, wt, &mut body)?;
    }
    Ok(())
}

/// `storepb.Chunk` as read so far.
#[derive(Default)]
struct ChunkIn {
    kind: i32,
    data: Bytes,
}

#[derive(Default)]
struct AggrIn {
    min_time: i64,
    max_time: i64,
    raw: Option<ChunkIn>,
}

#[derive(Default)]
struct SeriesIn {
    labels: Vec<Label>,
    chunks: Vec<AggrIn>,
}

fn merge_chunk(c: &mut ChunkIn, body: &[u8], msg: &Bytes) -> Decoded<()> {
    fields(body, |tag, wt, buf| {
        match tag {
            CHUNK_TYPE => c.kind = varint(buf, wt)? as i32,
            CHUNK_DATA => c.data = msg.slice_ref(delimited(buf, wt)?),
            CHUNK_HASH => {
                varint(buf, wt)?;
            }
            _ => skip(buf, tag, wt)?,
        }
        Ok(())
    })
}

fn merge_aggr(a: &mut AggrIn, body: &[u8], msg: &Bytes) -> Decoded<()> {
    fields(body, |tag, wt, buf| {
        match tag {
            AGGR_MIN_TIME => a.min_time = varint(buf, wt)? as i64,
            AGGR_MAX_TIME => a.max_time = varint(buf, wt)? as i64,
            AGGR_RAW => merge_chunk(a.raw.get_or_insert_default(), delimited(buf, wt)?, msg)?,
            // Aggregates of downsampled data: read to be checked, not kept (see series_from_pb).
            4..=8 => merge_chunk(&mut ChunkIn::default(), delimited(buf, wt)?, msg)?,
            _ => skip(buf, tag, wt)?,
        }
        Ok(())
    })
}

fn merge_series(s: &mut SeriesIn, body: &[u8], msg: &Bytes) -> Decoded<()> {
    fields(body, |tag, wt, buf| {
        match tag {
            SERIES_LABELS => {
                let (mut name, mut value) = ("", "");
                fields(delimited(buf, wt)?, |tag, wt, buf| {
                    match tag {
                        LABEL_NAME => name = utf8(delimited(buf, wt)?)?,
                        LABEL_VALUE => value = utf8(delimited(buf, wt)?)?,
                        _ => skip(buf, tag, wt)?,
                    }
                    Ok(())
                })?;
                s.labels.push(Label::new(name, value));
            }
            SERIES_CHUNKS => {
                let mut a = AggrIn::default();
                merge_aggr(&mut a, delimited(buf, wt)?, msg)?;
                s.chunks.push(a);
            }
            _ => skip(buf, tag, wt)?,
        }
        Ok(())
    })
}

/// `google.protobuf.Any`: checked, not kept (hints carry nothing a source needs).
fn check_any(body: &[u8]) -> Decoded<()> {
    fields(body, |tag, wt, buf| {
        match tag {
            ANY_TYPE_URL => {
                utf8(delimited(buf, wt)?)?;
            }
            2 => {
                delimited(buf, wt)?;
            }
            _ => skip(buf, tag, wt)?,
        }
        Ok(())
    })
}

fn series_out(s: SeriesIn) -> Decoded<StoreSeries> {
    let labels = Labels::from_sorted(s.labels).map_err(|e| e.to_string())?;
    let mut chunks = Vec::with_capacity(s.chunks.len());
    for c in s.chunks {
        let Some(raw) = c.raw else {
            return Err(format!("series {labels}: a chunk without raw data (aggregates are not read)"));
        };
        let encoding = Encoding::from_storepb(raw.kind).map_err(|e| format!("series {labels}: {e}"))?;
        chunks.push(RawChunk { min_time: c.min_time, max_time: c.max_time, encoding, data: raw.data });
    }
    Ok(StoreSeries { labels, chunks })
}

enum ResponseIn {
    None,
    Series(SeriesIn),
    Warning(String),
    Hints,
    Batch(Vec<SeriesIn>),
}

/// One `SeriesResponse` as frames (a hints message gives none), chunk data sliced from `msg`.
pub fn decode(msg: &Bytes) -> Decoded<Vec<SeriesFrame>> {
    let mut got = ResponseIn::None;
    fields(msg, |tag, wt, buf| {
        match tag {
            RESPONSE_SERIES => {
                let body = delimited(buf, wt)?;
                if !matches!(got, ResponseIn::Series(_)) {
                    got = ResponseIn::Series(SeriesIn::default());
                }
                if let ResponseIn::Series(s) = &mut got {
                    merge_series(s, body, msg)?;
                }
            }
            RESPONSE_WARNING => got = ResponseIn::Warning(utf8(delimited(buf, wt)?)?.to_string()),
            RESPONSE_HINTS => {
                check_any(delimited(buf, wt)?)?;
                got = ResponseIn::Hints;
            }
            RESPONSE_BATCH => {
                let body = delimited(buf, wt)?;
                if !matches!(got, ResponseIn::Batch(_)) {
                    got = ResponseIn::Batch(Vec::new());
                }
                if let ResponseIn::Batch(all) = &mut got {
                    fields(body, |tag, wt, buf| {
                        if tag != BATCH_SERIES {
                            return skip(buf, tag, wt);
                        }
                        let mut s = SeriesIn::default();
                        merge_series(&mut s, delimited(buf, wt)?, msg)?;
                        all.push(s);
                        Ok(())
                    })?;
                }
            }
            _ => skip(buf, tag, wt)?,
        }
        Ok(())
    })?;
    match got {
        ResponseIn::None | ResponseIn::Hints => Ok(Vec::new()),
        ResponseIn::Warning(w) => Ok(vec![SeriesFrame::Warning(w)]),
        ResponseIn::Series(s) => Ok(vec![SeriesFrame::Series(series_out(s)?)]),
        ResponseIn::Batch(all) => all.into_iter().map(|s| series_out(s).map(SeriesFrame::Series)).collect(),
    }
}

/// The `Series` call's codec for a server: requests through prost, answers written here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerCodec;

#[derive(Debug, Default)]
pub struct MessageEncoder {
    plan: Plan,
}

impl Encoder for MessageEncoder {
    type Item = SeriesMessage;
    type Error = Status;

    fn encode(&mut self, item: SeriesMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // Room for the whole message at once: growing the buffer as it fills would copy it.
        dst.reserve(self.plan.size(&item));
        self.plan.write(&item, dst);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RequestDecoder;

impl Decoder for RequestDecoder {
    type Item = pb::SeriesRequest;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<pb::SeriesRequest>, Status> {
        pb::SeriesRequest::decode(src).map(Some).map_err(|e| Status::internal(e.to_string()))
    }
}

impl Codec for ServerCodec {
    type Encode = SeriesMessage;
    type Decode = pb::SeriesRequest;
    type Encoder = MessageEncoder;
    type Decoder = RequestDecoder;

    fn encoder(&mut self) -> MessageEncoder {
        MessageEncoder::default()
    }

    fn decoder(&mut self) -> RequestDecoder {
        RequestDecoder
    }
}

/// The `Series` call's codec for a client: requests through prost, answers read here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientCodec;

#[derive(Debug, Clone, Copy, Default)]
pub struct RequestEncoder;

impl Encoder for RequestEncoder {
    type Item = pb::SeriesRequest;
    type Error = Status;

    fn encode(&mut self, item: pb::SeriesRequest, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst).map_err(|e| Status::internal(e.to_string()))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct FramesDecoder;

impl Decoder for FramesDecoder {
    type Item = Vec<SeriesFrame>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<SeriesFrame>>, Status> {
        // The message's bytes, without a copy: chunk data stays in them.
        let msg = src.copy_to_bytes(src.remaining());
        decode(&msg).map(Some).map_err(|e| Status::data_loss(format!("bad Series answer: {e}")))
    }
}

impl Codec for ClientCodec {
    type Encode = pb::SeriesRequest;
    type Decode = Vec<SeriesFrame>;
    type Encoder = RequestEncoder;
    type Decoder = FramesDecoder;

    fn encoder(&mut self) -> RequestEncoder {
        RequestEncoder
    }

    fn decoder(&mut self) -> FramesDecoder {
        FramesDecoder
    }
}

/// gRPC path of StoreAPI's `Series`.
pub const SERIES_PATH: &str = "/thanos.Store/Series";

#[cfg(test)]
#[path = "series_codec_tests.rs"]
mod tests;
