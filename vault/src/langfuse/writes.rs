//! The Langfuse API's writes, each one vault operation under PromptVault's rules: a create
//! (always a new version, published at once: Langfuse's versions are immutable), moving
//! labels onto a version (`newLabels`), deleting (drafts only: published versions are kept
//! for ever), and a member's read of a version. Every label moves through the one move of
//! labels and its rule; a write a rule forbids changes nothing and says which rule.

use serde_json::Value;
use sqlx::{Any, Transaction};
use types::LangfusePromptJson;

use crate::access::{Actor, ChangeRight, Permission};
use crate::content::{self, PromptType};
use crate::error::{Conflict, VaultError};
use crate::labels::{Pointer, find_label, find_or_make_label};
use crate::langfuse::wire::{draft_body, prompt_json};
use crate::names::{LabelName, PromptName, Tags, VersionNumber};
use crate::prompts::model::{NewDraft, PromptRow};
use crate::prompts::moves::{move_label_in, publish};
use crate::prompts::operations::delete_draft_in;
use crate::prompts::steps::{
    find_prompt, find_version, label_order, lock_or_create_prompt, lock_prompt, own_labels_of, save_draft_in,
    set_tags_in, tags_of, workspace_staging_enabled,
};
use crate::quotas::{Quota, Room};
use crate::settings;
use crate::version::{Status, number_from_db};
use crate::{Result, Vault};

/// The longest commit message Langfuse takes, in characters.
const MAX_COMMIT_MESSAGE_CHARS: usize = 500;

/// A create as the Langfuse SDKs send it.
#[derive(Debug, Clone)]
pub struct LangfuseCreate {
    pub name: String,
    /// `text` when absent (the Python SDK sends none for a text).
    pub kind: Option<PromptType>,
    pub prompt: Value,
    pub config: Option<Value>,
    pub labels: Vec<String>,
    /// `None` keeps the prompt's tags; a list (`[]` too) replaces them.
    pub tags: Option<Vec<String>>,
    pub commit_message: Option<String>,
}

/// What a delete names: every version, one by number, or the one holding a label.
#[derive(Debug, Clone)]
pub enum LangfuseDelete {
    All,
    Version(VersionNumber),
    Label(String),
}

/// Langfuse's label names as PromptVault's, each once in the order given: `production` is
/// live; `latest` names the newest version and cannot be set.
fn labels_to_set(raw: &[String]) -> Result<Vec<LabelName>> {
    let mut labels: Vec<LabelName> = Vec::new();
    for label in raw {
        let name = match label.as_str() {
            "latest" => {
                return Err(VaultError::invalid(
                    "labels",
                    "latest always names the newest version and cannot be set",
                ));
            }
            "production" => LabelName::live(),
            other => LabelName::parse(other)?,
        };
        if !labels.contains(&name) {
            labels.push(name);
        }
    }
    Ok(labels)
}

/// A label's Langfuse name: live is `production`.
fn langfuse_name(label: &str) -> String {
    if label == LabelName::LIVE { "production".to_owned() } else { label.to_owned() }
}

/// Refuses a create the workspace's rule for live does not allow: a create publishes, and
/// a published version is served (as `latest`) at once.
async fn publishing_right(tx: &mut Transaction<'_, Any>, actor: &Actor) -> Result<()> {
    let rule = settings::live_changes(tx, actor.workspace_id).await?;
    let forbidden = |_| {
        VaultError::Forbidden(
            "a Langfuse create publishes a version, and in this workspace only admins and owners publish"
                .into(),
        )
    };
    match actor.live_right(rule).map_err(forbidden)? {
        ChangeRight::Directly => Ok(()),
        ChangeRight::ByRequest => Err(VaultError::conflict(
            Conflict::ReviewRequired,
            "this workspace reviews every change to live, and a Langfuse create publishes at once: \
             save a draft in PromptVault and request its promotion instead",
        )),
    }
}

