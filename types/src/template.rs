//! `{{variables}}`: the one grammar, and the one compile, that the vault, the Rust SDK and
//! the dashboard's preview share, so that all three fill a prompt alike.
//!
//! A variable is `{{name}}`: a name is an ASCII letter followed by ASCII letters, digits or
//! `_`, and spaces or tabs inside the braces are ignored (`{{ name }}`). Anything else
//! between double braces (`{{ 1 }}`, `{{a-b}}`, an unclosed `{{`) is text, kept as written.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// The largest prompt a compile makes, in bytes: 4 MiB, four times the largest source. A
/// prompt with many `{{x}}` and a long value for `x` would otherwise grow without bound
/// (each use repeats the value), so the size is counted before anything is allocated.
pub const MAX_COMPILED_BYTES: usize = 4 * 1024 * 1024;

/// How [`compile`] treats names without a value, and values without a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuses a variable without a value and a value no variable (or placeholder) uses.
    Strict,
    /// Leaves a variable without a value as written; ignores values nothing uses.
    Lenient,
}

/// Why a strict compile refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// The prompt uses `{{name}}` and no value was given for it.
    Missing(String),
    /// A value was given for a name the prompt does not use.
    Unknown(String),
    /// The chat prompt has a placeholder of this name and no messages were given for it.
    MissingPlaceholder(String),
    /// The compiled prompt would be larger than [`MAX_COMPILED_BYTES`] (in either mode).
    TooLarge { limit: usize },
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Missing(name) => write!(f, "no value given for the variable {{{{{name}}}}}"),
            CompileError::Unknown(name) => {
                write!(f, "a value was given for {name:?}, which is not a variable of this prompt")
            }
            CompileError::MissingPlaceholder(name) => {
                write!(f, "no messages given for the placeholder {name:?}")
            }
            CompileError::TooLarge { limit } => write!(
                f,
                "the compiled prompt would be larger than {limit} bytes: shorten the values, or use fewer of them"
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// A piece of a template: text to keep, or a variable to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    Variable { name: &'t str, written: &'t str },
}

/// Whether `name` is a variable name: an ASCII letter, then ASCII letters, digits or `_`.
/// Placeholders' names follow the same rule.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variable starting at the `{{` at the start of `rest`, if it is one: its name and how
/// many bytes it spans. The parse reads blanks, a name, blanks and `}}`, and stops at the
/// first byte that fits none of them: it never reads past the next brace, so scanning a
/// whole text reads each byte a bounded number of times, however many `{{` it holds.
fn variable_at(rest: &str) -> Option<(&str, usize)> {
    let bytes = rest.as_bytes();
    let blanks = |from: usize| from + bytes[from..].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    if !rest.starts_with("{{") {
        return None;
    }
    let start = blanks(2);
    let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    let close = blanks(end);
    let name = &rest[start..end];
    (bytes[close..].starts_with(b"}}") && is_name(name)).then_some((name, close + 2))
}

/// The pieces of a template, in order, found in one pass.
struct Pieces<'t> {
    text: &'t str,
    /// Where the next piece starts.
    start: usize,
    /// A variable found after a text piece, to give next.
    pending: Option<Piece<'t>>,
}

fn pieces(text: &str) -> Pieces<'_> {
    Pieces { text, start: 0, pending: None }
}

impl<'t> Iterator for Pieces<'t> {
    type Item = Piece<'t>;

    fn next(&mut self) -> Option<Piece<'t>> {
        if let Some(piece) = self.pending.take() {
            return Some(piece);
        }
        let text = self.text;
        let mut at = self.start;
        while let Some(found) = text[at..].find("{{") {
            let open = at + found;
            match variable_at(&text[open..]) {
                Some((name, len)) => {
                    let variable = Piece::Variable { name, written: &text[open..open + len] };
                    let before = &text[self.start..open];
                    self.start = open + len;
                    if before.is_empty() {
                        return Some(variable);
                    }
                    self.pending = Some(variable);
                    return Some(Piece::Text(before));
                }
                // Not a variable: the first brace is text; a variable may start at the second.
                None => at = open + 1,
            }
        }
        let rest = &text[self.start..];
        self.start = text.len();
        (!rest.is_empty()).then_some(Piece::Text(rest))
    }
}

