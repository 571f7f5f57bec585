//! TSDB blocks, byte-compatible with Prometheus 2.x and 3.x.

mod chunks;
mod deleted;
mod encoding;
mod external;
mod index_header;
mod index_reader;
mod index_writer;
mod meta;
mod reader;
mod series_store;
mod source;
mod tombstones;
mod upload;
mod writer;

pub use chunks::{ChunkReader, DEFAULT_SEGMENT_SIZE, SegmentWriter};
pub use index_header::INDEX_HEADER_FILE;
pub use index_reader::{IndexReader, SeriesEntry, Toc};
pub use index_writer::{ChunkMeta, IndexWriteStats, write_index};
pub use meta::{
    BlockCompaction, BlockDesc, BlockMeta, BlockStats, Downsample, FileMeta, IndexStats, ThanosMeta,
};
pub use reader::{Block, OpenOptions, list_blocks, list_local_blocks};
pub use series_store::{BATCH_SERIES, BATCHES_AHEAD};
pub use source::BlockSource;
pub use tombstones::{Tombstone, decode_tombstones, encode_tombstones};
pub use upload::{UploadOptions, upload_block};
pub use writer::{DEFAULT_BLOCK_DURATION_MS, cut_xor_chunks, range_end_for, write_block, write_float_blocks};

#[cfg(test)]
mod tests;
