//! Bucket boundaries, exactly the `float64` values Prometheus's `getBound` returns.
//!
//! For exponential schema `s ≥ 0`, bucket `i`'s upper bound is `frac × 2^exp` where `exp =
//! (i >> s) + 1` and `frac` comes from a table of `2^(k/2^s - 1)`, `k < 2^s`. Prometheus's
//! table is not correctly rounded: it was built by bisection, each schema's new bounds being
//! the previous schema's bound times the `float64` nearest to `e^(ln 2 / 2^s)` (where `ln 2`
//! is itself the `float64` constant). 341 of the 511 table entries therefore differ from the
//! correctly rounded `2^(k/2^s - 1)` by one to four units in the last place (for example
//! `0.7071067811865475` where `√½` rounds to `0.7071067811865476`). The table is rebuilt here
//! by the same recipe, with the eight factors computed in double-double arithmetic and
//! rounded once; the tests check every entry against an independent computation.

use std::sync::OnceLock;

use super::CUSTOM_BUCKETS_SCHEMA;
use super::gomath::ldexp;

/// Highest schema the bound table covers.
const TABLE_SCHEMA: i32 = 8;

/// A double-double number `hi + lo` with `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl Dd {
    fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }

    fn two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let bb = s - a;
        Dd { hi: s, lo: (a - (s - bb)) + (b - bb) }
    }

    fn add(self, o: Dd) -> Dd {
        let s = Dd::two_sum(self.hi, o.hi);
        let t = Dd::two_sum(self.lo, o.lo);
        let s = Dd::two_sum(s.hi, s.lo + t.hi);
        Dd::two_sum(s.hi, s.lo + t.lo)
    }

    fn mul(self, o: Dd) -> Dd {
        let p = self.hi * o.hi;
        let e = self.hi.mul_add(o.hi, -p);
        Dd::two_sum(p, e + (self.hi * o.lo + self.lo * o.hi))
    }

    fn div_f64(self, d: f64) -> Dd {
        let q1 = self.hi / d;
        // Remainder self - q1·d, exactly enough for one correction step.
        let p = q1 * d;
        let e = q1.mul_add(d, -p);
        let r = ((self.hi - p) - e) + self.lo;
        Dd::two_sum(q1, r / d)
    }

    /// The nearest `f64`.
    fn round(self) -> f64 {
        self.hi + self.lo
    }
}

/// `e^x` for a small `x`, computed as a Taylor series in double-double arithmetic (relative
/// error far below 2⁻¹⁰⁰) and rounded to the nearest `f64`.
fn exp_correctly_rounded(x: f64) -> f64 {
    let x = Dd::new(x);
    let mut term = Dd::new(1.0);
    let mut sum = Dd::new(1.0);
    for k in 1..60 {
        term = term.mul(x).div_f64(f64::from(k));
        sum = sum.add(term);
        if term.hi.abs() < 1e-40 {
            break;
        }
    }
    sum.round()
}

/// Prometheus's bound fractions for schema 8: `FRACS[k] ≈ 2^(k/256 - 1)`. The table of a lower
/// schema `s` is every `2^(8-s)`-th entry.
fn schema8_fracs() -> &'static [f64; 256] {
    static FRACS: OnceLock<[f64; 256]> = OnceLock::new();
    FRACS.get_or_init(|| {
        let mut table = [0.0f64; 256];
        table[0] = 0.5;
        // Schema s fills the odd multiples of 2^(8-s) from their lower neighbour in schema s-1.
        for s in 1..=TABLE_SCHEMA {
            let factor = exp_correctly_rounded(std::f64::consts::LN_2 / f64::from(1u32 << s));
            let stride = 1usize << (TABLE_SCHEMA - s);
            let mut k = stride;
            while k < 256 {
                table[k] = table[k - stride] * factor;
                k += 2 * stride;
            }
        }
        table
    })
}

