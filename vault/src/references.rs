//! References between prompts (PRODUCT.md "Composition"): a text, or a chat message's
//! content, includes a text prompt of the same workspace with Langfuse's tag,
//! `@@@langfusePrompt:name=NAME|label=LABEL@@@` or `@@@langfusePrompt:name=NAME|version=N@@@`,
//! so that prompts move between the two systems unchanged. This module reads the tags and
//! checks their form, which a draft must have when it is saved, and replaces them with what
//! they include (`resolve`), given what each resolves to: pinned when a version is published.

use std::ops::Range;

use crate::names::{LabelName, PromptName, VersionNumber};
use crate::{Result, VaultError};

/// What opens a reference.
pub const OPEN: &str = "@@@langfusePrompt:";
/// What closes one.
const CLOSE: &str = "@@@";
/// The most references one text holds: each is resolved when the version is published.
pub const MAX_REFERENCES: usize = 100;
/// How much of a malformed reference an error quotes.
const QUOTED_CHARS: usize = 120;

/// Which version of the included prompt a reference names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The version a label points at (`production` is live; `latest` the newest published).
    Label(LabelName),
    Latest,
    Version(VersionNumber),
}

/// One reference in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: PromptName,
    pub target: Target,
    /// Where the whole tag stands in the text, in bytes.
    pub span: Range<usize>,
}

impl Reference {
    /// The tag as Langfuse writes it (live named `production`).
    pub fn tag(&self) -> String {
        let target = match &self.target {
            Target::Label(label) if label.as_str() == LabelName::LIVE => "label=production".to_owned(),
            Target::Label(label) => format!("label={label}"),
            Target::Latest => "label=latest".to_owned(),
            Target::Version(number) => format!("version={}", number.get()),
        };
        format!("{OPEN}name={}|{target}{CLOSE}", self.name)
    }
}

/// The references in `text`, in order. Refuses (422, quoting the tag) a reference that is
/// not of the form Langfuse writes, one to `own` (the prompt the text belongs to: Langfuse
/// refuses a reference to another version of the same prompt), and more than
/// [`MAX_REFERENCES`]. Reads `text` once.
pub fn references(text: &str, own: &str) -> Result<Vec<Reference>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(OPEN) {
        let start = from + at;
        let inner = start + OPEN.len();
        let Some(length) = text[inner..].find(CLOSE) else {
            return Err(malformed(&text[start..], "it is not closed with @@@"));
        };
        let end = inner + length + CLOSE.len();
        let reference = reference(&text[inner..inner + length], start..end)
            .map_err(|why| malformed(&text[start..end], &why))?;
        if reference.name.as_str() == own {
            return Err(malformed(
                &text[start..end],
                "a prompt cannot include itself (another version of it included is a copy to make by hand)",
            ));
        }
        if found.len() == MAX_REFERENCES {
            return Err(VaultError::invalid(
                "source",
                format!("a text includes at most {MAX_REFERENCES} prompts"),
            ));
        }
        found.push(reference);
        from = end;
    }
    Ok(found)
}

/// The reference whose inside (between `@@@langfusePrompt:` and `@@@`) is `inside`.
fn reference(inside: &str, span: Range<usize>) -> std::result::Result<Reference, String> {
    let mut parts = inside.split('|');
    let (Some(name), Some(target), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("write name=NAME|label=LABEL or name=NAME|version=N".into());
    };
    let name = name.strip_prefix("name=").ok_or("the name comes first, as name=NAME")?;
    let name = PromptName::parse(name).map_err(|e| e.to_string())?;
    let target = if let Some(label) = target.strip_prefix("label=") {
        match label {
            "production" => Target::Label(LabelName::live()),
            "latest" => Target::Latest,
            other => Target::Label(LabelName::parse(other).map_err(|e| e.to_string())?),
        }
    } else if let Some(number) = target.strip_prefix("version=") {
        let number = number.parse::<i64>().ok().and_then(|n| VersionNumber::new(n).ok());
        Target::Version(number.ok_or("version is a positive whole number")?)
    } else {
        return Err("after the name comes label=LABEL or version=N".into());
    };
    Ok(Reference { name, target, span })
}

/// The most levels of includes: a prompt that includes one that includes one … five deep.
pub const MAX_DEPTH: usize = 5;

/// What a reference includes: the included version's text, its own references already
/// resolved, and how many levels of includes that text holds (0 for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Included {
    pub text: String,
    pub depth: usize,
}

/// A text with its references replaced, and the levels of includes it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub text: String,
    pub depth: usize,
}

/// `text` with each of its references (already read, in order) replaced by what `include`
/// gives for it. Refuses (422, naming the reference) includes deeper than [`MAX_DEPTH`]
/// levels, and a result over `limit` bytes, whose size is known before it is built.
pub fn resolve(
    text: &str,
    references: &[Reference],
    limit: usize,
    mut include: impl FnMut(&Reference) -> Result<Included>,
) -> Result<Resolved> {
    let mut included = Vec::with_capacity(references.len());
    // The text around the references, then each included text as it comes: refused as soon
    // as it passes the limit, before more is fetched.
    let mut size = text.len() - references.iter().map(|r| r.span.len()).sum::<usize>();
    let mut depth = 0;
    for reference in references {
        let content = include(reference)?;
        if content.depth + 1 > MAX_DEPTH {
            return Err(VaultError::invalid(
                "source",
                format!(
                    "{} includes prompts {MAX_DEPTH} levels deep already: including it here makes one more than allowed",
                    reference.tag()
                ),
            ));
        }
        depth = depth.max(content.depth + 1);
        size += content.text.len();
        if size > limit {
            return Err(too_large(reference, size, limit));
        }
        included.push(content.text);
    }
    let mut resolved = String::with_capacity(size);
    let mut from = 0;
    for (reference, content) in references.iter().zip(&included) {
        resolved.push_str(&text[from..reference.span.start]);
        resolved.push_str(content);
        from = reference.span.end;
    }
    resolved.push_str(&text[from..]);
    Ok(Resolved { text: resolved, depth })
}