impl Vault {
    /// Creates the next version of prompt `create.name` (the prompt too, if new), published at
    /// once, with its labels moved onto it under their rules and its tags set when given.
    pub async fn langfuse_create(&self, actor: &Actor, create: LangfuseCreate) -> Result<LangfusePromptJson> {
        actor.require(Permission::EditPrompts)?;
        let name = PromptName::parse(&create.name)?;
        let labels = labels_to_set(&create.labels)?;
        let tags = create.tags.as_deref().map(Tags::parse).transpose()?;
        let message = create.commit_message.unwrap_or_default();
        if message.chars().count() > MAX_COMMIT_MESSAGE_CHARS {
            let said = format!("a commit message has at most {MAX_COMMIT_MESSAGE_CHARS} characters");
            return Err(VaultError::invalid("commitMessage", said));
        }
        let kind = create.kind.unwrap_or_default();
        let mut tx = self.db.write.begin().await?;
        // Every room first, as every quota-checked write takes them (see the quotas).
        let mut prompts = self.room(&mut tx, Quota::PromptsPerWorkspace, actor.workspace_id).await?;
        let mut versions = self.room(&mut tx, Quota::VersionsPerWorkspace, actor.workspace_id).await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        let mut label_room = self.room(&mut tx, Quota::LabelsPerWorkspace, actor.workspace_id).await?;
        publishing_right(&mut tx, actor).await?;
        let (prompt, created) = lock_or_create_prompt(&mut tx, actor, &name, kind).await?;
        if created {
            prompts.take(1)?;
        }
        if prompt.kind != kind {
            let said = format!("{name} is a {} prompt, and a prompt's type never changes", prompt.kind);
            return Err(VaultError::invalid("type", said));
        }
        versions.take(1)?;
        let body = draft_body(kind, create.prompt)?;
        let config = create.config.filter(|config| !config.is_null());
        let version = save_draft_in(&mut tx, actor, &prompt, NewDraft { body, config, message }).await?;
        bytes.take(content::stored_bytes(&version.body, &version.config))?;
        publish(&mut tx, &prompt, version.number).await?;
        if let Some(tags) = &tags {
            set_tags_in(&mut tx, actor, &prompt, tags).await?;
        }
        move_labels_in(&mut tx, actor, &name, &labels, version.number, &mut label_room).await?;
        let json = langfuse_version_in(&mut tx, actor, &name, version.number, false).await?;
        self.finish_changes(tx, true).await?;
        Ok(json)
    }

    /// Moves `new_labels` onto version `number` of prompt `name` (each off the version that
    /// held it), under their rules: Langfuse's `PATCH …/versions/{n}`.
    pub async fn langfuse_label(
        &self,
        actor: &Actor,
        name: &str,
        number: VersionNumber,
        new_labels: &[String],
    ) -> Result<LangfusePromptJson> {
        actor.require(Permission::ChangeLive)?;
        let labels = labels_to_set(new_labels)?;
        let name = PromptName::parse(name)?;
        let mut tx = self.db.write.begin().await?;
        let mut label_room = self.room(&mut tx, Quota::LabelsPerWorkspace, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name.as_str()).await?;
        find_version(&mut tx, &prompt, number).await?;
        move_labels_in(&mut tx, actor, &name, &labels, number, &mut label_room).await?;
        let json = langfuse_version_in(&mut tx, actor, &name, number, false).await?;
        self.finish_changes(tx, !labels.is_empty()).await?;
        Ok(json)
    }

    /// Deletes what `what` names of prompt `name`, if it is only drafts: PromptVault keeps
    /// published versions for ever, so a delete that would remove one is refused (409) and
    /// deletes nothing.
    pub async fn langfuse_delete(&self, actor: &Actor, name: &str, what: LangfuseDelete) -> Result<()> {
        actor.require(Permission::EditPrompts)?;
        let name = PromptName::parse(name)?;
        let mut tx = self.db.write.begin().await?;
        self.hold_usage(&mut tx, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name.as_str()).await?;
        let numbers = match &what {
            LangfuseDelete::All => {
                let all: Vec<i64> =
                    sqlx::query_scalar("select number from versions where prompt_id = $1 order by number")
                        .bind(prompt.id)
                        .fetch_all(&mut *tx)
                        .await?;
                all.into_iter().map(number_from_db).collect::<Result<Vec<_>>>()?
            }
            LangfuseDelete::Version(number) => vec![*number],
            LangfuseDelete::Label(label) => {
                let label = labels_to_set(std::slice::from_ref(label))?.remove(0);
                let at = labelled_version(&mut tx, actor, &prompt, &label).await?;
                vec![at.ok_or_else(|| {
                    VaultError::NotFound(format!(
                        "no version of {name} has the label {}",
                        langfuse_name(label.as_str())
                    ))
                })?]
            }
        };
        if numbers.is_empty() {
            return Err(VaultError::NotFound(format!("{name} has no versions")));
        }
        let mut drafts = Vec::with_capacity(numbers.len());
        for number in numbers {
            let version = find_version(&mut tx, &prompt, number).await?;
            if version.status == Status::Published {
                return Err(VaultError::conflict(
                    Conflict::Frozen,
                    format!(
                        "{name} {number} is published, and PromptVault keeps published versions for ever: \
                         only drafts are deleted (move its labels elsewhere instead)"
                    ),
                ));
            }
            drafts.push(version);
        }
        for version in &drafts {
            let prompt = find_prompt(&mut tx, actor, name.as_str()).await?;
            delete_draft_in(&mut tx, actor, &prompt, version).await?;
        }
        self.finish_changes(tx, true).await
    }

