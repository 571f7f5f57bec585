//! Go's `math` functions as Go computes them, bit for bit.
//!
//! Rust's `f64::log2`/`f64::exp2` call the platform's libm, which rounds differently from Go's
//! own implementations in the last place. PromQL results (quantile interpolation, fractions)
//! have to match Prometheus exactly, so the functions Prometheus uses are reimplemented here
//! after Go's algorithms (which come from FreeBSD's msun). Go's amd64 assembly `Log` performs
//! the same operations as the portable version for normal numbers.

/// Go's `math.Frexp`: `x = frac × 2^exp` with `|frac|` in `[0.5, 1)`; zero, infinities and NaN
/// are returned unchanged with exponent 0.
pub(crate) fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || x.is_infinite() || x.is_nan() {
        return (x, 0);
    }
    let (mut x, mut exp) = (x, 0i64);
    if x.abs() < f64::MIN_POSITIVE {
        x *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i64 - 1023 + 1;
    let bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(bits), exp)
}

/// Go's `math.Ldexp`: `frac × 2^exp`, rounded once (also into the subnormal range).
pub(crate) fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || frac.is_infinite() || frac.is_nan() {
        return frac;
    }
    let (frac, e) = frexp(frac);
    // frexp gives frac in [0.5, 1); Go's code normalises to [1, 2) with the exponent one lower.
    let exp = exp.saturating_add(e).saturating_sub(1);
    let frac = frac * 2.0;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let (exp, m) = if exp < -1022 { (exp + 53, 1.0 / (1u64 << 53) as f64) } else { (exp, 1.0) };
    let bits = (frac.to_bits() & !(0x7ffu64 << 52)) | (((exp + 1023) as u64) << 52);
    m * f64::from_bits(bits)
}

/// Go's `math.Log`.
pub(crate) fn log(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const L1: f64 = 0.666_666_666_666_673_5;
    const L2: f64 = 0.399_999_999_994_094_2;
    const L3: f64 = 0.285_714_287_436_623_9;
    const L4: f64 = 0.222_221_984_321_497_84;
    const L5: f64 = 0.181_835_721_616_180_5;
    const L6: f64 = 0.153_138_376_992_093_73;
    const L7: f64 = 0.147_981_986_051_165_86;
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    let (mut f1, mut ki) = frexp(x);
    if f1 < std::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = ki as f64;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `math.Log2`: exact for powers of two, otherwise `Log(frac)/Ln2 + exp`.
pub(crate) fn log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return (exp - 1) as f64;
    }
    log(frac) * std::f64::consts::LOG2_E + exp as f64
}

/// Go's `math.Exp2`.
pub(crate) fn exp2(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const OVERFLOW: f64 = 1_023.999_999_999_999_9;
    const UNDERFLOW: f64 = -1074.0;
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == f64::NEG_INFINITY || x < UNDERFLOW {
        return 0.0;
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    // Go's int(x ± 0.5) truncates towards zero.
    let n = if x > 0.0 {
        (x + 0.5) as i64
    } else if x < 0.0 {
        (x - 0.5) as i64
    } else {
        0
    };
    let t = x - n as f64;
    let hi = t * LN2_HI;
    let lo = -t * LN2_LO;
    expmulti(hi, lo, n)
}

/// `e^r × 2^k` where `r = hi - lo` and `|r| ≤ ln(2)/2`, as Go's `expmulti`.
fn expmulti(hi: f64, lo: f64, k: i64) -> f64 {
    const P1: f64 = 0.166_666_666_666_666_66;
    const P2: f64 = -0.002_777_777_777_701_559_3;
    const P3: f64 = 6.613_756_321_437_934e-5;
    const P4: f64 = -1.653_390_220_546_525_2e-6;
    const P5: f64 = 4.138_136_797_057_238_5e-8;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    ldexp(y, k)
}

/// Prometheus's `kahansum.Inc`: Kahan–Neumaier summation step, returning the new sum and
/// compensation. An infinite sum resets the compensation to zero.
pub fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

#[cfg(test)]
// Go's results like Exp2(0.5) = 1.414213562373095 are deliberately one ulp off the constants.
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    #[test]
    fn frexp_and_ldexp_round_trip() {
        for &x in &[1.0, 0.5, 3.0, -7.25, 1e-310, 5e-324, f64::MAX, f64::MIN_POSITIVE] {
            let (f, e) = frexp(x);
            assert!((0.5..1.0).contains(&f.abs()), "{x}: {f}");
            assert_eq!(ldexp(f, e), x);
        }
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(1.0, -1074), 5e-324);
        assert_eq!(ldexp(1.0, -1075), 0.0);
        assert_eq!(ldexp(1.5, -1075), 5e-324);
        assert_eq!(ldexp(0.5, 1025), f64::INFINITY);
        assert_eq!(ldexp(0.9999999999999999, 1024), f64::MAX);
        assert_eq!(ldexp(1.0, i64::MAX), f64::INFINITY);
        assert_eq!(ldexp(1.0, i64::MIN), 0.0);
    }

    #[test]
    fn log2_exp2_like_go() {
        // Powers of two are exact in both directions.
        for e in -1074..1024 {
            let x = ldexp(1.0, e);
            assert_eq!(log2(x), e as f64);
            assert_eq!(exp2(e as f64), x);
        }
        // Go's algorithms round differently from libm in the last place (values from an
        // independent transcription of Go's math/log.go and math/exp.go).
        assert_eq!(log2(3.0), 1.5849625007211563);
        assert_eq!(log2(10.0), 3.321928094887362);
        assert_eq!(exp2(0.5), 1.414213562373095);
        assert_eq!(exp2(1.5), 2.82842712474619);
        assert!(log2(-1.0).is_nan());
        assert_eq!(log2(0.0), f64::NEG_INFINITY);
        assert_eq!(exp2(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp2(1024.0), f64::INFINITY);
        // Close to libm everywhere (Go promises < 1 ulp).
        let mut x: f64 = 0.001;
        while x < 1e6 {
            let want = x.log2();
            assert!((log2(x) - want).abs() <= 2.0 * f64::EPSILON * want.abs().max(1.0), "{x}");
            let y = x.log2() / 10.0;
            assert!((exp2(y) - y.exp2()).abs() <= 2.0 * f64::EPSILON * y.exp2(), "{y}");
            x *= 1.37;
        }
    }

    #[test]
    fn constants_are_gos() {
        // The bit patterns in the comments of Go's math/log.go and math/exp.go.
        const LN2_HI: f64 = 0.693_147_180_369_123_8;
        assert_eq!(LN2_HI.to_bits(), 0x3fe6_2e42_fee0_0000);
        assert_eq!(0.666_666_666_666_673_5f64.to_bits(), 0x3fe5_5555_5555_5593);
        assert_eq!(0.147_981_986_051_165_86f64.to_bits(), 0x3fc2_f112_df3e_5244);
        assert_eq!((-0.002_777_777_777_701_559_3f64).to_bits(), 0xbf66_c16c_16be_bd93);
        assert_eq!(4.138_136_797_057_238_5e-8f64.to_bits(), 0x3e66_3769_72be_a4d0);
    }

    #[test]
    fn kahan_inc_compensates() {
        let (mut s, mut c) = (0.0, 0.0);
        for v in [1e16, 1.0, 1.0, -1e16] {
            (s, c) = kahan_sum_inc(v, s, c);
        }
        assert_eq!(s + c, 2.0);
        assert_eq!(kahan_sum_inc(f64::INFINITY, 1.0, 0.5), (f64::INFINITY, 0.0));
    }
}
