//! The receiver's write-ahead log: every accepted batch of samples is appended and fsynced
//! before the write is acknowledged, so a `kill -9` loses no acknowledged sample; on start the
//! log is replayed into the head. Writes and fsyncs are apart (group commit): a record is
//! written under the log's lock, then [`Syncer::sync`] waits for an fsync that began after it
//! was written, and one fsync covers every record written before it started.
//!
//! One segment file, records back to back:
//!
//! ```text
//! length u32 BE | CRC32C of the payload u32 BE | payload
//! payload: tenant (uvarint length, bytes) | series count (uvarint)
//!          per series: label count, (name, value) strings, sample count, (t varint, v f64 LE)
//!          then, when the record holds native histograms: entry count (uvarint), per entry
//!          the series' position in the record, histogram count, each histogram as a
//!          length-prefixed `prometheus.Histogram` message (with its timestamp)
//! ```
//!
//! A record without histograms ends after its series, as records did before histograms were
//! taken, so older logs replay unchanged.
//!
//! A record cut short or failing its checksum at the end (a crash while writing) ends the log:
//! replay truncates the file there, logs it, and goes on. Damage in the middle (garbage where a
//! record was) loses only the damaged bytes: replay finds the next record whose length and
//! checksum hold, keeps the records after it, logs the bytes skipped, and rewrites the log
//! without them.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use prost::Message;
use quiver_proto::{Label, Labels};

use crate::batch::Batch;
use crate::codec::{Reader, put_str, put_uvarint};
use crate::error::{Error, Result};
use crate::head::Taken;
use crate::histogram::HistSample;
use crate::series_key::put_pair;

const SEGMENT: &str = "00000001";
/// Largest record replay accepts; a longer length is a torn or corrupt header.
const MAX_RECORD: u32 = 1 << 30;

/// One series' samples and native histograms in a record (and as the head hands them out).
#[derive(Debug, Clone, PartialEq)]
pub struct WalSeries {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
    pub histograms: Vec<(i64, HistSample)>,
}

/// One acknowledged write: a tenant's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct WalRecord {
    pub tenant: String,
    pub series: Vec<WalSeries>,
}

#[derive(Debug)]
pub struct Wal {
    path: PathBuf,
    file: File,
    syncer: Arc<Syncer>,
}

/// Makes written records durable, one fsync at a time for all writers.
#[derive(Debug)]
pub struct Syncer {
    path: PathBuf,
    /// Bytes written to the log since it was opened.
    written: AtomicU64,
    state: Mutex<SyncState>,
}

#[derive(Debug)]
struct SyncState {
    /// The log's file (a second handle: fsync needs no seek position).
    file: File,
    /// `written` as it was when the last successful fsync began.
    synced: u64,
}

impl Syncer {
    /// Returns once every byte up to `upto` (as [`Wal::write`] returned it) is fsynced: at once
    /// when an fsync that began later has finished, else after one more (covering the writes of
    /// everyone who waited meanwhile).
    pub fn sync(&self, upto: u64) -> Result<()> {
        let mut st = self.state.lock().map_err(|_| Error::Wal("the log's sync lock is poisoned".into()))?;
        if st.synced >= upto {
            return Ok(());
        }
        let target = self.written.load(Ordering::Acquire);
        st.file.sync_data().map_err(|e| Error::io(self.path.display(), e))?;
        st.synced = target;
        Ok(())
    }
}

