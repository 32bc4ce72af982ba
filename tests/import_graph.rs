//! Imports flow one way: the daemon crate's top-level components (`config`, `source`,
//! `family`, `avro`, …) import each other without a circle, and the generic ones import no
//! record family, source kind or assembly.
//!
//! Reads `src/**/*.rs` as text: every `use crate::…` (grouped or not) and every
//! `crate::x::` path outside comments is an edge from the file's component to `x`. Unit
//! tests (`tests.rs`, `mod tests { … }` at a file's end) are left out: they may reach
//! anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The component a file under `src` belongs to: `src/x.rs` and `src/x/…` are `x`;
/// `None` for the crate roots and the binaries.
fn component(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap_or(text);
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The components a file's code names: `crate::x…` and `use crate::{x, y::z}`.
fn imports(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `ruralsync_sim::crate::` never, but `my_crate::` yes
        }
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c != '{' {
                    item.push(c);
                }
            }
            found.insert(ident(item.trim()));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|c| !c.is_empty());
    found
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let components: BTreeSet<String> = files.iter().filter_map(|f| component(&src, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let Some(from) = component(&src, file) else {
            continue;
        };
        if file.file_name().is_some_and(|n| n == "tests.rs")
            || file.components().any(|c| c.as_os_str() == "tests")
        {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(from.clone()).or_default();
        for to in imports(&code(&text)) {
            if to != from && components.contains(&to) {
                edges.insert(to);
            }
        }
    }
    graph
}

/// A circle of the graph, as the path that closes it, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_components_of_the_daemon_import_each_other_without_a_circle() {
    let graph = graph();
    assert!(graph.len() >= 10, "components found: {graph:?}");
    if let Some(circle) = cycle(&graph) {
        panic!(
            "import circle: {}\nthe whole graph: {graph:#?}",
            circle.join(" → ")
        );
    }
}

#[test]
fn generic_components_import_no_family_kind_or_assembly() {
    let graph = graph();
    let specific = [
        "family", "source", "config", "pipeline", "daemon", "sink", "inspect",
    ];
    for generic in [
        "avro",
        "normalize",
        "settings",
        "protect",
        "backoff",
        "region",
    ] {
        let imports = graph.get(generic).cloned().unwrap_or_default();
        let bad: Vec<_> = imports
            .iter()
            .filter(|c| specific.contains(&c.as_str()))
            .collect();
        assert!(bad.is_empty(), "{generic} imports {bad:?}");
    }
}

#[test]
fn the_reader_finds_grouped_and_inline_paths_and_skips_comments() {
    let code = code("use crate::{avro::X, family::{a, b}, protect};\n// crate::daemon\nfn f() { crate::sink::kafka::go() }\n");
    assert_eq!(
        imports(&code),
        ["avro", "family", "protect", "sink"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let circle = cycle(&Graph::from([
        ("a".into(), ["b".into()].into()),
        ("b".into(), ["c".into()].into()),
        ("c".into(), ["a".into()].into()),
    ]));
    assert_eq!(circle.unwrap().join(" → "), "a → b → c → a");
}
