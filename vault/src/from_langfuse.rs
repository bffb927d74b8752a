//! Moving from Langfuse (PRODUCT.md "Prompts as code"): a Langfuse prompt export — a list of
//! versions, each with its prompt's name — becomes prompts with their whole history. Version
//! numbers are kept (an application pinned to `version=3` reads the same text here), every
//! version is published, `production` becomes live, `staging` staging and every other label
//! the workspace's label of that name (made by its first use), each under its rule; the
//! newest version's tags become the prompt's. Importing the same export again changes
//! nothing: a version already here with the same content is skipped, one with other content
//! refuses the import, in one transaction with the rest. Langfuse's Export button writes all
//! versions or only the newest of each prompt: an export of the newest imports with a warning
//! that the history before it is missing, and a later export of all versions fills it in.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::{Any, Transaction};

use crate::access::{Actor, ChangeRule, Permission};
use crate::activity::{self, ActivityKind};
use crate::composition;
use crate::content;
use crate::labels::find_or_make_label;
use crate::langfuse::export::{
    ExportedPrompt, ExportedVersion, LATEST, LangfuseVersion, PRODUCTION, STAGING, check_export,
    missing_history,
};
use crate::names::{LabelName, PromptName, Tags, VersionNumber};
use crate::prompts::PromptRow;
use crate::prompts::moves::{publish, stage_in};
use crate::prompts::steps::{
    find_prompt, find_version, insert_version, lock_or_create_prompt, set_tags_in, workspace_staging_enabled,
};
use crate::push::MAX_ITEMS_PER_WRITE;
use crate::push::naming;
use crate::quotas::{Quota, Room};
use crate::requests::Moving;
use crate::settings;
use crate::{Conflict, Result, Status, Vault, VaultError};

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
    /// The workspace's own labels moved now, each to its version.
    pub labelled: BTreeMap<String, VersionNumber>,
    /// Under review: the requests to move the workspace's own labels, by label.
    pub label_requests: BTreeMap<String, i64>,
    /// The tags the prompt has from now on, when the import changed them.
    pub tagged: Option<Vec<String>>,
    /// What the export holds that is not imported (staging while it is disabled), and what
    /// it lacks (the history before an export of the newest versions only).
    pub left_out: Vec<String>,
}

impl ImportedPrompt {
    pub fn changed(&self) -> bool {
        self.created
            || !self.added.is_empty()
            || self.promoted.is_some()
            || self.request_opened
            || self.staged.is_some()
            || !self.labelled.is_empty()
            || !self.label_requests.is_empty()
            || self.tagged.is_some()
    }
}

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
        let mut label_room = self.room(&mut tx, Quota::LabelsPerWorkspace, actor.workspace_id).await?;
        let staging_enabled = workspace_staging_enabled(&mut tx, actor.workspace_id).await?;
        let history = history_status(&mut tx, actor).await?;
        let mut report = Vec::with_capacity(prompts.len());
        // A prompt included by another comes first: its versions and labels are there when
        // the other's published versions are pinned.
        let includes = |p: &ExportedPrompt| {
            p.versions.iter().flat_map(|v| composition::included_names(&v.body, p.name.as_str())).collect()
        };
        for prompt in composition::included_first(prompts, |p| p.name.as_str(), includes) {
            let rooms = Rooms { bytes: &mut bytes, labels: &mut label_room };
            report.push(self.import_prompt(&mut tx, actor, prompt, staging_enabled, history, rooms).await?);
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
        rooms: Rooms<'_>,
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
            labelled: BTreeMap::new(),
            label_requests: BTreeMap::new(),
            tagged: None,
            left_out: missing_history(&exported),
        };
        let mut room = History::of(tx, &prompt).await?;
        for version in &exported.versions {
            if import_version(tx, actor, &prompt, version, &room, history, rooms.bytes).await? {
                imported.added.push(version.number);
                room.last = room.last.max(version.number.get());
            } else {
                imported.unchanged.push(version.number);
            }
            imported.left_out.extend(left_out(version, staging_enabled));
        }
        if !imported.added.is_empty() {
            sqlx::query("update prompts set last_number = $1 where id = $2")
                .bind(room.last)
                .bind(prompt.id)
                .execute(&mut **tx)
                .await?;
        }
        let newest_tags = exported.versions.last().map(|v| v.tags.clone()).unwrap_or_default();
        let tags = Tags::parse(&newest_tags).map_err(|e| naming(&exported.name, e))?;
        if set_tags_in(tx, actor, &prompt, &tags).await? {
            imported.tagged = Some(tags.as_slice().to_vec());
        }
        let labelled = |label: &str| exported.versions.iter().find(|v| v.labels.iter().any(|l| l == label));
        if let Some(production) = labelled(PRODUCTION) {
            let note = format!("imported from Langfuse, where {} is production", production.number);
            match self.promote_or_request_in(tx, actor, &prompt, production.number, &note).await? {
                Moving::AlreadyThere => {}
                Moving::Moved => imported.promoted = Some(production.number),
                Moving::Requested { request, opened } => {
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
        for version in &exported.versions {
            for label in
                version.labels.iter().filter(|l| ![PRODUCTION, STAGING, LATEST].contains(&l.as_str()))
            {
                self.import_label(
                    tx,
                    actor,
                    &exported.name,
                    label,
                    version.number,
                    &mut imported,
                    rooms.labels,
                )
                .await?;
            }
        }
        Ok(imported)
    }

    /// Moves the workspace's label `label` (made by this first use if it has none) to
    /// `number`, under its rule: directly, or under review by a request (unless one is
    /// open already); refused (and nothing imported) when the rule forbids the member.
    #[allow(clippy::too_many_arguments)]
    async fn import_label(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        name: &PromptName,
        label: &str,
        number: VersionNumber,
        imported: &mut ImportedPrompt,
        room: &mut Room,
    ) -> Result<()> {
        let label = LabelName::parse(label).map_err(|e| naming(name, e))?;
        let found = find_or_make_label(tx, actor, &label, room).await?;
        let prompt = find_prompt(tx, actor, name.as_str()).await?;
        let note = format!("imported from Langfuse, where {label} is on {number}");
        match self.move_or_request_in(tx, actor, &prompt, &found, number, &note).await? {
            Moving::AlreadyThere | Moving::Requested { opened: false, .. } => {}
            Moving::Moved => {
                imported.labelled.insert(label.to_string(), number);
            }
            Moving::Requested { request, opened: true } => {
                imported.label_requests.insert(label.to_string(), request);
            }
        }
        Ok(())
    }
}

/// The rooms an import takes from as it goes: bytes of versions, and labels made.
struct Rooms<'a> {
    bytes: &'a mut Room,
    labels: &'a mut Room,
}

