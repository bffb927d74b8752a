//! Reading a Rust source file as the module-graph test needs it: its code without
//! comments, string contents or unit-test modules; the paths its `use` lines and code name;
//! and what its `pub use` lines re-export.

use std::collections::BTreeMap;

/// What a module re-exports: each name its `pub use` lines give, and the path it names.
pub(super) struct Module {
    pub(super) reexports: BTreeMap<String, Vec<String>>,
}

/// A module's code, cleaned, with its re-exports, and every path it names that starts
/// with `crate`, `super`, `self` or another identifier followed by `::`.
pub(super) fn parse(source: &str) -> (Module, Vec<String>) {
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
pub(super) fn expand(tree: &str) -> Vec<String> {
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

pub(super) fn inline_paths(code: &str) -> Vec<String> {
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

pub(super) fn find_word(code: &str, word: &str) -> Option<usize> {
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
pub(super) fn without_unit_tests(code: &str) -> String {
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
pub(super) fn without_comments_and_strings(source: &str) -> String {
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
