//! The dependency direction of DESIGN.md, enforced: each crate may use only the internal crates
//! listed for it, `planner` does no I/O, and `bucket` and `ingest` know nothing of queries.

use std::collections::{BTreeMap, BTreeSet};

use cargo_metadata::{DependencyKind, MetadataCommand};

fn allowed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let internal = ["quiver-proto", "quiver-bucket", "quiver-planner", "quiver-engine", "quiver-ingest"];
    BTreeMap::from([
        ("quiver-proto", BTreeSet::new()),
        ("quiver-bucket", BTreeSet::from(["quiver-proto"])),
        ("quiver-planner", BTreeSet::from(["quiver-proto"])),
        ("quiver-engine", BTreeSet::from(["quiver-proto", "quiver-bucket", "quiver-planner"])),
        ("quiver-ingest", BTreeSet::from(["quiver-proto", "quiver-bucket"])),
        ("quiver", BTreeSet::from(internal)),
        ("quiver-tests", BTreeSet::from(internal)),
        ("quiver-benches", BTreeSet::from(internal)),
    ])
}

/// External crates a crate must not use, with the reason.
fn forbidden() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("quiver-planner", "tokio", "the planner is logical only: no I/O, no runtime"),
        ("quiver-planner", "object_store", "the planner does no I/O"),
        ("quiver-bucket", "datafusion", "the bucket crate knows nothing of query execution"),
        ("quiver-ingest", "datafusion", "the write path never touches query code"),
        ("quiver-ingest", "promql-parser", "the write path never touches query code"),
        ("quiver-proto", "tokio", "the vocabulary crate does no I/O"),
    ]
}

#[test]
fn internal_dependencies_point_down_the_table() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let meta = MetadataCommand::new().manifest_path(root).no_deps().exec().expect("cargo metadata");
    let allowed = allowed();
    let internal: BTreeSet<&str> = allowed.keys().copied().collect();
    let mut seen = BTreeSet::new();
    let mut violations = Vec::new();
    for pkg in meta.workspace_packages() {
        let name = pkg.name.as_str();
        seen.insert(name.to_string());
        let Some(ok) = allowed.get(name) else {
            violations.push(format!("{name} is not in the crate table of DESIGN.md"));
            continue;
        };
        for dep in &pkg.dependencies {
            let dev_only = dep.kind == DependencyKind::Development;
            let is_internal = internal.contains(dep.name.as_str());
            if is_internal && !ok.contains(dep.name.as_str()) {
                violations.push(format!("{name} depends on {} ({:?})", dep.name, dep.kind));
            }
            if is_internal && dep.name == name {
                violations.push(format!("{name} depends on itself"));
            }
            if !dev_only {
                for (krate, ext, why) in forbidden() {
                    if krate == name && dep.name == ext {
                        violations.push(format!("{name} depends on {ext}: {why}"));
                    }
                }
            }
        }
    }
    for name in allowed.keys() {
        assert!(seen.contains(*name), "crate {name} is missing from the workspace");
    }
    assert!(violations.is_empty(), "dependency rules broken:\n{}", violations.join("\n"));
}

#[test]
fn only_server_builds_a_binary() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let meta = MetadataCommand::new().manifest_path(root).no_deps().exec().expect("cargo metadata");
    let bins: Vec<(String, String)> = meta
        .workspace_packages()
        .iter()
        .flat_map(|p| {
            p.targets.iter().filter(|t| t.is_bin()).map(move |t| (p.name.to_string(), t.name.clone()))
        })
        .collect();
    assert_eq!(bins, vec![("quiver".to_string(), "quiver".to_string())]);
}
