//! Generates the Rust code for `proto/proto/**/*.proto` and checks it equals the checked-in
//! files in `proto/src/gen/`.
//!
//! The `.proto` files are compiled with `protox` (pure Rust, no `protoc`), and the code is
//! emitted by `prost-build` and `tonic-prost-build` into a temporary directory. With
//! `QUIVER_REGEN=1` the test writes the files into `src/gen/` instead of comparing; run
//! `proto/regen.sh` after changing a `.proto` file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Where the `.proto` files live; also the single include root of the imports.
fn proto_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("proto")
}

/// Where the checked-in generated code lives.
fn gen_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("gen")
}

/// Every `.proto` file under `dir`, as paths relative to `root`, sorted.
fn find_protos(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            find_protos(root, &path, out);
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path.strip_prefix(root).expect("under the root").to_path_buf());
        }
    }
}

/// The `.rs` files of a directory, by file name.
fn read_rs_files(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path.file_name().expect("file name").to_string_lossy().into_owned();
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            files.insert(name, text);
        }
    }
    files
}

/// Compiles the protos and generates the Rust code into `out_dir`.
fn generate(out_dir: &Path) {
    let root = proto_root();
    let mut protos = Vec::new();
    find_protos(&root, &root, &mut protos);
    assert!(!protos.is_empty(), "no .proto files under {}", root.display());

    // The well-known types (`google.protobuf.Any` etc.) are built into protox; prost-build
    // maps them to `prost-types` and emits no code for them.
    let fds = protox::compile(&protos, [&root]).unwrap_or_else(|e| panic!("protox: {e:?}"));

    // `prost::Name` impls, so hints pack into and out of `google.protobuf.Any` with the type
    // URLs Go's `anypb` / gogo's `types.MarshalAny` use ("type.googleapis.com/hintspb...").
    let mut config = prost_build::Config::new();
    config.enable_type_names().type_name_domain(["."], "type.googleapis.com");

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Only `tonic::codegen`: no transport (hyper, tower) in the proto crate.
        .build_transport(false)
        .emit_rerun_if_changed(false)
        // Chunk data, symbol tables etc. as `bytes::Bytes`, so decoding from a `Bytes`
        // buffer does not copy them.
        .bytes(".")
        .out_dir(out_dir)
        .compile_fds_with_config(fds, config)
        .unwrap_or_else(|e| panic!("generating code: {e}"));
}

#[test]
fn generated_code_is_current() {
    let tmp = tempfile::tempdir().expect("temp dir");
    generate(tmp.path());
    let fresh = read_rs_files(tmp.path());
    assert!(!fresh.is_empty(), "code generation produced no files");

    let gen_dir = gen_dir();
    if std::env::var_os("QUIVER_REGEN").is_some_and(|v| v == "1") {
        fs::create_dir_all(&gen_dir).expect("creating src/gen");
        for (name, _) in read_rs_files(&gen_dir) {
            if !fresh.contains_key(&name) {
                fs::remove_file(gen_dir.join(&name)).expect("removing a stale generated file");
            }
        }
        for (name, text) in &fresh {
            fs::write(gen_dir.join(name), text).expect("writing a generated file");
        }
        return;
    }

    let checked_in = read_rs_files(&gen_dir);
    let fresh_names: Vec<_> = fresh.keys().collect();
    let checked_in_names: Vec<_> = checked_in.keys().collect();
    assert_eq!(
        checked_in_names, fresh_names,
        "the files in proto/src/gen/ are not the ones the .proto files generate; \
         run proto/regen.sh"
    );
    for (name, text) in &fresh {
        assert!(
            checked_in[name] == *text,
            "proto/src/gen/{name} is out of date with the .proto files; run proto/regen.sh"
        );
    }
}
