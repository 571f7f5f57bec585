//! Query results in Prometheus's shapes: scalar, string, instant vector, range vector (matrix),
//! with the warning and info annotations Prometheus returns beside them.

use quiver_proto::{FloatHistogram, Labels};

/// One sample point: a float, or a native histogram (always as float histogram in results, as in
/// Prometheus's query API).
#[derive(Debug, Clone, PartialEq)]
pub enum Point {
    Float(f64),
    Histogram(FloatHistogram),
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSample {
    pub labels: Labels,
    /// Evaluation timestamp in milliseconds (for range vectors selected directly, the sample's).
    pub t: i64,
    pub point: Point,
}

/// One series of a range vector or of a range query result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub floats: Vec<(i64, f64)>,
    pub histograms: Vec<(i64, FloatHistogram)>,
}

/// A query result, as Prometheus's API types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar { t: i64, v: f64 },
    String { t: i64, s: String },
    Vector(Vec<VectorSample>),
    Matrix(Vec<RangeSeries>),
}

/// Annotations Prometheus attaches to a result: warnings (`PromQL warning: ...`) and infos
/// (`PromQL info: ...`), each with the expression position where Prometheus gives one, e.g.
/// `(1:15)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

/// What evaluating a query cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryStats {
    /// Samples decoded from chunks for the query's selectors, each counted once per selector
    /// that loaded it: the work a query does per sample (`max_samples` limits what is held).
    /// Prometheus's `totalQueryableSamples` differs: it counts a sample once per step whose
    /// window holds it, so overlapping `rate(x[5m])` windows count it several times.
    pub samples_loaded: u64,
    /// Series selected by the query's selectors, each counted once per selector that selected
    /// it: the count `max_series` limits.
    pub series_selected: u64,
}

/// A result with its annotations and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    pub value: Value,
    pub annotations: Annotations,
    pub stats: QueryStats,
}

/// Where to cut a list of items with these `sizes` into at most `pieces` contiguous runs of about
/// the same total size: the runs' bounds, from 0 to the item count, with no empty run. Used to
/// split a large answer among threads (converting, writing) while keeping its order.
pub fn even_bounds(sizes: impl ExactSizeIterator<Item = usize> + Clone, pieces: usize) -> Vec<usize> {
    let total: usize = sizes.clone().sum();
    let n = sizes.len();
    let mut bounds = vec![0];
    let mut acc = 0;
    for (i, size) in sizes.enumerate() {
        acc += size;
        if acc * pieces >= total * bounds.len() && bounds.len() < pieces {
            bounds.push(i + 1);
        }
    }
    bounds.push(n);
    bounds.dedup();
    bounds
}

#[cfg(test)]
mod even_bounds_tests {
    use super::even_bounds;

    #[test]
    fn runs_cover_every_item_in_order_with_about_equal_sizes() {
        assert_eq!(even_bounds([5, 5, 5, 5].into_iter(), 2), vec![0, 2, 4]);
        assert_eq!(even_bounds([1, 1, 1].into_iter(), 8), vec![0, 1, 2, 3]);
        assert_eq!(even_bounds([100, 1, 1, 1].into_iter(), 2), vec![0, 1, 4]);
        assert_eq!(even_bounds(std::iter::empty::<usize>(), 3), vec![0]);
        let sizes: Vec<usize> = (0..1000).map(|i| i % 7 + 1).collect();
        let b = even_bounds(sizes.iter().copied(), 4);
        assert_eq!((b.len(), b[0], b[4]), (5, 0, 1000));
        let parts: Vec<usize> = b.windows(2).map(|w| sizes[w[0]..w[1]].iter().sum()).collect();
        let total: usize = sizes.iter().sum();
        assert!(parts.iter().all(|&p| p.abs_diff(total / 4) <= 7), "{parts:?}");
    }
}
