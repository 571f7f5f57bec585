//! The `quiver` binary. Everything lives in the library; this only hands over the process.

fn main() -> std::process::ExitCode {
    quiver::cli::main()
}