/// The refusal of a text that, with what `reference` includes, holds `size` bytes, over
/// `limit`.
pub fn too_large(reference: &Reference, size: usize, limit: usize) -> VaultError {
    VaultError::invalid(
        "source",
        format!(
            "with what {} includes, the text would hold at least {size} bytes, over the {limit} allowed",
            reference.tag()
        ),
    )
}

fn malformed(tag: &str, why: &str) -> VaultError {
    let quoted: String = tag.chars().take(QUOTED_CHARS).collect();
    let cut = if quoted.len() < tag.len() { "…" } else { "" };
    VaultError::invalid("source", format!("the reference {quoted}{cut} is refused: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn included(text: &str, depth: usize) -> Included {
        Included { text: text.to_owned(), depth }
    }

    #[test]
    fn resolving_replaces_each_reference_and_counts_the_levels() {
        let text =
            "A @@@langfusePrompt:name=tone|label=production@@@ B @@@langfusePrompt:name=rules|version=2@@@ C";
        let found = references(text, "me").expect("references");
        let resolved = resolve(text, &found, 1_000, |r| {
            Ok(if r.name.as_str() == "tone" { included("kind", 0) } else { included("safe", 2) })
        })
        .expect("resolved");
        assert_eq!(resolved, Resolved { text: "A kind B safe C".into(), depth: 3 });
        let plain = resolve("no references", &[], 1_000, |_| unreachable!()).expect("plain");
        assert_eq!(plain, Resolved { text: "no references".into(), depth: 0 });
    }

    #[test]
    fn too_deep_or_too_large_is_refused_naming_the_reference() {
        let text = "@@@langfusePrompt:name=deep|label=production@@@";
        let found = references(text, "me").expect("references");
        let deep = resolve(text, &found, 1_000, |_| Ok(included("x", MAX_DEPTH))).expect_err("too deep");
        assert!(deep.to_string().contains("name=deep"), "{deep}");
        assert!(resolve(text, &found, 1_000, |_| Ok(included("x", MAX_DEPTH - 1))).is_ok(), "five levels");
        let large = resolve(text, &found, 10, |_| Ok(included(&"x".repeat(11), 0))).expect_err("too large");
        assert!(large.to_string().contains("11 bytes"), "{large}");
        let refused = resolve(text, &found, 10, |_| Err(VaultError::NotFound("no deep".into())));
        assert!(matches!(refused, Err(VaultError::NotFound(_))), "the lookup's refusal stands");
    }

    fn names(text: &str) -> Vec<String> {
        references(text, "me").expect("references").iter().map(Reference::tag).collect()
    }

    #[test]
    fn references_are_read_in_order_with_their_targets() {
        let text = "Be kind. @@@langfusePrompt:name=tone|label=production@@@ then \
                    @@@langfusePrompt:name=rules/safety|version=3@@@ and @@@langfusePrompt:name=x|label=latest@@@";
        assert_eq!(
            names(text),
            [
                "@@@langfusePrompt:name=tone|label=production@@@",
                "@@@langfusePrompt:name=rules/safety|version=3@@@",
                "@@@langfusePrompt:name=x|label=latest@@@",
            ]
        );
        let first = &references(text, "me").expect("references")[0];
        assert_eq!(&text[first.span.clone()], "@@@langfusePrompt:name=tone|label=production@@@");
        assert_eq!(first.target, Target::Label(LabelName::live()));
        assert!(names("no tags here, only @@@ and @@@").is_empty());
    }

    #[test]
    fn a_malformed_reference_is_refused_quoting_it() {
        for (text, why) in [
            ("@@@langfusePrompt:name=tone|label=production", "not closed"),
            ("@@@langfusePrompt:label=production|name=tone@@@", "name comes first"),
            ("@@@langfusePrompt:name=tone@@@", "name=NAME|label"),
            ("@@@langfusePrompt:name=tone|label=a|version=2@@@", "name=NAME|label"),
            ("@@@langfusePrompt:name=tone|version=0@@@", "positive"),
            ("@@@langfusePrompt:name=tone|version=v2@@@", "positive"),
            ("@@@langfusePrompt:name=tone|label=Not A Label@@@", "label"),
            ("@@@langfusePrompt:name=tone|stage=x@@@", "label=LABEL or version=N"),
            ("@@@langfusePrompt:name=me|label=production@@@", "cannot include itself"),
        ] {
            let error = references(text, "me").expect_err(text).to_string();
            assert!(error.contains(why) && error.contains("@@@langfusePrompt:"), "{text}: {error}");
        }
        let tag = "@@@langfusePrompt:name=a|version=1@@@";
        assert_eq!(references(&tag.repeat(MAX_REFERENCES), "me").map(|r| r.len()).ok(), Some(MAX_REFERENCES));
        assert!(references(&tag.repeat(MAX_REFERENCES + 1), "me").is_err());
    }
}