/// Prometheus's `getBoundExponential`: the upper bound of bucket `idx` in exponential `schema`.
/// The last finite bucket ends at `f64::MAX` (not +Inf, which belongs to the overflow bucket).
/// Schemas above 8 (where Prometheus has no table and panics) give NaN.
pub(crate) fn get_bound_exponential(idx: i32, schema: i32) -> f64 {
    if schema < 0 {
        let shift = -i64::from(schema);
        // Go's `int(idx) << -schema`: bits shifted out are lost, a shift of 64 or more is 0.
        let exp = if shift >= 64 { 0 } else { i64::from(idx).wrapping_shl(shift as u32) };
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    if schema > TABLE_SCHEMA {
        return f64::NAN;
    }
    let frac_idx = (idx & ((1 << schema) - 1)) as usize;
    let frac = schema8_fracs()[frac_idx << (TABLE_SCHEMA - schema)];
    let exp = (i64::from(idx) >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

/// Prometheus's `getBound`: for custom buckets the custom value at `idx` (-Inf below the first,
/// +Inf for the overflow bucket), otherwise [`get_bound_exponential`]. Indexes outside the
/// custom values (where Prometheus panics) give NaN.
pub(crate) fn get_bound(idx: i32, schema: i32, custom_values: &[f64]) -> f64 {
    if schema != CUSTOM_BUCKETS_SCHEMA {
        return get_bound_exponential(idx, schema);
    }
    let len = custom_values.len() as i64;
    match i64::from(idx) {
        -1 => f64::NEG_INFINITY,
        i if i == len => f64::INFINITY,
        i if (0..len).contains(&i) => custom_values[i as usize],
        _ => f64::NAN,
    }
}

#[cfg(test)]
// Values like 1.414213562373095 are deliberately one ulp off the constants.
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    /// `2^(k/256 - 1)` correctly rounded, computed independently of the table recipe: the
    /// 256th root of two by eight double-double square roots, then binary powers of it.
    fn correctly_rounded_frac(k: u32) -> f64 {
        fn dd_sqrt(a: Dd) -> Dd {
            let q = a.hi.sqrt();
            let p = q * q;
            let e = q.mul_add(q, -p);
            let r = ((a.hi - p) - e + a.lo) / (2.0 * q);
            Dd::two_sum(q, r)
        }
        let mut roots = [Dd::new(2.0); 9]; // roots[j] = 2^(1/2^j)
        for j in 1..9 {
            roots[j] = dd_sqrt(roots[j - 1]);
        }
        let mut v = Dd::new(0.5);
        for bit in 0..8 {
            if k & (1 << bit) != 0 {
                v = v.mul(roots[8 - bit]);
            }
        }
        v.round()
    }

    fn ulps_apart(a: f64, b: f64) -> i64 {
        a.to_bits() as i64 - b.to_bits() as i64
    }

    #[test]
    fn factors_are_the_float_exponentials() {
        // exp(ln2/2) of the float ln 2 rounds down to ...095, one ulp below √2's ...0951.
        assert_eq!(exp_correctly_rounded(std::f64::consts::LN_2 / 2.0), 1.414213562373095);
        assert_eq!(exp_correctly_rounded(std::f64::consts::LN_2 / 4.0), 1.189207115002721);
        assert_eq!(exp_correctly_rounded(std::f64::consts::LN_2 / 256.0), 1.0027112750502025);
        assert_eq!(exp_correctly_rounded(0.0), 1.0);
    }

    #[test]
    fn every_table_entry_within_four_ulps_of_exact() {
        // Distribution of (Prometheus value - correctly rounded value) in ulps over the 256
        // schema-8 entries, as measured on Prometheus's own table.
        let mut hist = std::collections::BTreeMap::new();
        for (k, &v) in schema8_fracs().iter().enumerate() {
            let exact = correctly_rounded_frac(k as u32);
            let d = ulps_apart(v, exact);
            assert!(d.abs() <= 4, "k={k}: {v} vs {exact}");
            *hist.entry(d).or_insert(0) += 1;
        }
        let want: std::collections::BTreeMap<i64, i32> =
            [(-4, 4), (-3, 15), (-2, 58), (-1, 99), (0, 78), (1, 2)].into_iter().collect();
        assert_eq!(hist, want);
        // Over all 511 entries of schemas 0..=8, 341 differ from the exact value.
        let mut differing = 0;
        for s in 0..=8u32 {
            for k in 0..(1u32 << s) {
                let frac = schema8_fracs()[(k << (8 - s)) as usize];
                if frac != correctly_rounded_frac(k << (8 - s)) {
                    differing += 1;
                }
            }
        }
        assert_eq!(differing, 341);
    }

    #[test]
    fn table_spot_values_from_prometheus() {
        // (schema, k, value) taken from Prometheus's exponentialBounds table (test data).
        let spots: &[(i32, usize, f64)] = &[
            (1, 1, 0.7071067811865475),
            (2, 1, 0.5946035575013605),
            (2, 3, 0.8408964152537144),
            (3, 7, 0.9170040432046711),
            (4, 9, 0.7384130729697496),
            (4, 15, 0.9576032806985735),
            (5, 3, 0.5335702003384117),
            (5, 31, 0.9785720620876999),
            (6, 19, 0.6142402680534349),
            (6, 63, 0.9892280131939752),
            (7, 3, 0.5081891574554764),
            (7, 127, 0.9945994234836328),
            (8, 1, 0.5013556375251013),
            (8, 5, 0.5068150424757447),
            (8, 7, 0.509566998038869),
            (8, 53, 0.5771552102951081),
            (8, 101, 0.6572577939746774),
            (8, 218, 0.9022270839033115),
            (8, 253, 0.9919100824251095),
            (8, 255, 0.9972960560854698),
        ];
        for &(s, k, want) in spots {
            // Bucket index k - 2^s has its upper bound at frac(k) × 2^0.
            let got = get_bound_exponential(k as i32 - (1 << s), s);
            assert_eq!(got, want, "schema {s} k {k}");
        }
    }

    #[test]
    fn get_bound_exponential_like_prometheus() {
        // TestGetBoundExponential.
        let cases = [
            (-1, -1, 0.25),
            (0, -1, 1.0),
            (1, -1, 4.0),
            (512, -1, f64::MAX),
            (513, -1, f64::INFINITY),
            (-1, 0, 0.5),
            (0, 0, 1.0),
            (1, 0, 2.0),
            (1024, 0, f64::MAX),
            (1025, 0, f64::INFINITY),
            (-1, 2, 0.8408964152537144),
            (0, 2, 1.0),
            (1, 2, 1.189207115002721),
            (4096, 2, f64::MAX),
            (4097, 2, f64::INFINITY),
        ];
        for (idx, schema, want) in cases {
            assert_eq!(get_bound_exponential(idx, schema), want, "idx {idx} schema {schema}");
        }
        // Extremes do not panic.
        assert_eq!(get_bound_exponential(i32::MIN, 8), 0.0);
        assert_eq!(get_bound_exponential(i32::MAX, 8), f64::INFINITY);
        assert_eq!(get_bound_exponential(i32::MAX, -4), f64::INFINITY);
        assert_eq!(get_bound_exponential(-1_000_000, -4), 0.0);
        assert_eq!(get_bound_exponential(5, -200), 1.0);
        assert!(get_bound_exponential(5, 9).is_nan());
        // Subnormal bounds.
        assert_eq!(get_bound_exponential(-1074, 0), 5e-324);
        assert_eq!(get_bound_exponential(-1075, 0), 0.0);
    }

    #[test]
    fn get_bound_custom() {
        let cv = [1.0, 2.5, 10.0];
        assert_eq!(get_bound(-1, CUSTOM_BUCKETS_SCHEMA, &cv), f64::NEG_INFINITY);
        assert_eq!(get_bound(0, CUSTOM_BUCKETS_SCHEMA, &cv), 1.0);
        assert_eq!(get_bound(2, CUSTOM_BUCKETS_SCHEMA, &cv), 10.0);
        assert_eq!(get_bound(3, CUSTOM_BUCKETS_SCHEMA, &cv), f64::INFINITY);
        assert!(get_bound(4, CUSTOM_BUCKETS_SCHEMA, &cv).is_nan());
        assert!(get_bound(-2, CUSTOM_BUCKETS_SCHEMA, &cv).is_nan());
        assert_eq!(get_bound(0, CUSTOM_BUCKETS_SCHEMA, &[]), f64::INFINITY);
    }

    #[test]
    fn bounds_increase_monotonically() {
        for schema in -4..=8 {
            // Bucket indexes whose bounds stay within the normal float range.
            let limit = if schema < 0 { 1000 >> -schema } else { 1000 << schema };
            let mut prev = get_bound_exponential(-limit, schema);
            for idx in -limit + 1..=limit {
                let b = get_bound_exponential(idx, schema);
                assert!(b > prev, "schema {schema} idx {idx}");
                prev = b;
            }
        }
    }
}
