//! Moving from Langfuse (PRODUCT.md "Prompts as code"): a Langfuse prompt export — a list of
//! versions, each with its prompt's name — becomes prompts with their whole history. Version
//! numbers are kept (an application pinned to `version=3` reads the same text here), every
//! version is published, `production` becomes live and `staging` staging. Importing the same
//! export again changes nothing: a version already here with the same content is skipped,
//! one with other content refuses the import, in one transaction with the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Any, Transaction};

use crate::access::ChangeRule;
use crate::access::{Actor, Permission};
use crate::activity::{self, ActivityKind};
use crate::content::{self, Body, Config, PromptType};
use crate::names::{self, PromptName, VersionNumber};
use crate::prompts::PromptRow;
use crate::prompts::moves::stage_in;
use crate::prompts::steps::{find_version, insert_version, lock_or_create_prompt, workspace_staging_enabled};
use crate::push::MAX_ITEMS_PER_WRITE;
use crate::push::naming;
use crate::quotas::{Quota, Room};
use crate::requests::GoingLive;
use crate::settings;
use crate::{Conflict, Result, Status, Vault, VaultError};

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

/// What an import did with one prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedPrompt {
    pub name: String,
    pub created: bool,
    /// Versions written now.
    pub added: Vec<VersionNumber>,
    /// Versions that were here already with the same content.
    pub unchanged: Vec<VersionNumber>,
    /// Live moved to this version (its `production` label).
    pub promoted: Option<VersionNumber>,
    /// Under review: the request to make the `production` version live.
    pub requested: Option<i64>,
    /// Whether this import opened `requested` (a second import finds it open).
    pub request_opened: bool,
    /// Staging moved to this version (its `staging` label).
    pub staged: Option<VersionNumber>,
    /// What the export holds that PromptVault does not keep: other labels, tags.
    pub left_out: Vec<String>,
}

impl ImportedPrompt {
    pub fn changed(&self) -> bool {
        self.created
            || !self.added.is_empty()
            || self.promoted.is_some()
            || self.request_opened
            || self.staged.is_some()
    }
}

/// One prompt's versions from the export, checked, oldest first.
struct ExportedPrompt {
    name: PromptName,
    kind: PromptType,
    versions: Vec<ExportedVersion>,
}

struct ExportedVersion {
    number: VersionNumber,
    body: Body,
    config: Config,
    message: String,
    labels: Vec<String>,
    tags: Vec<String>,
}

/// The labels Langfuse sets by itself or that become pointers here.
const PRODUCTION: &str = "production";
const STAGING: &str = "staging";
const LATEST: &str = "latest";

impl Vault {
    /// Imports a Langfuse export (or part of one): all of it, in one transaction, or none.
    pub async fn import_from_langfuse(
        &self,
        actor: &Actor,
        export: Vec<LangfuseVersion>,
    ) -> Result<Vec<ImportedPrompt>> {
        actor.require(Permission::EditPrompts)?;
        if export.len() > MAX_ITEMS_PER_WRITE {
            return Err(VaultError::invalid(
                "versions",
                format!(
                    "one import request carries at most {MAX_ITEMS_PER_WRITE} versions ({} here): send the export in parts, whole prompts in each",
                    export.len()
                ),
            ));
        }
        let prompts = check_export(export)?;
        let mut tx = self.db.write.begin().await?;
        let mut prompt_room = self.room(&mut tx, Quota::PromptsPerWorkspace, actor.workspace_id).await?;
        let mut version_room = self.room(&mut tx, Quota::VersionsPerWorkspace, actor.workspace_id).await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        let staging_enabled = workspace_staging_enabled(&mut tx, actor.workspace_id).await?;
        let history = history_status(&mut tx, actor).await?;
        let mut report = Vec::with_capacity(prompts.len());
        for prompt in prompts {
            report.push(
                self.import_prompt(&mut tx, actor, prompt, staging_enabled, history, &mut bytes).await?,
            );
        }
        prompt_room.take(report.iter().filter(|prompt| prompt.created).count())?;
        version_room.take(report.iter().map(|prompt| prompt.added.len()).sum())?;
        self.finish_changes(tx, report.iter().any(ImportedPrompt::changed)).await?;
        Ok(report)
    }

