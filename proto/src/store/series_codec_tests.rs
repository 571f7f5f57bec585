use bytes::Bytes;
use prost::Message;

use super::*;

fn series(labels: &[(&str, &str)], chunks: &[(i64, i64, Encoding, &[u8])]) -> StoreSeries {
    StoreSeries {
        labels: Labels::from_pairs(labels.iter().copied()).expect("labels"),
        chunks: chunks
            .iter()
            .map(|&(min_time, max_time, encoding, data)| RawChunk {
                min_time,
                max_time,
                encoding,
                data: Bytes::copy_from_slice(data),
            })
            .collect(),
    }
}

fn samples() -> Vec<SeriesMessage> {
    let a = series(
        &[("__name__", "up"), ("job", "api"), ("instance", "10.0.0.1:9100")],
        &[
            (1_700_000_000_000, 1_700_000_119_000, Encoding::Xor, &[0, 3, 1, 2, 3]),
            (-5, 0, Encoding::Xor, &[]),
        ],
    );
    let b = series(
        &[("a", "ü✓")],
        &[(0, 7, Encoding::Histogram, &[9; 300]), (8, 9, Encoding::FloatHistogram, &[1])],
    );
    let empty = series(&[], &[]);
    let long = series(&[("x", &"v".repeat(200))], &[(i64::MIN, i64::MAX, Encoding::Xor, &[7; 20_000])]);
    vec![
        SeriesMessage::Series(a.clone()),
        SeriesMessage::Series(empty.clone()),
        SeriesMessage::Batch(vec![a, b.clone(), empty, long.clone()]),
        SeriesMessage::Batch(Vec::new()),
        SeriesMessage::Batch(vec![b]),
        SeriesMessage::Series(long),
        SeriesMessage::Warning("store 127.0.0.1:1 unavailable".into()),
        SeriesMessage::Warning(String::new()),
    ]
}

fn ours(m: &SeriesMessage) -> Vec<u8> {
    let mut plan = Plan::default();
    let len = plan.size(m);
    let mut buf = Vec::new();
    plan.write(m, &mut buf);
    assert_eq!(len, buf.len(), "{m:?}");
    buf
}

/// What prost and the wire conversion make of `bytes`, errors as text.
fn via_prost(bytes: &[u8]) -> Result<Vec<SeriesFrame>, String> {
    pb::SeriesResponse::decode(bytes).map_err(|e| e.to_string()).and_then(wire::frames_from_pb)
}

fn frames_of(m: SeriesMessage) -> Vec<SeriesFrame> {
    match m {
        SeriesMessage::Series(s) => vec![SeriesFrame::Series(s)],
        SeriesMessage::Batch(b) => b.into_iter().map(SeriesFrame::Series).collect(),
        SeriesMessage::Warning(w) => vec![SeriesFrame::Warning(w)],
    }
}

#[test]
fn messages_are_written_byte_for_byte_as_prost_writes_them() {
    for m in samples() {
        assert_eq!(ours(&m), m.clone().into_pb().encode_to_vec(), "{m:?}");
    }
}

#[test]
fn messages_read_back_as_written_and_as_prost_reads_them() {
    for m in samples() {
        let bytes = Bytes::from(ours(&m));
        let got = decode(&bytes).expect("decodes");
        assert_eq!(Ok(got.clone()), via_prost(&bytes));
        assert_eq!(got, frames_of(m));
    }
}

#[test]
fn frames_pack_into_batches_and_warnings_stay_in_place() {
    let one = |n: usize| SeriesFrame::Series(series(&[("i", &n.to_string())], &[]));
    let frames: Vec<SeriesFrame> =
        (0..5).map(one).chain([SeriesFrame::Warning("w".into())]).chain((5..7).map(one)).collect();
    // Batches of 2: [0 1] [2 3] [4] w [5 6]; reading them back gives the frames again.
    let packed = messages(frames.clone(), 2);
    let shape: Vec<String> = packed
        .iter()
        .map(|m| match m {
            SeriesMessage::Batch(b) => b.len().to_string(),
            SeriesMessage::Warning(w) => w.clone(),
            SeriesMessage::Series(_) => "?".into(),
        })
        .collect();
    assert_eq!(shape, ["2", "2", "1", "w", "2"]);
    let back: Vec<SeriesFrame> =
        packed.iter().flat_map(|m| decode(&Bytes::from(ours(m))).expect("decodes")).collect();
    assert_eq!(back, frames);
    // 0 or 1: a message per series, as clients that do not ask for batches expect.
    assert!(messages(frames, 0).iter().all(|m| !matches!(m, SeriesMessage::Batch(_))));
}

/// Raw protobuf pieces, for messages prost itself never writes.
fn key(tag: u32, wt: u8) -> Vec<u8> {
    let mut b = Vec::new();
    encode_varint(u64::from(tag << 3 | u32::from(wt)), &mut b);
    b
}

