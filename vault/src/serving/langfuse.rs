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

use crate::Vault;
use crate::langfuse::prompt_json;
use crate::names::VersionNumber;
use crate::serving::entry::PromptEntry;
use crate::serving::model::{Pinned, ReadModel, ReadRefused};
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
    fn read_langfuse(
        &self,
        token: &str,
        name: &str,
        wanted: Wanted,
        resolved: bool,
        unit: Option<&str>,
    ) -> Outcome {
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
        let own = || prompt.view_for(&model.reading(key), name, unit).0.map(|served| served.version.clone());
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
            Some(version) => match body(key.workspace_id, name, prompt, (&version, resolved)) {
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

/// The version as the Langfuse API answers it, with the labels (pointers) at it as they are
/// now, most recently moved first (`production` for live), `latest` last.
fn body(
    workspace_id: i64,
    name: &str,
    prompt: &PromptEntry,
    (version, resolved): (&Version, bool),
) -> serde_json::Result<Bytes> {
    let n = version.number.get();
    let at = |served: Option<&Arc<Served>>| served.is_some_and(|s| s.version.number.get() == n);
    let mut labels = Vec::new();
    for label in &prompt.order {
        let served = match &**label {
            "live" => prompt.live.as_ref(),
            "staging" => prompt.staging.as_ref(),
            own => prompt.own.get(own),
        };
        if at(served) {
            labels.push(if &**label == "live" { "production".to_owned() } else { label.to_string() });
        }
    }
    if prompt.latest.as_ref().is_some_and(|latest| latest.number.get() == n) {
        labels.push("latest".to_owned());
    }
    let json = prompt_json(workspace_id, prompt.id, name, (version, resolved), labels, prompt.tags.clone());
    serde_json::to_vec(&json).map(Bytes::from)
}

impl Vault {
    /// A read as the Langfuse SDKs make it: `label`, `version` and `resolve` are the
    /// query's (`resolve=false`: the text as written, its references unresolved). Served
    /// from memory; the first read of a pinned version loads it once.
    pub async fn read_langfuse(
        &self,
        token: &str,
        name: &str,
        wanted: (Option<&str>, Option<&str>),
        resolved: bool,
    ) -> Result<Bytes, LangfuseRefused> {
        self.read_langfuse_for(token, name, wanted, resolved, None).await
    }

    /// [`Vault::read_langfuse`] for `unit`: the key's own label (no label, `production`, or
    /// its name) under a rollout serves the side the unit is assigned.
    pub async fn read_langfuse_for(
        &self,
        token: &str,
        name: &str,
        (label, version): (Option<&str>, Option<&str>),
        resolved: bool,
        unit: Option<&str>,
    ) -> Result<Bytes, LangfuseRefused> {
        let wanted = wanted(label, version)?;
        match self.serving.read_langfuse(token, name, wanted.clone(), resolved, unit) {
            Outcome::Body(body) => Ok(body),
            Outcome::Refused(refused) => Err(refused),
            Outcome::Pinned { prompt_id, label, number } => {
                let loaded = self.serving.load_pinned(&self.db, prompt_id, name, number, label).await;
                match loaded {
                    Ok(Some(_)) => match self.serving.read_langfuse(token, name, wanted, resolved, unit) {
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
