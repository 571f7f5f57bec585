//! histogram_quantile, histogram_fraction, histogram_stddev and histogram_stdvar against the
//! evaluations of Prometheus's promql/promqltest/testdata/native_histograms.test (every one
//! whose input is a plain histogram sample, converted to test data), and hand-checked cases.

#![allow(clippy::approx_constant)] // Go's Exp2(0.5) is one ulp below √2.

use super::testutil::fh;
use super::{HistogramInfo, histogram_fraction, histogram_quantile, histogram_stddev, histogram_stdvar};

/// promqltest's comparison (`almost.Equal` with epsilon 1e-6).
fn almost_equal(a: f64, b: f64) -> bool {
    if (a.is_nan() && b.is_nan()) || a == b {
        return true;
    }
    let (abs_sum, diff) = (a.abs() + b.abs(), (a - b).abs());
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < 1e-6 * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < 1e-6
}

/// Significant digits of a decimal number as written.
fn digits(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap_or("");
    mantissa.chars().filter(char::is_ascii_digit).collect::<String>().trim_start_matches('0').len()
}

#[test]
fn promqltest_native_histogram_statistics() {
    let rows: Vec<&str> = NATIVE_HISTOGRAMS_TEST.lines().filter(|l| !l.is_empty()).collect();
    assert!(rows.len() > 180);
    let mut exact = 0;
    for row in rows {
        let [name, func, h, want_s, info] = row.split("; ").collect::<Vec<_>>()[..] else { panic!("{row}") };
        let h = fh(h);
        let f: Vec<&str> = func.split_whitespace().collect();
        let arg = |i: usize| -> f64 { f[i].parse().unwrap() };
        let (got, got_info) = match f[0] {
            "quantile" => histogram_quantile(arg(1), &h),
            "fraction" => histogram_fraction(arg(1), arg(2), &h),
            "stddev" => (histogram_stddev(&h), None),
            "stdvar" => (histogram_stdvar(&h), None),
            other => panic!("{other}"),
        };
        let want: f64 = want_s.replace("Inf", "inf").parse().unwrap();
        assert!(almost_equal(got, want), "{name}: {func} of {h} = {got}, want {want}");
        // The file's values are only compared with a tolerance by Prometheus, and some full
        // precision ones were not printed by Go on amd64 (the file has both 1.414213562373095,
        // Go's Exp2(0.5), and 1.4142135623730951 for the same interpolation); count the exact.
        if digits(want_s) >= 16 && got == want {
            exact += 1;
        }
        if info == "no" {
            assert_eq!(got_info, None, "{name}");
        }
    }
    assert_eq!(exact, EXACT_FULL_PRECISION, "full-precision expectations matched exactly");
}

/// Of the expectations written with 16 or more digits, these many match bit for bit; the other
/// 9 differ in the last digit or two: they were not printed by Go on amd64.
const EXACT_FULL_PRECISION: usize = 51;