impl Wal {
    /// Opens the log in `dir` (created if missing) and replays it: the records it holds, in
    /// order. A torn tail is cut off.
    pub fn open(dir: &Path) -> Result<(Self, Vec<WalRecord>)> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        let path = dir.join(SEGMENT);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(path.display(), e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| Error::io(path.display(), e))?;
        let replayed = replay(&bytes);
        let records = replayed.records;
        for (from, to) in &replayed.skipped {
            tracing::warn!(
                file = %path.display(),
                "the write-ahead log is damaged from byte {from} to {to}: skipped, the records after it are kept"
            );
        }
        if !replayed.skipped.is_empty() {
            // Rewritten without the damage, so the next start does not meet it again.
            file = replace(&path, &records, "repair")?;
        } else if replayed.end < bytes.len() {
            tracing::warn!(
                file = %path.display(),
                "the write-ahead log ends in a torn or corrupt record at byte {} of {}: cut there",
                replayed.end,
                bytes.len()
            );
            file.set_len(replayed.end as u64).map_err(|e| Error::io(path.display(), e))?;
            file.sync_all().map_err(|e| Error::io(path.display(), e))?;
        }
        file.seek(SeekFrom::End(0)).map_err(|e| Error::io(path.display(), e))?;
        let second = file.try_clone().map_err(|e| Error::io(path.display(), e))?;
        let syncer = Arc::new(Syncer {
            path: path.clone(),
            written: AtomicU64::new(0),
            state: Mutex::new(SyncState { file: second, synced: 0 }),
        });
        Ok((Self { path, file, syncer }, records))
    }

    /// Writes a record without waiting for the disk; returns the position to pass to
    /// [`Syncer::sync`] before the record counts as durable.
    pub fn write(&mut self, rec: &WalRecord) -> Result<u64> {
        self.write_framed(&frame(rec))
    }

    /// Writes what the head took of `batch` for `tenant` as one record (the same bytes
    /// [`Wal::write`] writes for it, encoded from the packed label sets without unpacking them);
    /// returns the position to pass to [`Syncer::sync`].
    pub(crate) fn write_taken(&mut self, tenant: &str, batch: &Batch, taken: &Taken) -> Result<u64> {
        let mut buf = Vec::with_capacity(16 + tenant.len() + taken.samples.len() * 80);
        buf.extend_from_slice(&[0; 8]);
        put_str(&mut buf, tenant);
        let series: Vec<_> =
            taken.series.iter().filter_map(|ts| Some((batch.series.get(ts.index)?, ts))).collect();
        put_uvarint(&mut buf, series.len() as u64);
        for (bs, ts) in &series {
            put_uvarint(&mut buf, bs.labels as u64);
            buf.extend_from_slice(batch.key(bs));
            put_samples(&mut buf, &taken.samples[ts.samples.clone()]);
        }
        put_hists(
            &mut buf,
            series.iter().enumerate().map(|(i, (_, ts))| (i, &taken.hists[ts.hists.clone()])),
        );
        seal(&mut buf);
        self.write_framed(&buf)
    }

    fn write_framed(&mut self, framed: &[u8]) -> Result<u64> {
        self.file.write_all(framed).map_err(|e| Error::io(self.path.display(), e))?;
        Ok(self.syncer.written.fetch_add(framed.len() as u64, Ordering::AcqRel) + framed.len() as u64)
    }

    /// Writes a record and fsyncs it.
    pub fn append(&mut self, rec: &WalRecord) -> Result<()> {
        let upto = self.write(rec)?;
        self.syncer.sync(upto)
    }

    /// The log's syncer, for waiting on writes outside the log's lock.
    pub fn syncer(&self) -> Arc<Syncer> {
        Arc::clone(&self.syncer)
    }

    /// Replaces the log with `records` (a checkpoint: what the head still holds once older
    /// samples are safe in a block), atomically: written aside, fsynced, renamed over the log.
    pub fn rewrite(&mut self, records: &[WalRecord]) -> Result<()> {
        let file = replace(&self.path, records, "checkpoint")?;
        let second = file.try_clone().map_err(|e| Error::io(self.path.display(), e))?;
        self.file = file;
        // Whatever was written before is in the checkpoint, which is on disk now.
        let mut st =
            self.syncer.state.lock().map_err(|_| Error::Wal("the log's sync lock is poisoned".into()))?;
        st.file = second;
        st.synced = self.syncer.written.load(Ordering::Acquire);
        Ok(())
    }
}

