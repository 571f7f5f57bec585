//! Series stores the engine reads: an in-memory store (test scripts, the receiver's head later)
//! and TSDB blocks from the `bucket` crate.

mod blocks;
mod memory;

pub use blocks::BlockStore;
pub use memory::MemoryStore;
