//! Parsing and planning arbitrary PromQL text returns a plan or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_planner::{EvalSteps, PlanOptions, plan_query};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = plan_query(text, &PlanOptions::new(EvalSteps::instant(1_700_000_000_000)));
        let _ = plan_query(text, &PlanOptions::new(EvalSteps::range(0, 3_600_000, 60_000)));
    }
});