/// The variables of `text`, each once, in the order they first appear.
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Names::default();
    names.add_from(text);
    names.into_list()
}

/// Variable names gathered in first-seen order, each once (a set, so that a text of many
/// different names costs no more than one of few).
#[derive(Default)]
pub struct Names<'t> {
    seen: HashSet<&'t str>,
    list: Vec<&'t str>,
}

impl<'t> Names<'t> {
    /// Adds the variables of `text` not seen yet.
    pub fn add_from(&mut self, text: &'t str) {
        for piece in pieces(text) {
            if let Piece::Variable { name, .. } = piece
                && self.seen.insert(name)
            {
                self.list.push(name);
            }
        }
    }

    pub fn into_list(self) -> Vec<String> {
        self.list.into_iter().map(str::to_owned).collect()
    }
}

/// Values by name: the first value given for a name counts.
pub(crate) struct Values<'v>(HashMap<&'v str, &'v str>);

impl<'v> Values<'v> {
    pub(crate) fn new(values: &[(&'v str, &'v str)]) -> Values<'v> {
        let mut map = HashMap::with_capacity(values.len());
        for (name, value) in values {
            map.entry(*name).or_insert(*value);
        }
        Values(map)
    }
}

/// `text` with its variables filled from `values`, taking its size out of `budget` (what
/// the compiled prompt may still grow by) before allocating anything. Strict refuses the
/// first variable without a value; the caller checks for unknown values over the whole
/// prompt (see [`unknown_value`]). Lenient leaves a variable without a value as written.
pub(crate) fn fill(
    text: &str,
    values: &Values<'_>,
    mode: Mode,
    budget: &mut usize,
) -> Result<String, CompileError> {
    let mut size = 0usize;
    for piece in pieces(text) {
        size = size.saturating_add(match piece {
            Piece::Text(text) => text.len(),
            Piece::Variable { name, written } => match values.0.get(name) {
                Some(value) => value.len(),
                None if mode == Mode::Lenient => written.len(),
                None => return Err(CompileError::Missing(name.to_owned())),
            },
        });
    }
    take(budget, size)?;
    let mut out = String::with_capacity(size);
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Variable { name, written } => out.push_str(values.0.get(name).copied().unwrap_or(written)),
        }
    }
    Ok(out)
}

/// Takes `size` bytes out of what a compile may still make.
pub(crate) fn take(budget: &mut usize, size: usize) -> Result<(), CompileError> {
    *budget = budget.checked_sub(size).ok_or(CompileError::TooLarge { limit: MAX_COMPILED_BYTES })?;
    Ok(())
}

/// The first value whose name is not among `known`: what a strict compile refuses.
pub fn unknown_value(values: &[(&str, &str)], known: &[String]) -> Option<CompileError> {
    let known: HashSet<&str> = known.iter().map(String::as_str).collect();
    values
        .iter()
        .find(|(name, _)| !known.contains(name))
        .map(|(name, _)| CompileError::Unknown((*name).to_owned()))
}

