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
//! the values a version is made of (`names`, `content`, `db`) and the error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a module re-exports: each name its `pub use` lines give, and the path it names.
struct Module {
    reexports: BTreeMap<String, Vec<String>>,
}

type Graph = BTreeMap<String, BTreeSet<String>>;

const LEAVES: [&str; 3] = ["access", "pages", "version"];
const VALUES: [&str; 3] = ["names", "content", "db"];

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
    graph.get_mut("c").unwrap().clear();
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
            if let Some(target) = resolve(&modules, &from, &segments, 0) {
                if target != *name && !target.is_empty() && target != "error" {
                    reached.insert(target);
                }
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
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_modules(src, &path, modules, paths);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut name = relative.to_string_lossy().replace('\\', "/");
        if name == "lib" {
            name = String::new();
        } else if let Some(folder) = name.strip_suffix("/mod") {
            name = folder.to_owned();
        }
        let (module, used) = parse(&std::fs::read_to_string(&path).unwrap());
        modules.insert(name.clone(), module);
        paths.insert(name, used);
    }
}

/// A module's code, cleaned, with its re-exports, and every path it names that starts
/// with `crate`, `super`, `self` or another identifier followed by `::`.
fn parse(source: &str) -> (Module, Vec<String>) {
    let code = without_unit_tests(&without_comments_and_strings(source));
    let mut reexports = BTreeMap::new();
    let mut used = Vec::new();
    let mut rest = String::new();
    let mut i = 0;
    while let Some(at) = find_word(&code[i..], "use").map(|a| a + i) {
        let end = code[at..].find(';').map(|e| e + at).unwrap_or(code.len());
        rest.push_str(&code[i..at]);
        let public = code[..at].trim_end().ends_with("pub") || code[..at].trim_end().ends_with(')');
        // A glob reaches the module it empties.
        for path in expand(code[at + 3..end].trim()).into_iter().map(|p| p.trim_end_matches("::*").to_owned())
        {
            let (path, alias) = match path.split_once(" as ") {
                Some((p, a)) => (p.trim().to_owned(), a.trim().to_owned()),
                None => (path.clone(), path.rsplit("::").next().unwrap_or_default().to_owned()),
            };
            let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            if public {
                reexports.insert(alias, segments);
            }
            used.push(path);
        }
        i = end + 1;
    }
    rest.push_str(&code[i.min(code.len())..]);
    used.extend(inline_paths(&rest));
    (Module { reexports }, used)
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e` (and `a::{self}` → `a`).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else { return vec![tree.replace(' ', "")] };
    let prefix = tree[..open].trim().trim_end_matches("::").replace(' ', "");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut paths = Vec::new();
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        for path in expand(part) {
            paths.push(if path == "self" { prefix.clone() } else { format!("{prefix}::{path}") });
        }
    }
    paths
}

fn inline_paths(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut paths = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = is_ident(bytes[i]) && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        loop {
            while end < bytes.len() && is_ident(bytes[end]) {
                end += 1;
            }
            if code[end..].starts_with("::") && bytes.get(end + 2).is_some_and(|&b| is_ident(b)) {
                end += 2;
            } else {
                break;
            }
        }
        let path = &code[i..end];
        if path.contains("::") {
            paths.push(path.to_owned());
        }
        i = end.max(i + 1);
    }
    paths
}

fn find_word(code: &str, word: &str) -> Option<usize> {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(at) = code[from..].find(word).map(|a| a + from) {
        let before = at == 0 || !is_ident(bytes[at - 1]);
        let after = bytes.get(at + word.len()).is_none_or(|&b| b == b' ' || b == b'\n');
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The code without its `#[cfg(test)]` modules: their `super` is the file itself, and what
/// they reach is the tests' business.
fn without_unit_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) =
            after.find('{').filter(|&o| after[..o].contains("mod ") && !after[..o].contains(';'))
        else {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        };
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The code with comments removed and string and character literals emptied, so that
/// neither a doc comment nor `"crate::…"` in a message counts as reaching a module.
fn without_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars[i.saturating_sub(1)].is_alphanumeric()
        {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
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