/// Where a prompt's history stands here: its last number, the lowest version it has, and
/// the numbers of drafts deleted here (never handed out again).
struct History {
    last: i64,
    lowest: Option<i64>,
    deleted: Vec<String>,
}

impl History {
    async fn of(tx: &mut Transaction<'_, Any>, prompt: &PromptRow) -> Result<History> {
        let last: i64 = sqlx::query_scalar("select last_number from prompts where id = $1")
            .bind(prompt.id)
            .fetch_one(&mut **tx)
            .await?;
        let lowest: Option<i64> = sqlx::query_scalar("select min(number) from versions where prompt_id = $1")
            .bind(prompt.id)
            .fetch_one(&mut **tx)
            .await?;
        let deleted: Vec<String> = sqlx::query_scalar(
            "select details from activity where workspace_id = (select workspace_id from prompts where id = $1) \
             and prompt = $2 and kind = 'draft.deleted'",
        )
        .bind(prompt.id)
        .bind(&prompt.name)
        .fetch_all(&mut **tx)
        .await?;
        Ok(History { last, lowest, deleted })
    }

    /// Whether version `number` may be written here: after the history (added to at its
    /// end), or, filling in what an export of the newest versions left out, before the
    /// lowest version here, where no draft was ever deleted.
    fn has_room_for(&self, number: i64) -> bool {
        if number > self.last {
            return true;
        }
        let label = format!("\"version\":\"v{number}\"");
        self.lowest.is_some_and(|lowest| number < lowest) && !self.deleted.iter().any(|d| d.contains(&label))
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
/// the history here has no room for it (see [`History::has_room_for`]).
async fn import_version(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    version: &ExportedVersion,
    history: &History,
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
    if !history.has_room_for(version.number.get()) {
        return Err(VaultError::conflict(
            Conflict::AlreadyExists,
            format!(
                "{} has versions up to v{} here, so the export's {} cannot be added before them; nothing was imported",
                prompt.name, history.last, version.number
            ),
        ));
    }
    let (body, config, message) = (&version.body, &version.config, version.message.as_str());
    bytes.take(content::stored_bytes(body, config))?;
    // A published version that includes other prompts is pinned as it is published: saved
    // as a draft, then published (refused, naming the reference, where one cannot resolve).
    let includes = !composition::included_names(body, &prompt.name).is_empty();
    let first = if includes { Status::Draft } else { status };
    insert_version(tx, actor, prompt, version.number, first, body, config, message).await?;
    if first != status {
        let name = PromptName::parse(&prompt.name)?;
        publish(tx, prompt, version.number).await.map_err(|e| naming(&name, e))?;
    }
    let details =
        json!({ "version": version.number.label(), "message": message, "imported_from": "langfuse" });
    activity::record(tx, actor, ActivityKind::VersionSaved, Some(&prompt.name), details).await?;
    Ok(true)
}

/// What of the version the import leaves out, in words: staging while it is disabled.
fn left_out(version: &ExportedVersion, staging_enabled: bool) -> Vec<String> {
    let staged = version.labels.iter().any(|l| l == STAGING);
    if staged && !staging_enabled {
        return vec![format!("label staging on {} (staging is disabled here)", version.number)];
    }
    Vec::new()
}