    async fn import_prompt(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        exported: ExportedPrompt,
        staging_enabled: bool,
        history: Status,
        bytes: &mut Room,
    ) -> Result<ImportedPrompt> {
        let (prompt, created) = lock_or_create_prompt(tx, actor, &exported.name, exported.kind).await?;
        if prompt.kind != exported.kind {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!(
                    "{} is a {} prompt here; the export has it as {}",
                    prompt.name, prompt.kind, exported.kind
                ),
            ));
        }
        let mut imported = ImportedPrompt {
            name: prompt.name.clone(),
            created,
            added: Vec::new(),
            unchanged: Vec::new(),
            promoted: None,
            requested: None,
            request_opened: false,
            staged: None,
            left_out: Vec::new(),
        };
        let mut last: i64 = sqlx::query_scalar("select last_number from prompts where id = $1")
            .bind(prompt.id)
            .fetch_one(&mut **tx)
            .await?;
        for version in &exported.versions {
            if import_version(tx, actor, &prompt, version, last, history, bytes).await? {
                imported.added.push(version.number);
                last = version.number.get();
            } else {
                imported.unchanged.push(version.number);
            }
            imported.left_out.extend(left_out(version, staging_enabled));
        }
        if !imported.added.is_empty() {
            sqlx::query("update prompts set last_number = $1 where id = $2")
                .bind(last)
                .bind(prompt.id)
                .execute(&mut **tx)
                .await?;
        }
        let labelled = |label: &str| exported.versions.iter().find(|v| v.labels.iter().any(|l| l == label));
        if let Some(production) = labelled(PRODUCTION) {
            let note = format!("imported from Langfuse, where {} is production", production.number);
            match self.promote_or_request_in(tx, actor, &prompt, production.number, &note).await? {
                GoingLive::AlreadyLive => {}
                GoingLive::Promoted => imported.promoted = Some(production.number),
                GoingLive::Requested { request, opened } => {
                    imported.requested = Some(request);
                    imported.request_opened = opened;
                }
            }
        }
        if let Some(staging) = labelled(STAGING).filter(|_| staging_enabled)
            && prompt.staging != Some(staging.number)
        {
            stage_in(tx, actor, &prompt, Some(staging.number)).await?;
            imported.staged = Some(staging.number);
        }
        Ok(imported)
    }
}

/// What the imported history becomes. Published versions are served (Langfuse's `latest`
/// label reads the newest), so publishing them takes the right to change live: under
/// `admins` only admins and owners import; under `review` nobody publishes without an
/// approval, so the history comes in as drafts and `production` as a request.
async fn history_status(tx: &mut Transaction<'_, Any>, actor: &Actor) -> Result<Status> {
    match settings::live_changes(tx, actor.workspace_id).await? {
        ChangeRule::Review => Ok(Status::Draft),
        rule => {
            actor.live_right(rule).map_err(|_| {
                VaultError::Forbidden(
                    "an import publishes versions, and in this workspace only admins and owners do".into(),
                )
            })?;
            Ok(Status::Published)
        }
    }
}

/// Writes one exported version under its own number, as `status`; `false` when it is here
/// already with the same content. Refused when its number holds other content here, or when
/// it would go before versions saved here, up to `last` (history is only added to at its end).
async fn import_version(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    version: &ExportedVersion,
    last: i64,
    status: Status,
    bytes: &mut Room,
) -> Result<bool> {
    match find_version(tx, prompt, version.number).await {
        Ok(here) if here.body == version.body && here.config == version.config => return Ok(false),
        Ok(_) => {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!(
                    "{} {} here holds other content than the export's; nothing was imported",
                    prompt.name, version.number
                ),
            ));
        }
        Err(VaultError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    if version.number.get() <= last {
        return Err(VaultError::conflict(
            Conflict::AlreadyExists,
            format!(
                "{} has versions up to v{last} here, so the export's {} cannot be added before them; nothing was imported",
                prompt.name, version.number
            ),
        ));
    }
    let (body, config, message) = (&version.body, &version.config, version.message.as_str());
    bytes.take(content::stored_bytes(body, config))?;
    insert_version(tx, actor, prompt, version.number, status, body, config, message).await?;
    let details =
        json!({ "version": version.number.label(), "message": message, "imported_from": "langfuse" });
    activity::record(tx, actor, ActivityKind::VersionSaved, Some(&prompt.name), details).await?;
    Ok(true)
}

/// What of the version the import leaves out, in words.
fn left_out(version: &ExportedVersion, staging_enabled: bool) -> Vec<String> {
    let mut words = Vec::new();
    for label in &version.labels {
        match label.as_str() {
            PRODUCTION | LATEST => {}
            STAGING if staging_enabled => {}
            STAGING => words.push(format!("label staging on {} (staging is disabled here)", version.number)),
            other => words.push(format!("label {other:?} on {}", version.number)),
        }
    }
    if !version.tags.is_empty() {
        words.push(format!("tags {} on {}", version.tags.join(", "), version.number));
    }
    words
}

/// Checks an export by the rules an import applies to it before it reads the database (the
/// command line checks a file with this before it sends any of it).
pub fn check_langfuse_export(export: &[LangfuseVersion]) -> Result<()> {
    check_export(export.to_vec()).map(|_| ())
}

/// The export checked, grouped by prompt (in name order) and each prompt's versions put in
/// order; every refusal names the prompt and version.
fn check_export(export: Vec<LangfuseVersion>) -> Result<Vec<ExportedPrompt>> {
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
