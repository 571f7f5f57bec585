//! Quiver's physical PromQL operators (`FooExec` + `FooStream`, one file each, named after the
//! planner's nodes), table providers over TSDB blocks, Parquet blocks, remote StoreAPI endpoints
//! and in-process series stores, deduplication, and the instant and range query facade.
//!
//! It depends on `quiver-proto`, `quiver-bucket` and `quiver-planner`. The engine is built in the
//! PromQL issue; nothing lives here yet.
