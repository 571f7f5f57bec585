//! The receiver's WAL replay: any bytes as the log segment (a torn write, a damaged disk, a
//! hostile file) open to the records that are whole and checksummed, with a log line for the
//! rest, never a panic or a refusal to start; the log then takes new records and replays them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_ingest::wal::{Wal, WalRecord, WalSeries};
use quiver_proto::Labels;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    // The segment's name as `quiver_ingest::wal` writes it.
    if std::fs::write(dir.path().join("00000001"), data).is_err() {
        return;
    }
    let (mut wal, before) = Wal::open(dir.path()).expect("a damaged log still opens");
    let labels = Labels::from_pairs([("__name__", "up")]).expect("labels");
    let record = WalRecord { tenant: "t".into(), series: vec![WalSeries { labels, samples: vec![(1, 1.0)], histograms: Vec::new() }] };
    wal.append(&record).expect("append");
    drop(wal);
    let (_, after) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(after.len(), before.len() + 1, "the records kept, and the new one");
    assert_eq!(after.last(), Some(&record));
});
