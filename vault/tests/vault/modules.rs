//! The vault's modules form no circle. The test reads the source: the `mod` lines say which
//! modules there are, the `use` lines and the paths written in the code (`crate::…`,
//! `super::…`, a child module's name) say which reaches which, and a module's `pub use`
//! re-exports are followed to the module that defines what they name. Declaring a child is
//! not reaching it: a folder's `mod.rs` holds declarations and re-exports, and its children
//! may reach their siblings but not back through it to themselves.
//!
//! The crate root (`lib.rs`: `Vault`, `Result`) is every module's common ground and not a
//! node, and neither is `error`: every module answers with a `VaultError`. What `error`
//! itself reaches must be a leaf, and the leaves (`access`, `pages`, `version`) reach only
//! the values a version is made of (`names`, `content` and the `references` it holds, `db`
//! with the schema's `migrations`) and the error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod source;

use source::{Module, parse};

type Graph = BTreeMap<String, BTreeSet<String>>;

const LEAVES: [&str; 3] = ["access", "pages", "version"];

const VALUES: [&str; 5] = ["names", "content", "references", "db", "migrations"];

#[test]
fn the_vault_modules_form_no_circle() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    if let Some(circle) = find_circle(&graph) {
        panic!("the vault's modules form a circle: {}", circle.join(" → "));
    }
}

#[test]
fn the_leaves_reach_only_values_and_the_error() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let allowed: BTreeSet<&str> = VALUES.into_iter().chain(["error"]).collect();
    for leaf in LEAVES.into_iter().chain(["error"]) {
        let reached = graph.get(leaf).unwrap_or_else(|| panic!("no module {leaf}"));
        let extra: Vec<_> = reached
            .iter()
            .filter(|m| !allowed.contains(m.as_str()) && !LEAVES.contains(&m.as_str()))
            .collect();
        assert!(extra.is_empty(), "{leaf} should be a leaf, but reaches {extra:?}");
    }
    for value in VALUES {
        let extra: Vec<_> = graph[value].iter().filter(|m| !allowed.contains(m.as_str())).collect();
        assert!(extra.is_empty(), "{value} holds values, but reaches {extra:?}");
    }
}

/// The graph is read, not empty: edges the code is known to have are found.
#[test]
fn the_graph_has_the_edges_the_code_has() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for (from, to) in
        [("prompts/operations", "prompts/steps"), ("reviews", "requests"), ("serving/model", "serving/keys")]
    {
        assert!(graph[from].contains(to), "{from} reaches {to}, but the graph says {:?}", graph[from]);
    }
    if std::env::var_os("PRINT_MODULE_GRAPH").is_some() {
        for (module, reached) in &graph {
            println!("{module}: {}", reached.iter().cloned().collect::<Vec<_>>().join(" "));
        }
    }
}

/// The test reads real code: a circle written here is found, named in order.
#[test]
fn a_circle_is_found_and_named() {
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_circle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    graph.get_mut("c").expect("c is a node").clear();
    assert_eq!(find_circle(&graph), None);
    let module = parse("use crate::{a::{B, c::D}, e};\nfn f() { super::g::h(); crate::i::J; \"crate::k\"; }");
    let mut paths = module.1;
    paths.sort();
    assert_eq!(paths, ["crate::a::B", "crate::a::c::D", "crate::e", "crate::i::J", "super::g::h"]);
}

fn graph(src: &Path) -> Graph {
    let mut modules = BTreeMap::new();
    let mut paths = BTreeMap::new();
    read_modules(src, src, &mut modules, &mut paths);
    let mut graph = Graph::new();
    for (name, used) in &paths {
        if name.is_empty() {
            continue;
        }
        let children: Vec<&str> = modules
            .keys()
            .filter_map(|m: &String| m.strip_prefix(&format!("{name}/")).filter(|c| !c.contains('/')))
            .collect();
        let mut reached = BTreeSet::new();
        for path in used {
            let mut segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            let from = match segments[0].as_str() {
                "crate" => String::new(),
                "super" => parent(name),
                "self" => name.clone(),
                child if children.contains(&child) => {
                    segments.insert(0, "self".into());
                    name.clone()
                }
                _ => continue,
            };
            segments.remove(0);
            let mut from = from;
            while segments.first().is_some_and(|s| s == "super") {
                from = parent(&from);
                segments.remove(0);
            }
            if let Some(target) = resolve(&modules, &from, &segments, 0)
                && target != *name
                && !target.is_empty()
                && target != "error"
            {
                reached.insert(target);
            }
        }
        graph.insert(name.clone(), reached);
    }
    graph
}

/// The module a path starting at module `from` ends in: the deepest module it names, or,
/// for an item a module re-exports, the module that defines it.
fn resolve(
    modules: &BTreeMap<String, Module>,
    from: &str,
    segments: &[String],
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let mut at = from.to_owned();
    for (i, segment) in segments.iter().enumerate() {
        let child = if at.is_empty() { segment.clone() } else { format!("{at}/{segment}") };
        if modules.contains_key(&child) {
            at = child;
            continue;
        }
        if let Some(target) = modules.get(&at).and_then(|m| m.reexports.get(segment)) {
            let mut target = target.clone();
            let start = match target[0].as_str() {
                "crate" => String::new(),
                "super" => parent(&at),
                "self" => at.clone(),
                _ => {
                    target.insert(0, "self".into());
                    at.clone()
                }
            };
            target.remove(0);
            let mut rest = target;
            rest.extend_from_slice(&segments[i + 1..]);
            return resolve(modules, &start, &rest, depth + 1);
        }
        return Some(at);
    }
    Some(at)
}

fn parent(name: &str) -> String {
    name.rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_default()
}

fn read_modules(
    src: &Path,
    dir: &Path,
    modules: &mut BTreeMap<String, Module>,
    paths: &mut BTreeMap<String, Vec<String>>,
) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("a source folder entry").path();
        if path.is_dir() {
            read_modules(src, &path, modules, paths);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).expect("under src").with_extension("");
        let mut name = relative.to_string_lossy().replace('\\', "/");
        if name == "lib" {
            name = String::new();
        } else if let Some(folder) = name.strip_suffix("/mod") {
            name = folder.to_owned();
        }
        let (module, used) = parse(&std::fs::read_to_string(&path).expect("read a source file"));
        modules.insert(name.clone(), module);
        paths.insert(name, used);
    }
}

/// A circle in `graph`, as the modules in order with the first repeated at the end.
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        node: &str,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut circle = stack[start..].to_vec();
                circle.push(node.to_owned());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(graph, next, marks, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph.keys().find_map(|node| visit(graph, node, &mut marks, &mut Vec::new()))
}
