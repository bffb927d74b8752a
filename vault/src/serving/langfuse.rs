//! Langfuse-compatible reads: `GET /api/public/v2/prompts/{name}` as the Langfuse SDKs call
//! it, answered from the same in-memory model as `/v1/prompts` (no database query per read,
//! and the same immediacy after a promote, rollback or staging change).
//!
//! Which version: no label and no version, or `production`, read the key's label exactly
//! as `/v1/prompts` does (live keys live; test keys staging, falling back to live; a key
//! of the workspace's own label that label, with its fallback); the key's own label by name
//! is the same; another label is nothing for this key; `latest` is the newest published
//! version; `version=N` a published version.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::Vault;
use crate::names::VersionNumber;
use crate::serving::model::{Pinned, PromptEntry, ReadModel, ReadRefused};
use crate::serving::rendering::Served;
use crate::version::Version;

/// Why a Langfuse read got nothing, as the SDKs expect to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LangfuseRefused {
    /// 401: missing, unknown or revoked key.
    Unauthorized,
    /// 404: the SDK evicts its cache and uses its fallback.
    NotFound(String),
    /// 400: a request Langfuse would refuse (both a label and a version, a bad version).
    BadRequest(String),
    /// 500: a fault of ours (logged), never answered as a missing prompt.
    Internal,
    /// 503: a version not in memory, and the database cannot be read.
    Unavailable,
    /// 429: the key read more than its configured rate; try again after this.
    Limited(std::time::Duration),
}

/// What the request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// What the key reads (no label, or `production`).
    Own,
    Label(String),
    Latest,
    Version(VersionNumber),
}

fn wanted(label: Option<&str>, version: Option<&str>) -> Result<Wanted, LangfuseRefused> {
    match (label, version) {
        (Some(_), Some(_)) => {
            Err(LangfuseRefused::BadRequest("set either a label or a version, not both".into()))
        }
        (None | Some("production"), None) => Ok(Wanted::Own),
        (Some("latest"), None) => Ok(Wanted::Latest),
        (Some(other), None) => Ok(Wanted::Label(other.to_owned())),
        (None, Some(raw)) => {
            raw.parse::<i64>().ok().and_then(|n| VersionNumber::new(n).ok()).map(Wanted::Version).ok_or_else(
                || LangfuseRefused::BadRequest(format!("version must be a positive integer, not {raw:?}")),
            )
        }
    }
}

/// The outcome of a read against the model.
enum Outcome {
    Body(Bytes),
    Refused(LangfuseRefused),
    /// A published version not read before: loaded once, then read again.
    Pinned {
        prompt_id: i64,
        label: Arc<str>,
        number: VersionNumber,
    },
}

impl ReadModel {
    fn read_langfuse(&self, token: &str, name: &str, wanted: Wanted) -> Outcome {
        let model = self.lock_read();
        let key = match self.reader(&model, token) {
            Ok(key) => key,
            Err(ReadRefused::Limited(wait)) => return Outcome::Refused(LangfuseRefused::Limited(wait)),
            Err(_) => return Outcome::Refused(LangfuseRefused::Unauthorized),
        };
        let not_found = || Outcome::Refused(LangfuseRefused::NotFound(format!("no prompt {name} to serve")));
        let Some(prompt) = model.prompts.get(&key.workspace_id).and_then(|prompts| prompts.get(name)) else {
            return not_found();
        };
        let own = || prompt.view(&model.reading(key)).0.map(|served| served.version.clone());
        let version = match wanted {
            Wanted::Own => own(),
            Wanted::Label(label) if *label == *key.label => own(),
            Wanted::Label(label) => {
                return Outcome::Refused(LangfuseRefused::NotFound(format!(
                    "this key reads {} (production, its own label), latest and versions by number, not {label:?}; \
                     use a key of that label",
                    key.label
                )));
            }
            Wanted::Latest => prompt.latest.clone(),
            Wanted::Version(number) => match model.pinned(prompt, number, &key.label) {
                Pinned::Served(served) => Some(served.version.clone()),
                Pinned::NotPublished => return Outcome::Refused(not_published(number)),
                Pinned::Unknown => {
                    return Outcome::Pinned { prompt_id: prompt.id, label: key.label.clone(), number };
                }
            },
        };
        match version {
            Some(version) => match body(name, prompt, &version) {
                Ok(body) => Outcome::Body(body),
                Err(error) => {
                    tracing::error!(%error, "serialising a Langfuse prompt failed");
                    Outcome::Refused(LangfuseRefused::Internal)
                }
            },
            None => not_found(),
        }
    }
}

