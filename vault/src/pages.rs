//! Pages of long lists: which page to list (its size, its cursor, its search words), and a
//! page with the cursor of the next. Cursors are keyset positions, never offsets, so the
//! 2,000th page costs what the first does.
//!
//! A leaf: it imports nothing else of the vault but the error.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::Result;
use crate::error::VaultError;

/// Where a page starts: an opaque token naming the last version already seen (its number
/// in one prompt's history, its id across the workspace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(i64);

impl Cursor {
    pub fn parse(raw: &str) -> Result<Cursor> {
        let malformed = || VaultError::Malformed("cursor is not one this server handed out".into());
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let number =
            text.strip_prefix("before:").and_then(|n| n.parse::<i64>().ok()).ok_or_else(malformed)?;
        if number < 1 {
            return Err(malformed());
        }
        Ok(Cursor(number))
    }

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("before:{}", self.0))
    }

    pub(crate) fn new(id: i64) -> Cursor {
        Cursor(id)
    }

    pub(crate) fn get(self) -> i64 {
        self.0
    }
}

/// Which page to list: its size, where it starts, and the words to search for, if any.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<i64>,
    pub cursor: Option<Cursor>,
    /// A person's query, parsed leniently: whatever is typed gives results or none.
    pub search: Option<String>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;

    pub(crate) fn limit(&self) -> Result<i64> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => {
                Err(VaultError::invalid("limit", format!("limit is between 1 and {}", Self::MAX_LIMIT)))
            }
        }
    }

    /// The search words, unless there are none.
    pub(crate) fn search(&self) -> Option<&str> {
        self.search.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