fn len_field(tag: u32, body: &[u8]) -> Vec<u8> {
    let mut b = key(tag, 2);
    encode_varint(body.len() as u64, &mut b);
    b.extend_from_slice(body);
    b
}

fn label(name: &str, value: &str) -> Vec<u8> {
    [len_field(1, name.as_bytes()), len_field(2, value.as_bytes())].concat()
}

fn raw_chunk(data: &[u8]) -> Vec<u8> {
    let chunk = [key(1, 0), vec![0], len_field(2, data)].concat();
    [key(1, 0), vec![10], key(2, 0), vec![20], len_field(3, &chunk)].concat()
}

#[test]
fn unusual_but_valid_messages_read_as_prost_reads_them() {
    let unknown =
        [key(9, 0), vec![1], len_field(10, b"zz"), key(11, 5), vec![0; 4], key(12, 1), vec![0; 8]].concat();
    let series_a = [len_field(1, &label("a", "1")), len_field(2, &raw_chunk(&[1, 2]))].concat();
    let series_b = [len_field(1, &label("b", "2")), unknown.clone(), len_field(2, &raw_chunk(&[3]))].concat();
    let hints = len_field(3, &[len_field(1, b"type.googleapis.com/x"), len_field(2, b"\x01")].concat());
    let cases: Vec<Vec<u8>> = vec![
        // A series field twice merges into one series, as prost merges a repeated oneof member.
        [len_field(1, &series_a), len_field(1, &series_b)].concat(),
        // A later member of the oneof replaces an earlier one.
        [len_field(1, &series_a), len_field(2, b"late warning")].concat(),
        [len_field(2, b"early"), len_field(4, &len_field(1, &series_b))].concat(),
        // Batches merge; unknown fields anywhere are skipped.
        [len_field(4, &len_field(1, &series_a)), unknown.clone(), len_field(4, &len_field(1, &series_b))]
            .concat(),
        [len_field(4, &[unknown.clone(), len_field(1, &series_a)].concat())].concat(),
        // Hints only, and nothing at all.
        hints.clone(),
        [len_field(1, &series_a), hints].concat(),
        Vec::new(),
        // A chunk's raw field twice merges: the later data wins.
        len_field(
            1,
            &[
                len_field(1, &label("a", "1")),
                len_field(
                    2,
                    &[len_field(3, &len_field(2, b"old")), len_field(3, &[key(1, 0), vec![1]].concat())]
                        .concat(),
                ),
            ]
            .concat(),
        ),
    ];
    for c in cases {
        let bytes = Bytes::from(c);
        let want = via_prost(&bytes);
        assert!(want.is_ok(), "{want:?}");
        assert_eq!(decode(&bytes), want);
    }
}

#[test]
fn broken_messages_fail_as_they_fail_in_prost() {
    let series_a = [len_field(1, &label("a", "1")), len_field(2, &raw_chunk(&[1, 2]))].concat();
    let good = len_field(4, &[len_field(1, &series_a), len_field(1, &series_a)].concat());
    let cases: Vec<Vec<u8>> = vec![
        good[..good.len() - 1].to_vec(),                                    // truncated
        [key(1, 0), vec![5]].concat(),                                      // wrong wire type
        len_field(1, &len_field(1, &[len_field(1, b"\xff\xfe")].concat())), // not UTF-8
        len_field(1, &[len_field(1, &label("b", "1")), len_field(1, &label("a", "1"))].concat()), // unsorted
        len_field(1, &len_field(2, &[key(1, 0), vec![1]].concat())),        // chunk without raw data
        len_field(1, &len_field(2, &len_field(3, &[key(1, 0), vec![7]].concat()))), // unknown encoding
        [key(0, 0), vec![1]].concat(),                                      // tag 0
        vec![0xff; 11],                                                     // varint overflow
        [key(5, 4)].concat(),                                               // lone end-group
    ];
    for c in cases {
        let bytes = Bytes::from(c);
        assert!(via_prost(&bytes).is_err(), "prost takes {bytes:?}");
        assert!(decode(&bytes).is_err(), "we take {bytes:?}");
    }
}

#[test]
fn every_single_byte_change_reads_as_in_prost() {
    // A small deterministic fuzz; the cargo-fuzz target storeapi_wire does this at length.
    let m = SeriesMessage::Batch(vec![
        series(&[("a", "1"), ("b", "x")], &[(1, 2, Encoding::Xor, &[1, 2, 3])]),
        series(&[("c", "3")], &[(-1, 300, Encoding::Histogram, &[4])]),
    ]);
    let good = ours(&m);
    for i in 0..good.len() {
        for v in [0u8, 1, 2, 0x7f, 0x80, 0xff, good[i] ^ 0x08, good[i].wrapping_add(1)] {
            let mut b = good.clone();
            b[i] = v;
            let bytes = Bytes::from(b);
            if let Ok(want) = via_prost(&bytes) {
                assert_eq!(decode(&bytes), Ok(want), "byte {i} = {v}");
            }
        }
    }
}
