//! Remote write 2.0 (`io.prometheus.write.v2.Request`): label sets are pairs of references into
//! the request's symbol table. Decoded into the same series as 1.0, so validation, the WAL and
//! the head are shared. Exemplars and metadata are accepted and not kept (the answer's
//! `X-Prometheus-Remote-Write-Exemplars-Written` says 0, as the specification asks).

use quiver_proto::pb::io::prometheus::write::v2::Request;
use quiver_proto::pb::prometheus::Label as PbLabel;

use crate::receiver::WriteError;

/// A 1.0-shaped series: labels as sent (validated later) and float samples.
pub(crate) type RawSeries = (Vec<PbLabel>, Vec<(i64, f64)>);

/// The series of a 2.0 request; a reference outside the symbol table is malformed (400).
pub(crate) fn decode(req: Request) -> Result<Vec<RawSeries>, WriteError> {
    let symbols = req.symbols;
    if symbols.first().is_some_and(|s| !s.is_empty()) {
        return Err(WriteError::BadRequest("symbols must start with the empty string".into()));
    }
    let sym = |r: u32| -> Result<&String, WriteError> {
        symbols.get(r as usize).ok_or_else(|| {
            WriteError::BadRequest(format!("symbol reference {r} outside the table of {}", symbols.len()))
        })
    };
    let mut out = Vec::with_capacity(req.timeseries.len());
    for ts in req.timeseries {
        if !ts.histograms.is_empty() {
            return Err(WriteError::BadRequest(
                "native histogram samples are not accepted by this receiver yet".into(),
            ));
        }
        if ts.labels_refs.len() % 2 != 0 {
            return Err(WriteError::BadRequest("labels_refs must hold name and value pairs".into()));
        }
        let mut labels = Vec::with_capacity(ts.labels_refs.len() / 2);
        for pair in ts.labels_refs.chunks_exact(2) {
            labels.push(PbLabel { name: sym(pair[0])?.clone(), value: sym(pair[1])?.clone() });
        }
        let samples = ts.samples.iter().map(|s| (s.timestamp, s.value)).collect();
        out.push((labels, samples));
    }
    Ok(out)
}
