//! TrimBuckets (PromQL's `</` and `>/`) against the trim evaluations of Prometheus's
//! promql/promqltest/testdata/native_histograms.test, compared as promqltest does (1e-6).

use super::FloatHistogram;
use super::testutil::fh;

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

/// The populated buckets as (positive, index, count).
fn populated(h: &FloatHistogram) -> Vec<(bool, i32, f64)> {
    let pos = h.positive_bucket_iter().map(|b| (true, b.index, b.count));
    let neg = h.negative_bucket_iter().map(|b| (false, b.index, b.count));
    pos.chain(neg).filter(|b| b.2 != 0.0).collect()
}

#[test]
fn trim_prometheus_cases() {
    let rows: Vec<&str> = TRIM_TESTS.lines().filter(|l| !l.is_empty()).collect();
    assert!(rows.len() > 100);
    for row in rows {
        let [name, op, input, want] = row.split("; ").collect::<Vec<_>>()[..] else { panic!("{row}") };
        let (kind, rhs) = op.split_once(' ').unwrap();
        let mut h = fh(input);
        h.trim_buckets(rhs.parse().unwrap(), kind == "upper");
        let want = fh(want);
        let ctx = format!("{name}: {op} of {input}\n got {h}\nwant {want}");
        assert_eq!(h.schema, want.schema, "{ctx}");
        assert!(almost_equal(h.count, want.count), "{ctx}");
        assert!(almost_equal(h.sum, want.sum), "{ctx}");
        assert!(almost_equal(h.zero_count, want.zero_count), "{ctx}");
        let (got_b, want_b) = (populated(&h), populated(&want));
        assert_eq!(got_b.len(), want_b.len(), "{ctx}");
        for (g, w) in got_b.iter().zip(&want_b) {
            assert!(g.0 == w.0 && g.1 == w.1 && almost_equal(g.2, w.2), "{ctx}");
        }
    }
}

#[test]
fn trim_keeps_untouched_histograms() {
    // Nothing trimmed: count and sum stay as they are (not recomputed from midpoints).
    let mut h = fh("c:30 sum:100 p:0/4 pb:5,5,10,10");
    h.trim_buckets(100.0, true);
    assert_eq!((h.count, h.sum), (30.0, 100.0));
    h.trim_buckets(4.0, true);
    assert_eq!(h.positive_buckets, vec![5.0, 5.0, 10.0]);
    assert_eq!(h.count, 20.0);
}