#[test]
fn quantile_hand_checked() {
    // {{schema:0 sum:5 count:4 buckets:[1 2 1]}}: the median is at the geometric middle of
    // (1,2], which Go's Exp2(0.5) gives as 1.414213562373095, one ulp below √2.
    let h = fh("c:4 sum:5 p:0/3 pb:1,2,1");
    assert_eq!(histogram_quantile(0.5, &h).0, 1.414213562373095);
    assert_eq!(histogram_quantile(0.0, &h).0, 0.5);
    assert_eq!(histogram_quantile(1.0, &h).0, 4.0);
    assert_eq!(histogram_quantile(-0.1, &h).0, f64::NEG_INFINITY);
    assert_eq!(histogram_quantile(1.1, &h).0, f64::INFINITY);
    assert!(histogram_quantile(f64::NAN, &h).0.is_nan());
    assert!(histogram_quantile(0.5, &fh("-")).0.is_nan());
    // Zero bucket with positive buckets only: linear from 0 to the threshold.
    let z = fh("zt:0.5 zc:2 c:4 sum:1 p:0/1 pb:2");
    assert_eq!(histogram_quantile(0.25, &z).0, 0.25);
    // Negative buckets only: mirrored.
    let n = fh("c:4 sum:-5 n:0/3 nb:1,2,1");
    assert_eq!(histogram_quantile(0.5, &n).0, -1.414213562373095);
    // Custom buckets: linear; -Inf first bucket uses 0 as lower bound, +Inf bucket its lower.
    let c = fh("s:-53 c:10 sum:30 p:0/3 pb:2,4,4 cv:5,10");
    assert_eq!(histogram_quantile(0.1, &c).0, 2.5);
    assert_eq!(histogram_quantile(0.4, &c).0, 7.5);
    assert_eq!(histogram_quantile(0.99, &c).0, 10.0);
    let cneg = fh("s:-53 c:10 sum:-30 p:0/1 pb:10 cv:-1");
    assert_eq!(histogram_quantile(0.5, &cneg).0, -1.0);
    // NaN observations: count above the buckets' total.
    // Forward iteration: rank 2.5 is 1.5 into the 2 observations of (1,2], 2^0.75.
    let nan = fh("c:5 sum:NaN p:0/3 pb:1,2,1");
    assert_eq!(histogram_quantile(0.5, &nan), (1.6817928305074292, Some(HistogramInfo::QuantileNaNSkew)));
    assert_eq!(histogram_quantile(0.9, &nan).1, Some(HistogramInfo::QuantileNaNResult));
    assert!(histogram_quantile(0.9, &nan).0.is_nan());
}

#[test]
fn fraction_hand_checked() {
    let h = fh("c:4 sum:5 p:0/3 pb:1,2,1");
    assert_eq!(histogram_fraction(1.0, 2.0, &h).0, 0.5);
    assert_eq!(histogram_fraction(0.0, 8.0, &h).0, 1.0);
    assert_eq!(histogram_fraction(f64::NEG_INFINITY, f64::INFINITY, &h).0, 1.0);
    assert_eq!(histogram_fraction(2.0, 1.0, &h).0, 0.0);
    assert!(histogram_fraction(f64::NAN, 1.0, &h).0.is_nan());
    // Within (1,2], 1.414213562373095 is about half way on the log scale.
    assert!((histogram_fraction(0.0, std::f64::consts::SQRT_2, &h).0 - 0.5).abs() < 1e-15);
    let nan = fh("c:5 sum:NaN p:0/3 pb:1,2,1");
    assert_eq!(histogram_fraction(0.0, 8.0, &nan), (0.8, Some(HistogramInfo::FractionNaNs)));
}

#[test]
fn stddev_stdvar_hand_checked() {
    // {1, 2, 3, 4} in schema 2 (from native_histograms.test): Prometheus prints these.
    let h = fh("s:2 c:4 sum:10 p:0/9 pb:1,0,0,0,1,0,0,1,1");
    assert_eq!(histogram_stddev(&h), 1.0787993180043811);
    assert_eq!(histogram_stdvar(&h), 1.163807968526718);
    assert!(histogram_stdvar(&fh("-")).is_nan());
    // Custom buckets use the arithmetic mean of each bucket; the -Inf bucket makes it infinite.
    let c = fh("s:-53 c:2 sum:6 p:1/2 pb:1,1 cv:0,2,6");
    assert_eq!(histogram_stdvar(&c), 2.5);
    assert_eq!(histogram_stdvar(&fh("s:-53 c:2 sum:6 p:0/2 pb:1,1 cv:2,6")), f64::INFINITY);
}

