//! A Langfuse prompt export: its versions as Langfuse's API writes them, checked and grouped
//! by prompt before an import reads the database (the command line checks a file with this
//! before it sends any of it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::{self, Body, Config, PromptType};
use crate::names::{self, PromptName, VersionNumber};
use crate::push::naming;
use crate::{Result, VaultError};

/// One version in a Langfuse export, as Langfuse's API returns it. Fields this import does
/// not use (`id`, `createdAt`, `projectId`, …) are accepted and left aside.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LangfuseVersion {
    pub name: String,
    pub version: i64,
    /// `text` or `chat`; text when absent.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The text, or the chat messages.
    pub prompt: Value,
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(rename = "commitMessage", default)]
    pub commit_message: Option<String>,
}

/// One prompt's versions from the export, checked, oldest first.
pub(crate) struct ExportedPrompt {
    pub(crate) name: PromptName,
    pub(crate) kind: PromptType,
    pub(crate) versions: Vec<ExportedVersion>,
}

pub(crate) struct ExportedVersion {
    pub(crate) number: VersionNumber,
    pub(crate) body: Body,
    pub(crate) config: Config,
    pub(crate) message: String,
    pub(crate) labels: Vec<String>,
    pub(crate) tags: Vec<String>,
}

/// The labels Langfuse sets by itself or that become pointers here.
pub(crate) const PRODUCTION: &str = "production";
pub(crate) const STAGING: &str = "staging";
pub(crate) const LATEST: &str = "latest";

/// The warning an export of the newest versions only earns: the history before them (and
/// production, where it was older) is missing here until an export of all versions.
pub(crate) fn missing_history(exported: &ExportedPrompt) -> Vec<String> {
    let Some(first) = exported.versions.first() else { return Vec::new() };
    let gaps = exported.versions.windows(2).any(|pair| pair[1].number.get() != pair[0].number.get() + 1);
    if first.number.get() == 1 && !gaps {
        return Vec::new();
    }
    let production = exported.versions.iter().any(|v| v.labels.iter().any(|l| l == PRODUCTION));
    let mut warning = format!(
        "the history before {} is missing (an export of the newest versions only?): import an export of all \
         versions to fill it in",
        exported.versions.last().map_or(first.number, |v| v.number)
    );
    if !production {
        warning.push_str("; production, on an older version in Langfuse, is not set here");
    }
    vec![warning]
}

/// Checks an export by the rules an import applies to it before it reads the database (the
/// command line checks a file with this before it sends any of it).
pub fn check_langfuse_export(export: &[LangfuseVersion]) -> Result<()> {
    check_export(export.to_vec()).map(|_| ())
}

/// The export checked, grouped by prompt (in name order) and each prompt's versions put in
/// order; every refusal names the prompt and version.
pub(crate) fn check_export(export: Vec<LangfuseVersion>) -> Result<Vec<ExportedPrompt>> {
    let mut prompts: BTreeMap<String, ExportedPrompt> = BTreeMap::new();
    for entry in export {
        let name = PromptName::parse(&entry.name).map_err(|e| match e {
            VaultError::Invalid { field, message } => {
                VaultError::Invalid { field, message: format!("{:?}: {message}", entry.name) }
            }
            other => other,
        })?;
        let kind = content::prompt_type(entry.kind.as_deref()).map_err(|e| naming(&name, e))?;
        let version = check_version(&name, kind, entry)?;
        let prompt = prompts.entry(name.to_string()).or_insert_with(|| ExportedPrompt {
            name,
            kind,
            versions: Vec::new(),
        });
        if prompt.kind != kind {
            return Err(VaultError::invalid(
                "type",
                format!("{}: the export has versions of it both as text and as chat", prompt.name),
            ));
        }
        if prompt.versions.iter().any(|v| v.number == version.number) {
            return Err(VaultError::invalid(
                "version",
                format!("{}: the export has {} twice", prompt.name, version.number),
            ));
        }
        prompt.versions.push(version);
    }
    let mut prompts: Vec<ExportedPrompt> = prompts.into_values().collect();
    for prompt in &mut prompts {
        prompt.versions.sort_by_key(|v| v.number);
        let production = prompt.versions.iter().filter(|v| v.labels.iter().any(|l| l == PRODUCTION)).count();
        if production > 1 {
            return Err(VaultError::invalid(
                "labels",
                format!(
                    "{}: the export labels {production} versions production; Langfuse labels one",
                    prompt.name
                ),
            ));
        }
    }
    Ok(prompts)
}

fn check_version(name: &PromptName, kind: PromptType, entry: LangfuseVersion) -> Result<ExportedVersion> {
    let number = VersionNumber::new(entry.version).map_err(|e| naming(name, e))?;
    let at = |e: VaultError| match e {
        VaultError::Invalid { field, message } => {
            VaultError::Invalid { field, message: format!("{name} {number}: {message}") }
        }
        other => other,
    };
    let given = crate::langfuse::draft_body(kind, entry.prompt).map_err(at)?;
    let body = content::body(kind, name.as_str(), given).map_err(at)?;
    let config = content::config(Some(entry.config)).map_err(at)?;
    let message = match entry.commit_message.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => names::message(text).map_err(at)?.to_owned(),
        _ => format!("Imported from Langfuse ({number})"),
    };
    Ok(ExportedVersion { number, body, config, message, labels: entry.labels, tags: entry.tags })
}