/// Langfuse's text prompt: the fields its SDKs require, and the labels (pointers) at this
/// version as they are now.
fn body(name: &str, prompt: &PromptEntry, version: &Version) -> serde_json::Result<Bytes> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TextPrompt<'a> {
        id: String,
        name: &'a str,
        version: i64,
        #[serde(rename = "type")]
        kind: &'static str,
        prompt: serde_json::Value,
        config: &'a crate::content::Config,
        labels: Vec<&'a str>,
        tags: [&'static str; 0],
        commit_message: &'a str,
        created_at: String,
        updated_at: String,
        created_by: &'a str,
    }
    let n = version.number.get();
    let at = |served: &Option<Arc<Served>>| served.as_ref().is_some_and(|s| s.version.number.get() == n);
    let mut labels = Vec::new();
    if at(&prompt.live) {
        labels.push("production");
    }
    if at(&prompt.staging) {
        labels.push("staging");
    }
    let mut own: Vec<&str> = prompt
        .own
        .iter()
        .filter(|(_, served)| served.version.number.get() == n)
        .map(|(label, _)| &**label)
        .collect();
    own.sort_unstable();
    labels.extend(own);
    if prompt.latest.as_ref().is_some_and(|latest| latest.number.get() == n) {
        labels.push("latest");
    }
    let created = version.created_at.to_rfc3339();
    let body = TextPrompt {
        id: format!("pv-{}-v{n}", prompt.id),
        name,
        version: n,
        kind: version.body.kind().as_str(),
        prompt: langfuse_prompt(&version.body),
        config: &version.config,
        labels,
        tags: [],
        commit_message: &version.message,
        updated_at: created.clone(),
        created_at: created,
        created_by: &version.author,
    };
    serde_json::to_vec(&body).map(Bytes::from)
}

/// Langfuse's `prompt`: the text, or the chat messages as Langfuse writes them (a message
/// with `"type":"chatmessage"`, a placeholder with `"type":"placeholder"`).
fn langfuse_prompt(body: &crate::content::Body) -> serde_json::Value {
    use crate::content::{Body, ChatMessage};
    match body {
        Body::Text(text) => serde_json::Value::String(text.clone()),
        Body::Chat(messages) => messages
            .iter()
            .map(|message| match message {
                ChatMessage::Message { role, content } => {
                    serde_json::json!({"type": "chatmessage", "role": role.as_str(), "content": content})
                }
                ChatMessage::Placeholder { name } => serde_json::json!({"type": "placeholder", "name": name}),
            })
            .collect(),
    }
}

impl Vault {
    /// A read as the Langfuse SDKs make it: `label` and `version` are the query's. Served
    /// from memory; the first read of a pinned version loads it once.
    pub async fn read_langfuse(
        &self,
        token: &str,
        name: &str,
        label: Option<&str>,
        version: Option<&str>,
    ) -> Result<Bytes, LangfuseRefused> {
        let wanted = wanted(label, version)?;
        match self.serving.read_langfuse(token, name, wanted.clone()) {
            Outcome::Body(body) => Ok(body),
            Outcome::Refused(refused) => Err(refused),
            Outcome::Pinned { prompt_id, label, number } => {
                let loaded = self.serving.load_pinned(&self.db, prompt_id, name, number, label).await;
                match loaded {
                    Ok(Some(_)) => match self.serving.read_langfuse(token, name, wanted) {
                        Outcome::Body(body) => Ok(body),
                        Outcome::Refused(refused) => Err(refused),
                        Outcome::Pinned { .. } => Err(not_published(number)),
                    },
                    Ok(None) => Err(not_published(number)),
                    Err(error) => {
                        tracing::error!(%error, "loading a pinned version failed");
                        Err(LangfuseRefused::Unavailable)
                    }
                }
            }
        }
    }
}

fn not_published(number: VersionNumber) -> LangfuseRefused {
    LangfuseRefused::NotFound(format!("no published version {number}; drafts are not served by number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_versions_are_read_as_langfuse_reads_them() {
        assert_eq!(wanted(None, None), Ok(Wanted::Own));
        assert_eq!(wanted(Some("production"), None), Ok(Wanted::Own));
        assert_eq!(wanted(Some("staging"), None), Ok(Wanted::Label("staging".into())));
        assert_eq!(wanted(Some("latest"), None), Ok(Wanted::Latest));
        assert!(matches!(wanted(None, Some("3")), Ok(Wanted::Version(n)) if n.get() == 3));
        assert_eq!(wanted(Some("canary"), None), Ok(Wanted::Label("canary".into())));
        assert!(matches!(wanted(Some("latest"), Some("3")), Err(LangfuseRefused::BadRequest(_))));
        for bad in ["v3", "0", "-1", "x"] {
            assert!(matches!(wanted(None, Some(bad)), Err(LangfuseRefused::BadRequest(_))), "{bad}");
        }
    }
}