/// Replaces the log at `path` with `records`, atomically: written aside (`path.<aside>`),
/// fsynced, renamed over the log, the directory fsynced; the new log is open at its end.
fn replace(path: &Path, records: &[WalRecord], aside: &str) -> Result<File> {
    let tmp = path.with_extension(aside);
    let io = |p: &Path, e: std::io::Error| Error::io(p.display(), e);
    {
        let mut f = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        for rec in records {
            f.write_all(&frame(rec)).map_err(|e| io(&tmp, e))?;
        }
        f.sync_all().map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, e))?;
    }
    let mut file = OpenOptions::new().append(true).read(true).open(path).map_err(|e| io(path, e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| io(path, e))?;
    Ok(file)
}

/// A record as the log holds it: length, checksum, payload.
fn frame(rec: &WalRecord) -> Vec<u8> {
    let mut buf = vec![0; 8];
    encode(rec, &mut buf);
    seal(&mut buf);
    buf
}

/// Fills in the header of a framed record: the first 8 bytes of `buf` become the length and
/// the CRC-32C of the payload after them.
fn seal(buf: &mut [u8]) {
    let len = (buf.len() - 8) as u32;
    let crc = crc32c::crc32c(&buf[8..]);
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf[4..8].copy_from_slice(&crc.to_be_bytes());
}

/// What replay found in a log.
struct Replayed {
    records: Vec<WalRecord>,
    /// Where the last good record ends; a torn tail follows.
    end: usize,
    /// Damaged byte ranges between good records.
    skipped: Vec<(usize, usize)>,
}

/// The record framed at `pos`, and where it ends, if it is whole and its checksum holds.
fn record_at(b: &[u8], pos: usize) -> Option<(WalRecord, usize)> {
    let head = b.get(pos..pos + 8)?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let crc = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    if len > MAX_RECORD {
        return None;
    }
    let end = pos.checked_add(8 + len as usize)?;
    let payload = b.get(pos + 8..end)?;
    if crc32c::crc32c(payload) != crc {
        return None;
    }
    decode(payload).map(|r| (r, end))
}

/// The good records of `b`: after a bad one, the next offset where a whole record with a good
/// checksum starts is where reading goes on; with none, the rest is a torn tail.
fn replay(b: &[u8]) -> Replayed {
    let mut out = Replayed { records: Vec::new(), end: 0, skipped: Vec::new() };
    let mut pos = 0;
    while pos < b.len() {
        if let Some((rec, end)) = record_at(b, pos) {
            out.records.push(rec);
            pos = end;
            out.end = end;
            continue;
        }
        match (pos + 1..b.len()).find(|&p| record_at(b, p).is_some()) {
            Some(next) => {
                out.skipped.push((pos, next));
                pos = next;
            }
            None => break,
        }
    }
    out
}

fn encode(r: &WalRecord, b: &mut Vec<u8>) {
    put_str(b, &r.tenant);
    put_uvarint(b, r.series.len() as u64);
    for s in &r.series {
        put_uvarint(b, s.labels.len() as u64);
        for l in &s.labels {
            put_pair(b, &l.name, &l.value);
        }
        put_samples(b, &s.samples);
    }
    put_hists(b, r.series.iter().enumerate().map(|(i, s)| (i, s.histograms.as_slice())));
}

/// The histogram section, left out when no series has one.
fn put_hists<'a>(b: &mut Vec<u8>, series: impl Iterator<Item = (usize, &'a [(i64, HistSample)])>) {
    let with: Vec<_> = series.filter(|(_, h)| !h.is_empty()).collect();
    if with.is_empty() {
        return;
    }
    put_uvarint(b, with.len() as u64);
    let mut msg = Vec::new();
    for (i, hists) in with {
        put_uvarint(b, i as u64);
        put_uvarint(b, hists.len() as u64);
        for (t, h) in hists {
            msg.clear();
            // Encoding into a Vec cannot run out of room.
            let _ = h.to_pb(*t).encode(&mut msg);
            put_uvarint(b, msg.len() as u64);
            b.extend_from_slice(&msg);
        }
    }
}