/// `line; trim; input histogram; expected histogram` from native_histograms.test.
const TRIM_TESTS: &str = r#"
line 2043; lower -inf; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2
line 2046; upper inf; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2
line 2049; lower inf; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001
line 2052; upper -inf; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001
line 2055; lower 0; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001 zc:0.5 c:30.5 sum:120.20840280171308 p:0/4 pb:2,4,8,16
line 2058; upper 0; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; s:0 zt:0.001 zc:0.5 c:3.5 sum:-3.5357839059327376 n:0/2 nb:1,2
line 2063; upper 1.4142135624; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 zc:1 c:8 sum:0.2570938865989847 p:0/2 pb:2,2 n:0/2 nb:1,2
line 2066; lower 1.4142135624; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 c:26 sum:116.50067065070982 p:0/4 pb:0,2,8,16
line 2073; upper 1.13; s:2 zt:0.001 zc:1 c:28 sum:12.8286080906 p:0/5 pb:1,2,4,7,3 n:0/4 nb:1,5,3,1; s:2 zt:0.001 zc:1 c:13.410582181123704 sum:-9.385798726068233 p:0/2 pb:1,1.410582181123704 n:0/4 nb:1,5,3,1
line 2076; lower 1.13; s:2 zt:0.001 zc:1 c:28 sum:12.8286080906 p:0/5 pb:1,2,4,7,3 n:0/4 nb:1,5,3,1; s:2 zt:0.001 c:14.589417818876296 sum:22.168126492693734 p:1/4 pb:0.589417818876296,4,7,3
line 2079; lower -1.3; s:2 zt:0.001 zc:1 c:28 sum:12.8286080906 p:0/5 pb:1,2,4,7,3 n:0/4 nb:1,5,3,1; s:2 zt:0.001 zc:1 c:25.54213947904476 sum:16.29588491217537 p:0/5 pb:1,2,4,7,3 n:0/3 nb:1,5,1.54213947904476
line 2082; upper -1.3; s:2 zt:0.001 zc:1 c:28 sum:12.8286080906 p:0/5 pb:1,2,4,7,3 n:0/4 nb:1,5,3,1; s:2 zt:0.001 c:2.45786052095524 sum:-3.5189307983595066 n:2/2 nb:1.45786052095524,1
line 2086; upper 2; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 zc:1 c:10 sum:3.5355339059327373 p:0/2 pb:2,4 n:0/2 nb:1,2
line 2089; lower 2; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 c:24 sum:113.13708498984761 p:2/2 pb:8,16
line 2092; lower -1; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 zc:1 c:32 sum:119.50104602052653 p:0/4 pb:2,4,8,16 n:0/1 nb:1
line 2095; upper -1; s:0 zt:0.001 zc:1 c:34 sum:123.75 p:0/4 pb:2,4,8,16 n:0/2 nb:1,2; zt:0.001 c:2 sum:-2.8284271247461903 n:1/1 nb:2
line 2103; lower 0.5; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5 zc:0 c:10 sum:7.0710678118654755 p:0/1 pb:10
line 2106; lower 0.1; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5 zc:1.6 c:11.6 sum:7.551067811865476 p:0/1 pb:10
line 2109; lower 0; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10
line 2112; upper 0.5; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5 zc:2 c:2 sum:0.5
line 2115; upper 0.1; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5 zc:0.4 c:0.4 sum:0.02
line 2118; upper 0; s:0 zt:0.5 zc:2 c:12 sum:8.021067811865475 p:0/1 pb:10; s:0 zt:0.5
line 2126; upper -0.5; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5 zc:0 c:10 sum:-7.0710678118654755 n:0/1 nb:10
line 2129; upper -0.1; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5 zc:1.6 c:11.6 sum:-7.551067811865476 n:0/1 nb:10
line 2132; upper 0; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10
line 2135; lower -0.5; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5 zc:2 c:2 sum:-0.5
line 2138; lower -0.1; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5 zc:0.4 c:0.4 sum:-0.02
line 2141; lower 0; s:0 zt:0.5 zc:2 c:12 sum:-8.021067811865475 n:0/1 nb:10; s:0 zt:0.5
line 2149; lower 0.1; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:0 c:0 sum:0
line 2152; upper 0.1; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:5 c:5 sum:0
line 2155; lower 0.05; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:1.25 c:1.25 sum:0.09375
line 2158; upper 0.05; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:3.75 c:3.75 sum:-0.09375
line 2161; lower 0; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:2.5 c:2.5 sum:0.125
line 2164; upper 0; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:2.5 c:2.5 sum:-0.125
line 2167; lower -0.05; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:3.75 c:3.75 sum:0.09375
line 2170; upper -0.05; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:1.25 c:1.25 sum:-0.09375
line 2173; upper -0.1; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:0 c:0 sum:0
line 2176; lower -0.1; s:0 zt:0.1 zc:5 c:5 sum:0; s:0 zt:0.1 zc:5 c:5 sum:0
line 2184; upper 15; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:11 sum:97.5 p:0/3 pb:1,6,4 cv:5,10,15,20
line 2187; lower 15; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:4 sum:72.5 p:3/2 pb:3,1 cv:5,10,15,20
line 2191; upper 13; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:9.4 sum:75.1 p:0/3 pb:1,6,2.4 cv:5,10,15,20
line 2194; lower 13; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:5.6 sum:94.9 p:2/3 pb:1.6,3,1 cv:5,10,15,20
line 2197; upper 7.5; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:4 sum:21.25 p:0/2 pb:1,3 cv:5,10,15,20
line 2201; upper 50; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:14 sum:150 p:0/4 pb:1,6,4,3 cv:5,10,15,20
line 2204; upper -inf; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 cv:5,10,15,20
line 2207; lower inf; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 cv:5,10,15,20
line 2210; upper inf; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20
line 2213; lower -inf; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20
line 2217; lower 0; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20
line 2220; upper 0; s:-53 c:15 sum:172.5 p:0/5 pb:1,6,4,3,1 cv:5,10,15,20; s:-53 cv:5,10,15,20
line 2228; upper 2; s:-53 c:15 sum:172.5 p:0/6 pb:2,1,6,4,3,1 cv:-10,5,10,15,20; s:-53 c:2.8 sum:-23.2 p:0/2 pb:2,0.8 cv:-10,5,10,15,20
line 2231; upper -4; s:-53 c:15 sum:172.5 p:0/6 pb:2,1,6,4,3,1 cv:-10,5,10,15,20; s:-53 c:2.4 sum:-22.8 p:0/2 pb:2,0.4 cv:-10,5,10,15,20
line 2234; upper -15; s:-53 c:15 sum:172.5 p:0/6 pb:2,1,6,4,3,1 cv:-10,5,10,15,20; s:-53 c:2 sum:-30 p:0/1 pb:2 cv:-10,5,10,15,20
line 2242; upper -0.005; s:0 zt:0.01 zc:5 sum:-6.75 p:0/2 pb:2,3 n:0/3 nb:1,2,3; zt:0.01 zc:1.25 c:7.25 sum:-12.03019028017131 n:0/3 nb:1,2,3
line 2245; lower 0; s:0 zt:0.01 zc:5 sum:-6.75 p:0/2 pb:2,3 n:0/3 nb:1,2,3; zt:0.01 zc:2.5 c:7.5 sum:5.669354249492381 p:0/2 pb:2,3
line 2253; upper 10; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:0 sum:0 p:0/1 pb:0
line 2257; lower 10; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:0 sum:0 p:0/1 pb:0
line 2261; upper inf; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:100 sum:100 p:0/1 pb:100
line 2265; lower inf; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:0 sum:0 p:0/1 pb:0
line 2269; lower -inf; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:100 sum:100 p:0/1 pb:100
line 2273; upper -inf; s:-53 c:100 sum:100 p:0/1 pb:100; s:-53 c:0 sum:0 p:0/1 pb:0
line 2281; upper 10; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:1 sum:0 p:0/2 pb:1,0 cv:0
line 2285; upper 0; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:1 sum:0 p:0/2 pb:1,0 cv:0
line 2289; upper -10; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:1 sum:-10 p:0/2 pb:1,0 cv:0
line 2293; lower -10; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:100 sum:0 p:0/2 pb:0,100 cv:0
line 2297; lower 0; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:100 sum:0 p:0/2 pb:0,100 cv:0
line 2301; lower 10; s:-53 c:100 sum:33 p:0/2 pb:1,100 cv:0; s:-53 c:100 sum:1000 p:0/2 pb:0,100 cv:0
line 2309; upper 10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:1 sum:2.5 p:0/2 pb:1,0 cv:5
line 2313; upper 2; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:0.4 sum:0.4 p:0/2 pb:0.4,0 cv:5
line 2317; upper 0; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 cv:5
line 2321; upper -10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:0 sum:0 p:0/2 pb:0,0 cv:5
line 2325; lower -10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:100 sum:500 p:0/2 pb:0,100 cv:5
line 2329; lower 0; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5
line 2333; lower 2; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:100.6 sum:502.1 p:0/2 pb:0.6,100 cv:5
line 2337; lower 10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:5; s:-53 c:100 sum:1000 p:0/2 pb:0,100 cv:5
line 2345; upper 10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:1 sum:-5 p:0/2 pb:1,0 cv:-5
line 2349; upper 0; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:1 sum:-5 p:0/2 pb:1,0 cv:-5
line 2353; upper -2; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:1 sum:-5 p:0/2 pb:1,0 cv:-5
line 2357; upper -10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:1 sum:-10 p:0/2 pb:1,0 cv:-5
line 2361; lower -10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:100 sum:-500 p:0/2 pb:0,100 cv:-5
line 2365; lower -2; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:100 sum:-200 p:0/2 pb:0,100 cv:-5
line 2369; lower 0; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:100 sum:0 p:0/2 pb:0,100 cv:-5
line 2373; lower 10; s:-53 c:101 sum:33 p:0/2 pb:1,100 cv:-5; s:-53 c:100 sum:1000 p:0/2 pb:0,100 cv:-5
line 2399; upper -inf; -; -
line 2399; upper -inf; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2403; upper -5; -; -
line 2403; upper -5; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2407; upper 0; -; -
line 2407; upper 0; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2411; upper 5; -; -
line 2411; upper 5; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2415; upper inf; -; -
line 2415; upper inf; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2419; lower -inf; -; -
line 2419; lower -inf; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2423; lower -5; -; -
line 2423; lower -5; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2427; lower 0; -; -
line 2427; lower 0; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2431; lower 5; -; -
line 2431; lower 5; s:-53 cv:-3,2; s:-53 cv:-3,2
line 2435; lower inf; -; -
line 2435; lower inf; s:-53 cv:-3,2; s:-53 cv:-3,2
"#;
