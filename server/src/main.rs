//! The `quiver` binary. Everything lives in the library; this only hands over the process.

/// Queries allocate and free batch buffers on several threads, which mimalloc does far faster than
/// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    quiver::cli::main()
}