/// `name; function and scalar arguments; histogram; expected value; info expected (yes/no/-)`.
const NATIVE_HISTOGRAMS_TEST: &str = r#"
line 22 {h=exp}; fraction -inf inf; -; NaN; -
line 22 {h=cbh}; fraction -inf inf; s:-53 cv:-2,3; NaN; -
line 26 {h=exp}; fraction 0 8; -; NaN; -
line 26 {h=cbh}; fraction 0 8; s:-53 cv:-2,3; NaN; -
line 49 {}; fraction 1 2; s:0 c:4 sum:5 p:0/3 pb:1,2,1; 0.5; -
line 53 {}; fraction 0 8; s:0 c:4 sum:5 p:0/3 pb:1,2,1; 1; no
line 61 {}; quantile 0.5; s:0 c:4 sum:5 p:0/3 pb:1,2,1; 1.414213562373095; no
line 211 {}; fraction -0.5 0.5; s:0 zt:0.5 zc:1 c:1 sum:0.25; 1; -
line 215 {}; quantile 0.5; s:0 zt:0.5 zc:1 c:1 sum:0.25; 0; -
line 234 {}; fraction -2 -1; s:0 c:4 sum:-5 n:0/3 nb:1,2,1; 0.5; -
line 238 {}; quantile 0.5; s:0 c:4 sum:-5 n:0/3 nb:1,2,1; -1.414213562373095; -
line 257 {}; fraction -2 -1; s:0 c:4 sum:-4 n:0/3 nb:1,2,1; 0.5; -
line 261 {}; quantile 0.5; s:0 c:4 sum:-4 n:0/3 nb:1,2,1; -1.414213562373095; -
line 332 {}; stddev; s:2 c:4 sum:10 p:0/9 pb:1,0,0,0,1,0,0,1,1; 1.0787993180043811; -
line 335 {}; stdvar; s:2 c:4 sum:10 p:0/9 pb:1,0,0,0,1,0,0,1,1; 1.163807968526718; -
line 344 {}; stddev; s:8 c:10 sum:10 p:0/4 pb:1,2,3,4; 0.0048960313898237465; -
line 347 {}; stdvar; s:8 c:10 sum:10 p:0/4 pb:1,2,3,4; 2.3971123370139447e-05; -
line 356 {}; stddev; s:3 zc:1 c:7 sum:62 p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; 42.94723640026; -
line 359 {}; stdvar; s:3 zc:1 c:7 sum:62 p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; 1844.4651144196398; -
line 368 {}; stddev; s:0 zc:0 c:10 sum:-112946 n:0/18 nb:0,0,1,1,1,0,1,1,0,0,3,0,0,0,1,0,0,1; 27556.344499842; -
line 371 {}; stdvar; s:0 zc:0 c:10 sum:-112946 n:0/18 nb:0,0,1,1,1,0,1,1,0,0,3,0,0,0,1,0,0,1; 759352122.1939945; -
line 380 {}; stddev; s:0 zc:0 c:10 sum:-100 n:0/5 nb:0,0,0,0,10; 1.3137084989848; -
line 383 {}; stdvar; s:0 zc:0 c:10 sum:-100 n:0/5 nb:0,0,0,0,10; 1.725830020304794; -
line 392 {}; stddev; s:3 zc:1 c:7 sum:NaN p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; NaN; -
line 395 {}; stdvar; s:3 zc:1 c:7 sum:NaN p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; NaN; -
line 404 {}; stddev; s:3 zc:1 c:7 sum:inf p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; Inf; -
line 407 {}; stdvar; s:3 zc:1 c:7 sum:inf p:0/55 pb:0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 n:0/47 nb:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1; Inf; -
line 416 {}; quantile 1.001; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; Inf; -
line 420 {}; quantile 1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 16; -
line 427 {}; quantile 0.99; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 15.67072476139083; -
line 431 {}; quantile 0.9; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 12.99603834169977; -
line 435 {}; quantile 0.6; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 4.594793419988138; -
line 439 {}; quantile 0.5; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 1.5874010519681994; -
line 444 {}; quantile 0.1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.0006; -
line 448 {}; quantile 0; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 452 {}; quantile -1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; -Inf; -
line 462 {}; quantile 1.001; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; Inf; -
line 466 {}; quantile 1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 473 {}; quantile 0.99; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -0.00006; -
line 477 {}; quantile 0.9; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -0.0006; -
line 481 {}; quantile 0.5; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -1.5874010519681996; -
line 485 {}; quantile 0.1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -12.996038341699768; -
line 489 {}; quantile 0; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -16; -
line 493 {}; quantile -1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -Inf; -
line 505 {}; quantile 1.001; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; Inf; -
line 509 {}; quantile 1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 16; -
line 513 {}; quantile 0.99; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 15.34822590920423; -
line 517 {}; quantile 0.9; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 10.556063286183155; -
line 521 {}; quantile 0.7; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 1.2030250360821164; -
line 527 {}; quantile 0.55; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.0006; -
line 531 {}; quantile 0.5; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 535 {}; quantile 0.45; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -0.0006; -
line 540 {}; quantile 0.3; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -1.2030250360821169; -
line 544 {}; quantile 0.1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -10.556063286183155; -
line 548 {}; quantile 0.01; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -15.34822590920423; -
line 552 {}; quantile 0; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -16; -
line 556 {}; quantile -1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -Inf; -
line 569 {schema=-1}; quantile 0.5; s:-1 c:5 sum:6 p:0/2 pb:0,5; 2.0; -
line 569 {schema=0}; quantile 0.5; s:0 c:5 sum:4 p:0/2 pb:0,5; 1.4142135623730951; -
line 569 {schema=+1}; quantile 0.5; s:1 c:5 sum:4 p:0/2 pb:0,5; 1.189207; -
line 574 {schema=-1}; fraction 0 2; s:-1 c:5 sum:6 p:0/2 pb:0,5; 0.5; -
line 577 {schema=0}; fraction 0 1.4142135623730951; s:0 c:5 sum:4 p:0/2 pb:0,5; 0.5; -
line 580 {schema=+1}; fraction 0 1.189207; s:1 c:5 sum:4 p:0/2 pb:0,5; 0.5; -
line 590 {schema=-1}; quantile 0.5; s:-1 c:5 sum:6 p:0/3 pb:0,0,5; 8.0; -
line 590 {schema=0}; quantile 0.5; s:0 c:5 sum:4 p:0/3 pb:0,0,5; 2.82842712474619; -
line 590 {schema=+1}; quantile 0.5; s:1 c:5 sum:4 p:0/3 pb:0,0,5; 1.6817928305074292; -
line 595 {schema=-1}; fraction 0 8; s:-1 c:5 sum:6 p:0/3 pb:0,0,5; 0.5; -
line 598 {schema=0}; fraction 0 2.82842712474619; s:0 c:5 sum:4 p:0/3 pb:0,0,5; 0.5; -
line 601 {schema=+1}; fraction 0 1.6817928305074292; s:1 c:5 sum:4 p:0/3 pb:0,0,5; 0.5; -
line 611 {schema=-1}; quantile 0.5; s:-1 c:5 sum:6 n:0/2 nb:0,5; -2.0; -
line 611 {schema=0}; quantile 0.5; s:0 c:5 sum:4 n:0/2 nb:0,5; -1.4142135623730951; -
line 611 {schema=+1}; quantile 0.5; s:1 c:5 sum:4 n:0/2 nb:0,5; -1.189207; -
line 616 {schema=-1}; fraction -2 0; s:-1 c:5 sum:6 n:0/2 nb:0,5; 0.5; -
line 619 {schema=0}; fraction -1.4142135623730951 0; s:0 c:5 sum:4 n:0/2 nb:0,5; 0.5; -
line 622 {schema=+1}; fraction -1.189207 0; s:1 c:5 sum:4 n:0/2 nb:0,5; 0.5; -
line 631 {schema=-1}; quantile 0.5; s:-1 c:5 sum:6 n:0/3 nb:0,0,5; -8.0; -
line 631 {schema=0}; quantile 0.5; s:0 c:5 sum:4 n:0/3 nb:0,0,5; -2.82842712474619; -
line 631 {schema=+1}; quantile 0.5; s:1 c:5 sum:4 n:0/3 nb:0,0,5; -1.6817928305074292; -
line 636 {schema=-1}; fraction -8 0; s:-1 c:5 sum:6 n:0/3 nb:0,0,5; 0.5; -
line 639 {schema=0}; fraction -2.82842712474619 0; s:0 c:5 sum:4 n:0/3 nb:0,0,5; 0.5; -
line 642 {schema=+1}; fraction -1.6817928305074292 0; s:1 c:5 sum:4 n:0/3 nb:0,0,5; 0.5; -
line 650 {}; fraction 3.1415 42; -; NaN; -
line 659 {}; fraction 0 inf; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 1; -
line 662 {}; fraction -inf 0; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 665 {}; fraction -0.001 0; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 668 {}; fraction 0 0.001; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.16666666666666666; -
line 672 {}; fraction 0.001 inf; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.8333333333333334; -
line 676 {}; fraction 0 0.0005; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.08333333333333333; -
line 681 {}; quantile 0.08333333333333333; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.0005; -
line 684 {}; fraction -inf -0.001; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 687 {}; fraction 1 2; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.25; -
line 694 {}; fraction 0 1.5; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.4795739585136224; -
line 697 {}; fraction 1.5 2; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.10375937481971091; -
line 700 {}; fraction 1 8; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.3333333333333333; -
line 703 {}; fraction 0 6; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.6320802083934297; -
line 706 {}; quantile 0.6320802083934297; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 6; -
line 709 {}; fraction 1 6; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.29874687506009634; -
line 712 {}; fraction 1.5 6; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0.15250624987980724; -
line 715 {}; fraction -2 -1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 718 {}; fraction -2 -1.5; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 721 {}; fraction -8 -1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 724 {}; fraction -6 -1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 727 {}; fraction -6 -1.5; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 730 {}; fraction 42 3.1415; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 733 {}; fraction 0 0; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 736 {}; fraction 1e-06 1e-06; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 739 {}; fraction 42 42; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 742 {}; fraction -3.1 -3.1; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 0; -
line 745 {}; fraction 3.1415 NaN; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; NaN; -
line 748 {}; fraction NaN 42; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; NaN; -
line 751 {}; fraction NaN NaN; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; NaN; -
line 754 {}; fraction -inf inf; s:0 zt:0.001 zc:2 c:12 sum:100 p:0/5 pb:2,3,0,1,4; 1; -
line 761 {}; fraction 0 inf; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 764 {}; fraction -inf 0; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 1; -
line 767 {}; fraction -0.001 0; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.16666666666666666; -
line 770 {}; fraction 0 0.001; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 773 {}; fraction -0.0005 0; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.08333333333333333; -
line 776 {}; fraction -inf -0.0005; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.9166666666666666; -
line 779 {}; quantile 0.9166666666666666; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -0.0005; -
line 782 {}; fraction 0.001 inf; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 785 {}; fraction -inf -0.001; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.8333333333333334; -
line 788 {}; fraction 1 2; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 791 {}; fraction 1.5 2; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 794 {}; fraction 1 8; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 797 {}; fraction 1 6; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 800 {}; fraction 1.5 6; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 803 {}; fraction -2 -1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.25; -
line 806 {}; fraction -2 -1.5; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.10375937481971091; -
line 809 {}; fraction -8 -1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.3333333333333333; -
line 812 {}; fraction -inf -6; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.36791979160657035; -
line 815 {}; quantile 0.36791979160657035; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; -6; -
line 818 {}; fraction -6 -1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.29874687506009634; -
line 821 {}; fraction -6 -1.5; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0.15250624987980724; -
line 824 {}; fraction 42 3.1415; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 827 {}; fraction 0 0; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 830 {}; fraction 1e-06 1e-06; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 833 {}; fraction 42 42; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 836 {}; fraction -3.1 -3.1; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 0; -
line 839 {}; fraction 3.1415 NaN; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; NaN; -
line 842 {}; fraction NaN 42; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; NaN; -
line 845 {}; fraction NaN NaN; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; NaN; -
line 848 {}; fraction -inf inf; s:0 zt:0.001 zc:2 c:12 sum:100 n:0/5 nb:2,3,0,1,4; 1; -
line 857 {}; fraction 0 inf; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.5; -
line 860 {}; fraction -inf 0; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.5; -
line 863 {}; fraction -0.001 0; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.08333333333333333; -
line 866 {}; fraction 0 0.001; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.08333333333333333; -
line 869 {}; fraction -0.0005 0.0005; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.08333333333333333; -
line 872 {}; fraction -inf 0.0005; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.5416666666666666; -
line 875 {}; quantile 0.5416666666666666; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.0005; -
line 878 {}; fraction -inf -0.0005; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.4583333333333333; -
line 881 {}; quantile 0.4583333333333333; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; -0.0005; -
line 884 {}; fraction 0.001 inf; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.4166666666666667; -
line 887 {}; fraction -inf -0.001; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.4166666666666667; -
line 890 {}; fraction 1 2; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.125; -
line 893 {}; fraction 1.5 2; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.051879687409855414; -
line 896 {}; fraction 1 8; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.16666666666666666; -
line 899 {}; fraction 1 6; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.14937343753004825; -
line 902 {}; fraction 1.5 6; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.07625312493990366; -
line 905 {}; fraction -2 -1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.125; -
line 908 {}; fraction -2 -1.5; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.051879687409855456; -
line 911 {}; fraction -8 -1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.16666666666666666; -
line 914 {}; fraction -6 -1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.14937343753004817; -
line 917 {}; fraction -6 -1.5; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0.07625312493990362; -
line 920 {}; fraction 42 3.1415; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 923 {}; fraction 0 0; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 926 {}; fraction 1e-06 1e-06; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 929 {}; fraction 42 42; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 932 {}; fraction -3.1 -3.1; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 0; -
line 935 {}; fraction 3.1415 NaN; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; NaN; -
line 938 {}; fraction NaN 42; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; NaN; -
line 941 {}; fraction NaN NaN; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; NaN; -
line 944 {}; fraction -inf inf; s:0 zt:0.001 zc:4 c:24 sum:100 p:0/5 pb:2,3,0,1,4 n:0/5 nb:2,3,0,1,4; 1; -
line 1080 {}; fraction 5 10; s:-53 c:4 sum:5 p:0/3 pb:1,2,1 cv:5,10; 0.5; -
line 1083 {}; quantile 0.5; s:-53 c:4 sum:5 p:0/3 pb:1,2,1 cv:5,10; 7.5; -
line 1616 {case=100% NaNs}; quantile 1; s:0 c:3 sum:NaN; NaN; yes
line 1616 {case=20% NaNs}; quantile 1; s:0 c:15 sum:NaN p:0/1 pb:12; NaN; yes
line 1621 {case=100% NaNs}; quantile 0.81; s:0 c:3 sum:NaN; NaN; yes
line 1621 {case=20% NaNs}; quantile 0.81; s:0 c:15 sum:NaN p:0/1 pb:12; NaN; yes
line 1631 {case=100% NaNs}; quantile 0.8; s:0 c:3 sum:NaN; NaN; yes
line 1635 {case=20% NaNs}; quantile 0.8; s:0 c:15 sum:NaN p:0/1 pb:12; 1; yes
line 1639 {case=100% NaNs}; quantile 0.4; s:0 c:3 sum:NaN; NaN; yes
line 1644 {case=20% NaNs}; quantile 0.4; s:0 c:15 sum:NaN p:0/1 pb:12; 0.7071067811865475; yes
line 1648 {case=100% NaNs}; fraction -inf 0.7071067811865475; s:0 c:3 sum:NaN; 0.0; yes
line 1648 {case=20% NaNs}; fraction -inf 0.7071067811865475; s:0 c:15 sum:NaN p:0/1 pb:12; 0.4; yes
line 1653 {case=100% NaNs}; fraction -inf inf; s:0 c:3 sum:NaN; 0.0; yes
line 1653 {case=20% NaNs}; fraction -inf inf; s:0 c:15 sum:NaN p:0/1 pb:12; 0.8; yes
"#;