/// A text prompt compiled: its variables filled from `values`, at most
/// [`MAX_COMPILED_BYTES`] long.
pub fn compile(text: &str, values: &[(&str, &str)], mode: Mode) -> Result<String, CompileError> {
    if mode == Mode::Strict
        && let Some(unknown) = unknown_value(values, &variables(text))
    {
        return Err(unknown);
    }
    let mut budget = MAX_COMPILED_BYTES;
    fill(text, &Values::new(values), mode, &mut budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_finds_names_once_in_order_and_ignores_spaces() {
        let text = "Hi {{name}}, on {{ plan }} ({{\tname\t}}) {{ 1x }} {{a-b}} {{_x}} {{x_1}} {{";
        assert_eq!(variables(text), ["name", "plan", "x_1"]);
        assert_eq!(variables("{{{name}}}"), ["name"], "the inner braces make the variable");
        assert_eq!(variables("{{ }} {{}} {{ü}} }} {{ name"), Vec::<String>::new());
        assert!(is_name("a") && is_name("userName_2") && !is_name("2a") && !is_name("") && !is_name("é"));
    }

    #[test]
    fn strict_compile_fills_every_variable_and_names_what_is_missing_or_unknown() {
        let text = "Hi {{ name }}, plan {{plan}}; bye {{name}}";
        let filled = compile(text, &[("name", "Ada"), ("plan", "pro")], Mode::Strict);
        assert_eq!(filled, Ok("Hi Ada, plan pro; bye Ada".to_owned()));
        assert_eq!(
            compile(text, &[("name", "Ada")], Mode::Strict),
            Err(CompileError::Missing("plan".into()))
        );
        let extra = [("name", "Ada"), ("plan", "pro"), ("tone", "warm")];
        assert_eq!(compile(text, &extra, Mode::Strict), Err(CompileError::Unknown("tone".into())));
        assert_eq!(
            CompileError::Missing("plan".into()).to_string(),
            "no value given for the variable {{plan}}"
        );
    }

    #[test]
    fn lenient_compile_leaves_missing_variables_as_written() {
        let text = "Hi {{ name }}, {{plan}} {{ 1 }}";
        assert_eq!(
            compile(text, &[("plan", "pro"), ("x", "y")], Mode::Lenient),
            Ok("Hi {{ name }}, pro {{ 1 }}".into())
        );
        assert_eq!(compile("no variables", &[], Mode::Strict), Ok("no variables".into()));
        assert_eq!(compile("{{a}}{{b}}", &[("a", "{{b}}"), ("b", "1")], Mode::Strict), Ok("{{b}}1".into()));
    }

    /// Each of these took minutes (or gigabytes) before the scan was linear and the
    /// compile bounded; now each is a few milliseconds, even unoptimised.
    #[test]
    fn hostile_texts_scan_in_one_pass() {
        // A bound far above what one pass takes (tens of milliseconds) and far below what a
        // scan that looks back at every brace takes (minutes): slow is a failure here.
        let started = std::time::Instant::now();
        let mib = 1024 * 1024;
        for text in ["{".repeat(mib), "{{ ".repeat(mib / 3), "{{a".repeat(mib / 3), "{{ a ".repeat(mib / 5)] {
            assert_eq!(variables(&text), Vec::<String>::new());
            assert_eq!(compile(&text, &[], Mode::Lenient).map(|out| out.len()), Ok(text.len()));
        }
        let many: String = (0..100_000).map(|i| format!("{{{{v{i}}}}}")).collect();
        let names = variables(&many);
        assert_eq!((names.len(), names[0].as_str(), names[99_999].as_str()), (100_000, "v0", "v99999"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_compile_that_would_grow_past_the_limit_is_refused_before_it_allocates() {
        let text = "{{x}}".repeat(100_000);
        let value = "y".repeat(1024 * 1024);
        let refused = compile(&text, &[("x", &value)], Mode::Strict);
        assert_eq!(refused, Err(CompileError::TooLarge { limit: MAX_COMPILED_BYTES }));
        assert_eq!(compile(&text, &[("x", &value)], Mode::Lenient), refused);
        assert!(refused.is_err_and(|e| e.to_string().contains("larger than 4194304 bytes")));
        let fits = compile(&"{{x}}".repeat(4), &[("x", &value)], Mode::Strict);
        assert_eq!(fits.map(|out| out.len()), Ok(4 * value.len()));
    }

    #[test]
    fn the_first_value_given_for_a_name_counts() {
        assert_eq!(compile("{{a}}", &[("a", "1"), ("a", "2")], Mode::Lenient), Ok("1".into()));
    }
}
