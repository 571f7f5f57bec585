//! Parsing and planning arbitrary PromQL text returns a plan or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver_planner::{EvalSteps, PlanOptions, plan_query};

static DEFAULT_PANIC_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // The planner turns panics inside promql-parser into parse errors with catch_unwind;
    // libfuzzer-sys's hook would abort on them first, so put the default hook back. A panic the
    // planner does not catch still reaches libfuzzer-sys's own catch_unwind and is a crash.
    DEFAULT_PANIC_HOOK.call_once(|| drop(std::panic::take_hook()));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = plan_query(text, &PlanOptions::new(EvalSteps::instant(1_700_000_000_000)));
        let _ = plan_query(text, &PlanOptions::new(EvalSteps::range(0, 3_600_000, 60_000)));
    }
});
