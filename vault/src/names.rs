//! Input that has rules of its own, parsed once into types that cannot hold a bad value
//! ("parse, don't validate").

use std::fmt;

use crate::VaultError;

pub use types::{MAX_MESSAGE_BYTES, MAX_SOURCE_BYTES};
use types::{MAX_PROMPT_NAME_BYTES, MAX_SHORT_TEXT_CHARS};

/// A prompt's name, as Langfuse allows one (so that Langfuse users' prompts fit): any
/// printable text of at most 128 bytes, trimmed, with `/` between folders; not `|`, nothing
/// like an HTML tag (`<…>`), no control character, no leading, trailing or doubled `/`, and
/// no folder named `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromptName(String);

impl PromptName {
    pub fn parse(raw: &str) -> Result<Self, VaultError> {
        let refused = |why: String| Err(VaultError::invalid("name", why));
        let name = raw.trim();
        if name.is_empty() {
            return refused("a prompt name is required".into());
        }
        if name.len() > MAX_PROMPT_NAME_BYTES {
            return refused(format!("a prompt name has at most {MAX_PROMPT_NAME_BYTES} bytes"));
        }
        if let Some(bad) = name.chars().find(|c| c.is_control() || *c == '|') {
            return refused(format!("{bad:?} is not allowed in a prompt name"));
        }
        if name.find('<').is_some_and(|open| name[open..].contains('>')) {
            return refused("a prompt name cannot hold anything like an HTML tag (<…>)".into());
        }
        if name.split('/').any(str::is_empty) {
            return refused("a prompt name cannot start or end with '/' or contain '//'".into());
        }
        if name.split('/').any(|folder| folder == "." || folder == "..") {
            return refused("'.' and '..' cannot be a folder of a prompt name".into());
        }
        Ok(PromptName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest label name, in characters (Langfuse's limit).
pub const MAX_LABEL_CHARS: usize = 36;

/// A label's name: lowercase letters, digits, `-`, `_` and `.`, 1 to 36 characters (as
/// Langfuse's). `live` and `staging` name the built-in labels; `production` is what the
/// Langfuse API calls live and `latest` always names the newest version, so neither can
/// name a label of a workspace's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct LabelName(String);

impl LabelName {
    pub const LIVE: &str = "live";
    pub const STAGING: &str = "staging";

    pub fn parse(raw: &str) -> Result<Self, VaultError> {
        let field = "label";
        if raw.is_empty() || raw.chars().count() > MAX_LABEL_CHARS {
            return Err(VaultError::invalid(field, format!("a label has 1 to {MAX_LABEL_CHARS} characters")));
        }
        if let Some(bad) =
            raw.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(*c)))
        {
            return Err(VaultError::invalid(
                field,
                format!("{bad:?} is not allowed in a label: use lowercase letters, digits, '-', '_' and '.'"),
            ));
        }
        Ok(LabelName(raw.to_owned()))
    }

    /// A name for a new label of the workspace's own: not one of the reserved ones.
    pub fn parse_new(raw: &str) -> Result<Self, VaultError> {
        let name = LabelName::parse(raw)?;
        let why = match name.as_str() {
            LabelName::LIVE | LabelName::STAGING => "is built in",
            "production" => "is what the Langfuse API calls live",
            "latest" => "always names the newest version",
            _ => return Ok(name),
        };
        Err(VaultError::invalid("name", format!("{name} {why}; choose another name for a label")))
    }

    pub fn live() -> LabelName {
        LabelName(LabelName::LIVE.to_owned())
    }

    pub fn staging() -> LabelName {
        LabelName(LabelName::STAGING.to_owned())
    }

    pub fn is_built_in(&self) -> bool {
        matches!(self.as_str(), LabelName::LIVE | LabelName::STAGING)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LabelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The most tags one prompt carries.
pub const MAX_TAGS: usize = 50;

/// A prompt's tags: short one-line texts (trimmed, 1 to 64 characters, no control
/// characters), each once, in the order first given, at most 50.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse(raw: &[String]) -> Result<Self, VaultError> {
        let mut tags: Vec<String> = Vec::new();
        for tag in raw {
            let tag = tag.trim();
            if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
                return Err(VaultError::invalid(
                    "tags",
                    format!("a tag is one line of 1 to {MAX_TAG_CHARS} characters, not {tag:?}"),
                ));
            }
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(VaultError::invalid("tags", format!("a prompt carries at most {MAX_TAGS} tags")));
        }
        Ok(Tags(tags))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A version's number, written `3` or `v3` by callers; its label is `v3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct VersionNumber(i64);

impl VersionNumber {
    pub fn parse(raw: &str) -> Result<Self, VaultError> {
        let digits = raw.strip_prefix('v').unwrap_or(raw);
        match digits.parse::<i64>() {
            Ok(n) if n >= 1 && !digits.starts_with('+') => Ok(VersionNumber(n)),
            _ => Err(VaultError::invalid(
                "version",
                format!("{raw:?} is not a version: use a number such as 3 or a label such as v3"),
            )),
        }
    }

    pub fn new(n: i64) -> Result<Self, VaultError> {
        Self::parse(&n.to_string())
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// `v3`.
    pub fn label(self) -> String {
        format!("v{}", self.0)
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A member's email, trimmed and lowercased so sign-in is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, VaultError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if valid {
            Ok(Email(email))
        } else {
            Err(VaultError::invalid("email", format!("{raw:?} is not an email address")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short, required, single-line text such as a member's or a workspace's name.
/// Refuses a NUL character: PostgreSQL cannot store one in text, and no prompt needs one,
/// so both backends refuse it alike.
pub(crate) fn no_nul(field: &'static str, text: &str) -> Result<(), VaultError> {
    if text.contains('\0') {
        return Err(VaultError::invalid(
            field,
            format!("{field} contains a NUL character (\\0), which cannot be stored"),
        ));
    }
    Ok(())
}

pub(crate) fn short_text(field: &'static str, raw: &str) -> Result<String, VaultError> {
    no_nul(field, raw)?;
    let text = raw.trim();
    if text.is_empty() {
        return Err(VaultError::invalid(field, format!("{field} is required")));
    }
    if text.chars().count() > MAX_SHORT_TEXT_CHARS || text.contains(['\n', '\r']) {
        return Err(VaultError::invalid(
            field,
            format!("{field} is one line of at most {MAX_SHORT_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub(crate) fn new_password(raw: &str) -> Result<&str, VaultError> {
    let chars = raw.chars().count();
    if !(8..=1024).contains(&chars) {
        return Err(VaultError::invalid("password", "a password has between 8 and 1024 characters"));
    }
    Ok(raw)
}

/// A version's source: the full prompt text, not blank, at most [`MAX_SOURCE_BYTES`].
pub(crate) fn source(raw: &str) -> Result<&str, VaultError> {
    if raw.len() > MAX_SOURCE_BYTES {
        return Err(VaultError::TooLarge { field: "source", limit: MAX_SOURCE_BYTES });
    }
    if raw.trim().is_empty() {
        return Err(VaultError::invalid("source", "the prompt source cannot be empty"));
    }
    no_nul("source", raw)?;
    Ok(raw)
}

/// A change message: may be empty, at most [`MAX_MESSAGE_BYTES`].
pub(crate) fn message(raw: &str) -> Result<&str, VaultError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(VaultError::TooLarge { field: "message", limit: MAX_MESSAGE_BYTES });
    }
    no_nul("message", raw)?;
    Ok(raw.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_names_follow_the_rules() {
        for good in [
            "support/triage-v2",
            "a",
            "Movie Critic (v2) [beta]",
            "réponse/été",
            "a.b/c..d",
            "!@#$%^&*()+",
            "1 < 2",
            &"a".repeat(128),
        ] {
            assert_eq!(PromptName::parse(good).map(|n| n.to_string()).ok().as_deref(), Some(good));
        }
        assert_eq!(PromptName::parse("  padded  ").map(|n| n.to_string()).ok().as_deref(), Some("padded"));
        let long_unicode = "é".repeat(65);
        for bad in [
            "",
            "  ",
            "a|b",
            "<b>bold</b>",
            "/a",
            "a/",
            "a//b",
            "a/./b",
            "../a",
            "a\nb",
            "a\tb",
            &long_unicode,
        ] {
            assert!(
                matches!(PromptName::parse(bad), Err(VaultError::Invalid { field: "name", .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn versions_are_numbers_or_labels() {
        assert_eq!(VersionNumber::parse("3").ok().map(VersionNumber::get), Some(3));
        assert_eq!(VersionNumber::parse("v12").ok().map(VersionNumber::label).as_deref(), Some("v12"));
        for bad in ["", "v", "0", "v0", "-1", "+3", "3.0", "V3", "three", "99999999999999999999"] {
            assert!(VersionNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse(" Ada@Example.COM ").ok().map(|e| e.0), Some("ada@example.com".into()));
        assert!(Email::parse("ada").is_err());
        assert!(Email::parse("@x").is_err());
        assert!(Email::parse("a b@x").is_err());
    }

    #[test]
    fn sources_are_capped_and_not_blank() {
        assert!(source("hello").is_ok());
        assert!(matches!(source(" \n"), Err(VaultError::Invalid { .. })));
        let big = "x".repeat(MAX_SOURCE_BYTES + 1);
        assert!(matches!(source(&big), Err(VaultError::TooLarge { field: "source", .. })));
        assert!(source(&big[1..]).is_ok());
    }
}