fn put_samples(b: &mut Vec<u8>, samples: &[(i64, f64)]) {
    put_uvarint(b, samples.len() as u64);
    for &(t, v) in samples {
        put_uvarint(b, ((t << 1) ^ (t >> 63)) as u64);
        b.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

fn decode(b: &[u8]) -> Option<WalRecord> {
    let mut r = Reader::new(b);
    let tenant = r.str()?.to_string();
    let n = r.count()?;
    let mut series = Vec::with_capacity(n);
    for _ in 0..n {
        let nl = r.count()?;
        let mut labels = Vec::with_capacity(nl);
        for _ in 0..nl {
            labels.push(Label::new(r.str()?, r.str()?));
        }
        let labels = Labels::from_sorted(labels).ok()?;
        let ns = r.count()?;
        let mut samples = Vec::with_capacity(ns);
        for _ in 0..ns {
            let z = r.uvarint()?;
            let t = ((z >> 1) as i64) ^ -((z & 1) as i64);
            samples.push((t, r.f64()?));
        }
        series.push(WalSeries { labels, samples, histograms: Vec::new() });
    }
    if !r.done() {
        for _ in 0..r.count()? {
            let i = usize::try_from(r.uvarint()?).ok()?;
            let n = r.count()?;
            let mut hists = Vec::with_capacity(n);
            for _ in 0..n {
                hists.push(HistSample::decode_pb(r.bytes()?)?);
            }
            series.get_mut(i)?.histograms = hists;
        }
    }
    r.done().then_some(WalRecord { tenant, series })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(tenant: &str, t: i64) -> WalRecord {
        WalRecord {
            tenant: tenant.into(),
            series: vec![WalSeries {
                labels: Labels::from_pairs([("__name__", "up"), ("job", "x")]).unwrap(),
                samples: vec![(t, 1.5), (t + 1000, -0.0), (t + 2000, f64::from_bits(0x7ff0_0000_0000_0002))],
                histograms: Vec::new(),
            }],
        }
    }

    #[test]
    fn replays_what_was_appended_bit_exact() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut wal, got) = Wal::open(dir.path()).unwrap();
            assert!(got.is_empty());
            wal.append(&record("a", -5)).unwrap();
            wal.append(&record("b", 1_700_000_000_000)).unwrap();
        }
        let (_, got) = Wal::open(dir.path()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].tenant, "b");
        assert_eq!(got[0].series[0].samples[0].0, -5);
        // -0.0 keeps its sign bit, NaN payloads survive.
        assert_eq!(got[0].series[0].samples[1].1.to_bits(), (-0.0f64).to_bits());
        assert_eq!(got[0].series[0].samples[2].1.to_bits(), 0x7ff0_0000_0000_0002);
    }

    #[test]
    fn concurrent_writers_share_fsyncs_and_every_record_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = Wal::open(dir.path()).unwrap();
        let wal = Arc::new(Mutex::new(wal));
        let threads: Vec<_> = (0..4)
            .map(|w| {
                let wal = Arc::clone(&wal);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let (upto, syncer) = {
                            let mut wal = wal.lock().unwrap();
                            (wal.write(&record(&format!("w{w}"), i)).unwrap(), wal.syncer())
                        };
                        syncer.sync(upto).unwrap();
                        // Once synced, the position is covered for good.
                        assert!(syncer.state.lock().unwrap().synced >= upto);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(wal);
        let (_, got) = Wal::open(dir.path()).unwrap();
        assert_eq!(got.len(), 200);
        for w in 0..4 {
            let ts: Vec<i64> = got
                .iter()
                .filter(|r| r.tenant == format!("w{w}"))
                .map(|r| r.series[0].samples[0].0)
                .collect();
            assert_eq!(ts, (0..50).collect::<Vec<_>>(), "writer {w} in order");
        }
    }

    #[test]
    fn garbage_in_the_middle_loses_only_the_damaged_record() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        for t in 1..=4 {
            wal.append(&record("a", t)).unwrap();
        }
        drop(wal);
        let path = dir.path().join(SEGMENT);
        let full = std::fs::read(&path).unwrap();
        let one = full.len() / 4;
        let times = |got: &[WalRecord]| got.iter().map(|r| r.series[0].samples[0].0).collect::<Vec<_>>();
        // Garbage over the middle of record 2; then a zeroed stretch across records 2 and 3.
        for (from, to, left) in [(one + 5, one + 30, vec![1, 3, 4]), (one + 10, 2 * one + 12, vec![1, 4])] {
            let mut bad = full.clone();
            for (i, b) in bad[from..to].iter_mut().enumerate() {
                *b = if left.len() == 3 { (i * 37 + 11) as u8 } else { 0 };
            }
            std::fs::write(&path, &bad).unwrap();
            let (mut wal, got) = Wal::open(dir.path()).unwrap();
            assert_eq!(times(&got), left);
            wal.append(&record("a", 5)).unwrap();
            drop(wal);
            let (_, got) = Wal::open(dir.path()).unwrap();
            let mut want = left.clone();
            want.push(5);
            assert_eq!(times(&got), want, "rewritten without the damage, appends go on");
        }
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.append(&record("a", 1)).unwrap();
        wal.append(&record("a", 2)).unwrap();
        drop(wal);
        let path = dir.path().join(SEGMENT);
        let full = std::fs::read(&path).unwrap();
        for cut in [full.len() - 1, full.len() - 20, full.len() / 2 + 3] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let (mut wal, got) = Wal::open(dir.path()).unwrap();
            assert_eq!(got.len(), 1, "cut at {cut}");
            wal.append(&record("a", 3)).unwrap();
            drop(wal);
            let (_, got) = Wal::open(dir.path()).unwrap();
            assert_eq!(got.iter().map(|r| r.series[0].samples[0].0).collect::<Vec<_>>(), [1, 3]);
        }
        // Garbage in place of a record is cut too.
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 3] ^= 0xff;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(Wal::open(dir.path()).unwrap().1.len(), 1);
    }

    #[test]
    fn histograms_replay_beside_samples_and_old_records_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let h = HistSample::Int(quiver_proto::Histogram {
            count: 3,
            sum: 2.5,
            positive_spans: vec![quiver_proto::Span { offset: 1, length: 2 }],
            positive_buckets: vec![1, 1],
            ..quiver_proto::Histogram::default()
        });
        let mut with = record("a", 10);
        with.series.push(WalSeries {
            labels: Labels::from_pairs([("__name__", "h")]).unwrap(),
            samples: Vec::new(),
            histograms: vec![(7, h.clone()), (8, h.clone())],
        });
        {
            let (mut wal, _) = Wal::open(dir.path()).unwrap();
            wal.append(&record("a", 1)).unwrap();
            wal.append(&with).unwrap();
        }
        let (_, got) = Wal::open(dir.path()).unwrap();
        // Debug output, as the record's NaN sample is not equal to itself.
        assert_eq!(format!("{:?}", got[0]), format!("{:?}", record("a", 1)));
        assert_eq!(got[1].series[1].histograms.len(), 2);
        assert!(got[1].series[1].histograms[1].1.same_as(&h));
        assert!(got[1].series[0].histograms.is_empty());
        // The histogram section is only there when a series has one: a float-only record is
        // byte for byte what the log wrote before histograms.
        let mut plain = Vec::new();
        encode(&record("a", 1), &mut plain);
        let mut old = Vec::new();
        put_str(&mut old, "a");
        put_uvarint(&mut old, 1);
        put_uvarint(&mut old, 2);
        put_pair(&mut old, "__name__", "up");
        put_pair(&mut old, "job", "x");
        put_samples(&mut old, &record("a", 1).series[0].samples);
        assert_eq!(plain, old);
    }
}
