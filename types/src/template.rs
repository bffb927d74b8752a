//! `{{variables}}`: the one grammar, and the one compile, that the vault, the Rust SDK and
//! the dashboard's preview share, so that all three fill a prompt alike.
//!
//! A variable is `{{name}}`: a name is an ASCII letter followed by ASCII letters, digits or
//! `_`, and spaces or tabs inside the braces are ignored (`{{ name }}`). Anything else
//! between double braces (`{{ 1 }}`, `{{a-b}}`, an unclosed `{{`) is text, kept as written.

use std::fmt;

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
/// many bytes it spans.
fn variable_at(rest: &str) -> Option<(&str, usize)> {
    let inner = rest.strip_prefix("{{")?;
    let end = inner.find("}}")?;
    let name = inner[..end].trim_matches([' ', '\t']);
    is_name(name).then_some((name, end + 4))
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let (mut start, mut at) = (0, 0);
    while let Some(found) = text[at..].find("{{") {
        let open = at + found;
        match variable_at(&text[open..]) {
            Some((name, len)) => {
                if start < open {
                    pieces.push(Piece::Text(&text[start..open]));
                }
                pieces.push(Piece::Variable { name, written: &text[open..open + len] });
                start = open + len;
                at = start;
            }
            // Not a variable: the first brace is text; a variable may start at the second.
            None => at = open + 1,
        }
    }
    if start < text.len() {
        pieces.push(Piece::Text(&text[start..]));
    }
    pieces
}

/// The variables of `text`, each once, in the order they first appear.
pub fn variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for piece in pieces(text) {
        if let Piece::Variable { name, .. } = piece
            && !names.iter().any(|known| known == name)
        {
            names.push(name.to_owned());
        }
    }
    names
}

/// `text` with its variables filled from `values`. Strict refuses the first variable
/// without a value; the caller checks for unknown values over the whole prompt (see
/// [`unknown_value`]). Lenient leaves a variable without a value as written.
pub fn fill(text: &str, values: &[(&str, &str)], mode: Mode) -> Result<String, CompileError> {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Variable { name, written } => match values.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => out.push_str(value),
                None if mode == Mode::Lenient => out.push_str(written),
                None => return Err(CompileError::Missing(name.to_owned())),
            },
        }
    }
    Ok(out)
}

/// The first value whose name is not among `known`: what a strict compile refuses.
pub fn unknown_value(values: &[(&str, &str)], known: &[String]) -> Option<CompileError> {
    values
        .iter()
        .find(|(name, _)| !known.iter().any(|k| k == name))
        .map(|(name, _)| CompileError::Unknown((*name).to_owned()))
}

/// A text prompt compiled: its variables filled from `values`.
pub fn compile(text: &str, values: &[(&str, &str)], mode: Mode) -> Result<String, CompileError> {
    if mode == Mode::Strict
        && let Some(unknown) = unknown_value(values, &variables(text))
    {
        return Err(unknown);
    }
    fill(text, values, mode)
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
}
