//! Remote write 2.0 (`io.prometheus.write.v2.Request`): label sets are pairs of references into
//! the request's symbol table. Decoded into the same batch as 1.0 (labels borrowed from the
//! symbol table), so validation, the WAL and the head are shared; native histograms (integer
//! and float) are taken as 1.0's are. Exemplars and metadata are
//! accepted and not kept (the answer's `X-Prometheus-Remote-Write-Exemplars-Written` says 0, as
//! the specification asks).

use quiver_proto::pb::io::prometheus::write::v2::Request;

use crate::batch::Batch;
use crate::histogram::from_pb2;
use crate::receiver::WriteError;

/// The series of a 2.0 request; a reference outside the symbol table is malformed (400).
pub(crate) fn decode(req: Request) -> Result<Batch, WriteError> {
    let symbols = req.symbols;
    if symbols.first().is_some_and(|s| !s.is_empty()) {
        return Err(WriteError::BadRequest("symbols must start with the empty string".into()));
    }
    let sym = |r: u32| -> Result<&str, WriteError> {
        symbols.get(r as usize).map(String::as_str).ok_or_else(|| {
            WriteError::BadRequest(format!("symbol reference {r} outside the table of {}", symbols.len()))
        })
    };
    let mut batch = Batch::with_capacity(req.timeseries.len());
    let mut labels: Vec<(&str, &str)> = Vec::new();
    for ts in &req.timeseries {
        if ts.labels_refs.len() % 2 != 0 {
            return Err(WriteError::BadRequest("labels_refs must hold name and value pairs".into()));
        }
        labels.clear();
        for pair in ts.labels_refs.chunks_exact(2) {
            labels.push((sym(pair[0])?, sym(pair[1])?));
        }
        batch.push(
            labels.iter().copied(),
            ts.samples.iter().map(|s| (s.timestamp, s.value)),
            ts.histograms.iter().map(from_pb2),
        )?;
    }
    Ok(batch)
}
