//! A version as every part of the vault reads it: one type, one column list, one row
//! mapper, and the version JSON of the API, webhooks and SDK reads.
//!
//! A leaf: it imports only the values a version is made of (names, content, timestamps)
//! and the error.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::content::{self, Body, Config, PromptType};
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::names::VersionNumber;

pub use types::{Status, VersionJson};

pub(crate) fn status_from_db(raw: &str) -> Result<Status> {
    Status::parse(raw).ok_or_else(|| VaultError::Internal(format!("unknown version status {raw:?}").into()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: VersionNumber,
    pub status: Status,
    /// Its text or chat messages (the prompt's type), as written: references included.
    pub body: Body,
    /// Its content with the prompts it includes in place, when it includes any: pinned when
    /// it was published, resolved when read for a draft (see `composition`).
    pub resolved: Option<Body>,
    /// Levels of includes its resolved content holds (0: none).
    pub depth: usize,
    /// The `{{variables}}` of what it serves (its resolved content), each once, in order,
    /// as saved with it (never scanned again on the way to a reader).
    pub variables: Vec<String>,
    pub config: Config,
    pub message: String,
    /// The member who saved it.
    pub author: String,
    pub author_email: String,
    pub created_at: Timestamp,
    /// Bumped by every rewrite of a draft; what a conditional rewrite must name.
    pub revision: i64,
}

impl Version {
    /// The version JSON of the API and webhooks; with its source (or messages) as written,
    /// references included, or without.
    pub fn to_json(&self, with_source: bool) -> VersionJson {
        self.json_with(with_source.then_some(&self.body))
    }

    /// The version JSON of a read: what it serves, the included prompts in place.
    pub fn to_served_json(&self) -> VersionJson {
        self.json_with(Some(self.served_body()))
    }

    fn json_with(&self, body: Option<&Body>) -> VersionJson {
        let named = Named {
            number: self.number,
            status: self.status,
            kind: self.body.kind(),
            variables: self.variables.clone(),
            message: &self.message,
            author: &self.author,
            created_at: self.created_at,
        };
        let json = VersionJson { config: Some(self.config.clone()), ..named.into_json() };
        match body {
            None => json,
            Some(Body::Text(text)) => VersionJson { source: Some(text.clone()), ..json },
            Some(Body::Chat(messages)) => VersionJson { messages: Some(messages.clone()), ..json },
        }
    }

    pub fn kind(&self) -> PromptType {
        self.body.kind()
    }

    /// What a read serves: the resolved content, or the body when it includes nothing.
    pub fn served_body(&self) -> &Body {
        self.resolved.as_ref().unwrap_or(&self.body)
    }

    /// A text prompt's text; empty for a chat prompt (see `body`).
    pub fn text(&self) -> &str {
        match &self.body {
            Body::Text(text) => text,
            Body::Chat(_) => "",
        }
    }
}

/// What the version JSON of a version only named (a list, a search hit) carries.
pub(crate) struct Named<'a> {
    pub number: VersionNumber,
    pub status: Status,
    pub kind: PromptType,
    pub variables: Vec<String>,
    pub message: &'a str,
    pub author: &'a str,
    pub created_at: Timestamp,
}

impl Named<'_> {
    pub(crate) fn into_json(self) -> VersionJson {
        VersionJson {
            version: self.number.label(),
            number: self.number.get(),
            status: self.status,
            kind: self.kind,
            source: None,
            messages: None,
            config: None,
            variables: self.variables,
            message: self.message.to_owned(),
            author: self.author.to_owned(),
            created_at: self.created_at.to_rfc3339(),
        }
    }
}

impl From<Version> for VersionJson {
    fn from(version: Version) -> Self {
        version.to_json(true)
    }
}

pub(crate) const VERSION_COLUMNS: &str = "v.number, v.status, v.source, v.resolved, v.depth, v.variables, v.config, \
     v.message, v.created_at, v.revision, m.name as author, m.email as author_email, \
     (select kind from prompts where id = v.prompt_id) as kind";

pub(crate) fn version_from_row(row: &AnyRow) -> Result<Version> {
    let kind: String = row.try_get("kind")?;
    let resolved: Option<String> = row.try_get("resolved")?;
    Ok(Version {
        number: number_from_db(row.try_get("number")?)?,
        status: status_from_db(&row.try_get::<String, _>("status")?)?,
        body: content::body_from_db(&kind, row.try_get("source")?)?,
        resolved: resolved.map(|resolved| content::body_from_db(&kind, resolved)).transpose()?,
        depth: usize::try_from(row.try_get::<i64, _>("depth")?).unwrap_or(0),
        variables: content::variables_from_db(row.try_get::<Option<String>, _>("variables")?.as_deref()),
        config: content::config_from_db(&row.try_get::<String, _>("config")?)?,
        message: row.try_get("message")?,
        author: row.try_get("author")?,
        author_email: row.try_get("author_email")?,
        created_at: Timestamp(row.try_get("created_at")?),
        revision: row.try_get("revision")?,
    })
}

pub(crate) fn number_from_db(n: i64) -> Result<VersionNumber> {
    VersionNumber::new(n)
        .map_err(|_| VaultError::Internal(format!("bad version number {n} in the database").into()))
}