    /// Version `number`, or the version holding `label` (`production` by default), of prompt
    /// `name` as a member reads it through the Langfuse API: published versions only, as
    /// Langfuse has no drafts. Its text with the prompts it includes in place when
    /// `resolved`, or as written.
    pub async fn langfuse_version(
        &self,
        actor: &Actor,
        name: &str,
        (label, number): (Option<&str>, Option<VersionNumber>),
        resolved: bool,
    ) -> Result<LangfusePromptJson> {
        actor.require(Permission::Read)?;
        let name = PromptName::parse(name)?;
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name.as_str()).await?;
        let wanted = label.unwrap_or("production");
        let number = match number {
            Some(number) => Some(number),
            None if wanted == "latest" => newest_published(&mut tx, &prompt).await?,
            None => {
                let label = labels_to_set(&[wanted.to_owned()])?.remove(0);
                labelled_version(&mut tx, actor, &prompt, &label).await?
            }
        }
        .ok_or_else(|| not_found(&name, wanted))?;
        let version = find_version(&mut tx, &prompt, number).await.map_err(|_| not_found(&name, wanted))?;
        if version.status != Status::Published {
            return Err(VaultError::NotFound(format!(
                "{name} {number} is a draft; drafts are not served by number"
            )));
        }
        langfuse_version_in(&mut tx, actor, &name, number, resolved).await
    }
}

fn not_found(name: &PromptName, label: &str) -> VaultError {
    VaultError::NotFound(format!("Prompt not found: '{name}' with label '{label}'"))
}

/// Moves each of `labels` onto version `number` of prompt `name` under its rule, making the
/// workspace's own labels first named here (protected, moved by editors, no fallback). They
/// move in reverse, so that the first named is the most recent move: Langfuse lists a
/// version's labels in the order a write gave them, before those it had.
async fn move_labels_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &PromptName,
    labels: &[LabelName],
    number: VersionNumber,
    room: &mut Room,
) -> Result<()> {
    for label in labels.iter().rev() {
        let found = find_or_make_label(tx, actor, label, room).await?;
        actor.require_direct_change(label.as_str(), found.label.rule)?;
        if found.pointer == Pointer::Staging && !workspace_staging_enabled(tx, actor.workspace_id).await? {
            return Err(VaultError::conflict(
                Conflict::StagingDisabled,
                "staging is disabled for this workspace; enable it in Settings first",
            ));
        }
        // The prompt as the previous move left it (live may have moved).
        let prompt = find_prompt(tx, actor, name.as_str()).await?;
        move_label_in(tx, actor, &prompt, &found, Some(number), None).await?;
    }
    Ok(())
}

/// The version label `label` points at on the prompt, if any (staging while enabled).
async fn labelled_version(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    label: &LabelName,
) -> Result<Option<VersionNumber>> {
    match find_label(tx, actor.workspace_id, label).await {
        Ok(found) => match found.pointer {
            Pointer::Live => Ok(prompt.live),
            Pointer::Staging => {
                let enabled = workspace_staging_enabled(tx, actor.workspace_id).await?;
                Ok(prompt.staging.filter(|_| enabled))
            }
            Pointer::Own(_) => Ok(own_labels_of(tx, prompt.id).await?.get(label).copied()),
        },
        Err(VaultError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

async fn newest_published(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
) -> Result<Option<VersionNumber>> {
    let newest: Option<i64> =
        sqlx::query_scalar("select max(number) from versions where prompt_id = $1 and status = 'live'")
            .bind(prompt.id)
            .fetch_one(&mut **tx)
            .await?;
    newest.map(number_from_db).transpose()
}

/// Version `number` of prompt `name` as the Langfuse API answers it: its labels as they are
/// now (most recently moved first, `production` for live, `latest` last) and the prompt's
/// tags; its text resolved or as written (what a write answers: the text it was sent).
pub(crate) async fn langfuse_version_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &PromptName,
    number: VersionNumber,
    resolved: bool,
) -> Result<LangfusePromptJson> {
    let prompt = find_prompt(tx, actor, name.as_str()).await?;
    let version = find_version(tx, &prompt, number).await?;
    let staging_enabled = workspace_staging_enabled(tx, actor.workspace_id).await?;
    let own = own_labels_of(tx, prompt.id).await?;
    let at = |label: &str| match label {
        LabelName::LIVE => prompt.live == Some(number),
        LabelName::STAGING => staging_enabled && prompt.staging == Some(number),
        other => LabelName::parse(other).ok().and_then(|l| own.get(&l).copied()) == Some(number),
    };
    let mut labels: Vec<String> = label_order(&mut **tx, prompt.id)
        .await?
        .into_iter()
        .filter(|l| at(l))
        .map(|l| langfuse_name(&l))
        .collect();
    if newest_published(tx, &prompt).await? == Some(number) {
        labels.push("latest".to_owned());
    }
    let tags = tags_of(&mut **tx, Some(prompt.id), actor.workspace_id)
        .await?
        .remove(name.as_str())
        .unwrap_or_default();
    Ok(prompt_json(actor.workspace_id, prompt.id, name.as_str(), (&version, resolved), labels, tags))
}
