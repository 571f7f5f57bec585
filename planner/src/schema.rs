use std::sync::{Arc, OnceLock};

use datafusion_common::arrow::datatypes::{DataType, Field, Schema};
use datafusion_common::{DFSchema, DFSchemaRef};

pub const COL_SERIES: &str = "series";
pub const COL_TS: &str = "ts";
pub const COL_VALUE: &str = "value";
pub const COL_HIST: &str = "hist";

/// The rows every vector- or scalar-valued node produces: series id (into the query's series
/// table), step timestamp in milliseconds, float value, and for native histogram samples the
/// histogram's index in the query's histogram arena (null for floats; the value is then unused).
pub fn sample_schema() -> DFSchemaRef {
    static SCHEMA: OnceLock<DFSchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        let schema = Schema::new(vec![
            Field::new(COL_SERIES, DataType::UInt32, false),
            Field::new(COL_TS, DataType::Int64, false),
            Field::new(COL_VALUE, DataType::Float64, false),
            Field::new(COL_HIST, DataType::UInt32, true),
        ]);
        // A schema of four fixed, distinct, unqualified columns is always valid.
        Arc::new(DFSchema::try_from(schema).unwrap_or_else(|_| DFSchema::empty()))
    }))
}
