//! Go's `String()` of histograms, which `promtool tsdb dump` prints for histogram samples:
//! `{count:4, sum:3.5, [-2,-1):1, [-0.001,0.001]:2, (1,2]:1}`, populated buckets only, from
//! the lowest negative through the zero bucket to the highest positive bucket.

use std::fmt;

use super::{FloatHistogram, Histogram};
use crate::format_g;

impl fmt::Display for FloatHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{count:{}, sum:{}", format_g(self.count), format_g(self.sum))?;
        let negative: Vec<_> = self.negative_bucket_iter().filter(|b| b.count != 0.0).collect();
        for b in negative.iter().rev() {
            write!(f, ", {b}")?;
        }
        if self.zero_count != 0.0 {
            write!(f, ", {}", self.zero_bucket())?;
        }
        for b in self.positive_bucket_iter().filter(|b| b.count != 0.0) {
            write!(f, ", {b}")?;
        }
        f.write_str("}")
    }
}

impl fmt::Display for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{count:{}, sum:{}", self.count, format_g(self.sum))?;
        let negative: Vec<_> = self.negative_bucket_iter().filter(|b| b.count != 0).collect();
        for b in negative.iter().rev() {
            write!(f, ", {b}")?;
        }
        if self.zero_count != 0 {
            write!(f, ", {}", self.zero_bucket())?;
        }
        for b in self.positive_bucket_iter().filter(|b| b.count != 0) {
            write!(f, ", {b}")?;
        }
        f.write_str("}")
    }
}
