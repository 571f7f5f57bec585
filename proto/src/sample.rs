/// The bit pattern Prometheus writes as a staleness marker: a NaN distinct from the NaN that
/// arithmetic produces, so "series ended" survives storage and remote write.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is Prometheus's staleness marker (compared bit for bit, as any NaN compares unequal).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One float sample: milliseconds since the epoch and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: i64,
    pub v: f64,
}

/// A closed time range in milliseconds, `[min, max]`, as Prometheus uses for blocks and chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub min: i64,
    pub max: i64,
}

impl TimeRange {
    /// The range that contains every timestamp.
    pub const ALL: TimeRange = TimeRange { min: i64::MIN, max: i64::MAX };

    pub fn new(min: i64, max: i64) -> Self {
        Self { min, max }
    }

    pub fn contains(&self, t: i64) -> bool {
        self.min <= t && t <= self.max
    }

    /// Whether the two closed ranges share at least one timestamp.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}
