//! Prompts as code (PRODUCT.md "Prompts as code"): a folder of prompt files pushed as one
//! change. Each file whose content (text or messages, and config) differs from its prompt's
//! newest version becomes a draft, a prompt without a name here is created, and the file's
//! version is then staged, made live or given labels if asked, each label under its rule
//! (the same vault operation as every other channel's). All of it happens in one transaction or
//! none of it does; a dry run is the same work rolled back, so it says exactly what a push
//! would do.

use serde_json::Value;
use sqlx::{Any, Transaction};

use crate::access::{Actor, Permission};
use crate::composition::{self, When};
use crate::content::{self, Body, Config, DraftBody, PromptType};
use crate::labels::{Found, find_label};
use crate::names::{self, LabelName, PromptName, Tags, VersionNumber};
use crate::prompts::moves::stage_in;
use crate::prompts::steps::{
    find_prompt, find_version, lock_or_create_prompt, newest_version, save_draft_in, set_tags_in,
    workspace_staging_enabled,
};
use crate::prompts::{NewDraft, PromptRow};
use crate::quotas::{Quota, Room};
use crate::requests::Moving;
use crate::version::Version;
use crate::{Conflict, Result, Vault, VaultError};

/// One prompt file as a push carries it: the prompt's name, type and content.
#[derive(Debug, Clone)]
pub struct PromptFile {
    pub name: String,
    pub kind: PromptType,
    pub body: DraftBody,
    pub config: Option<Value>,
    /// The prompt's tags, when the file names them (absent: the prompt keeps its own).
    pub tags: Option<Vec<String>>,
}

/// A prompt file's content, checked.
pub(crate) struct CheckedFile {
    pub name: PromptName,
    pub kind: PromptType,
    pub body: Body,
    pub config: Config,
    pub tags: Option<Tags>,
}

impl PromptFile {
    /// Checks the file by the rules a saved version follows; the refusal names the prompt.
    pub fn check(&self) -> Result<()> {
        self.checked().map(|_| ())
    }

    pub(crate) fn checked(&self) -> Result<CheckedFile> {
        let name = PromptName::parse(&self.name)?;
        let in_prompt = |e| naming(&name, e);
        let body = content::body(self.kind, name.as_str(), self.body.clone()).map_err(in_prompt)?;
        let config = content::config(self.config.clone()).map_err(in_prompt)?;
        let tags = self.tags.as_deref().map(Tags::parse).transpose().map_err(in_prompt)?;
        Ok(CheckedFile { name, kind: self.kind, body, config, tags })
    }
}

/// `err`, its message prefixed with the prompt it is about (a push carries many).
pub(crate) fn naming(name: &PromptName, err: VaultError) -> VaultError {
    match err {
        VaultError::Invalid { field, message } if !message.starts_with(name.as_str()) => {
            VaultError::Invalid { field, message: format!("{name}: {message}") }
        }
        other => other,
    }
}

/// A push: the files, the message of the drafts it saves, and what to do with each file's
/// version afterwards.
#[derive(Debug, Clone, Default)]
pub struct Push {
    pub files: Vec<PromptFile>,
    pub message: String,
    /// Point staging at each file's version.
    pub stage: bool,
    /// Make each file's version live (under review: request it).
    pub promote: bool,
    /// Move each of these labels to each file's version, under the label's rule (under
    /// review: request it). The workspace must have them (a push never makes a label: a typo
    /// would); `live` and `staging` mean `promote` and `stage`.
    pub labels: Vec<String>,
    /// Do everything, report it, and keep none of it.
    pub dry_run: bool,
}

/// One thing a push did (or, in a dry run, would do) to a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStep {
    Created,
    Saved {
        version: VersionNumber,
    },
    Staged {
        version: VersionNumber,
    },
    Promoted {
        version: VersionNumber,
    },
    /// Under review: a request to promote the version was opened.
    Requested {
        version: VersionNumber,
        request: i64,
    },
    /// The prompt's tags became the file's.
    Tagged,
    /// A label of the workspace's own was moved to the version.
    Labelled {
        label: LabelName,
        version: VersionNumber,
    },
    /// Under the label's rule of review: a request to move it was opened.
    LabelRequested {
        label: LabelName,
        version: VersionNumber,
        request: i64,
    },
}

/// What a push came to for one prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub name: String,
    /// The version holding the file's content: the draft saved now, or the newest version
    /// when the file is the same.
    pub version: VersionNumber,
    /// Empty when the file changed nothing.
    pub steps: Vec<PushStep>,
    /// The newest version before the push, when a draft was saved: what the file differs from.
    pub previous: Option<Version>,
    /// An open request to promote `version`, opened by this push or before.
    pub awaiting_review: Option<i64>,
}

/// A push's report, prompt by prompt in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    pub prompts: Vec<Pushed>,
    pub dry_run: bool,
}

impl PushReport {
    /// Whether the push changed anything (or, in a dry run, would).
    pub fn changed(&self) -> bool {
        self.prompts.iter().any(|p| !p.steps.is_empty())
    }

    /// How many of its steps are `kind`.
    fn count(&self, kind: impl Fn(&PushStep) -> bool) -> usize {
        self.prompts.iter().flat_map(|p| &p.steps).filter(|step| kind(step)).count()
    }
}

/// The most prompt files one push, and versions one Langfuse import request, may carry: a
/// write is one transaction, and on SQLite the one writer is everyone's, so no single
/// request may hold it for long. A bigger folder is pushed in parts (by sub-folder); the
/// import command sends a big export in parts by itself.
pub const MAX_ITEMS_PER_WRITE: usize = 1_000;

impl Vault {
    /// Pushes prompt files: every file is checked before anything is written, and the whole
    /// push is one transaction, so a refusal anywhere leaves every prompt as it was.
    pub async fn push(&self, actor: &Actor, push: Push) -> Result<PushReport> {
        actor.require(Permission::EditPrompts)?;
        if push.files.len() > MAX_ITEMS_PER_WRITE {
            return Err(VaultError::invalid(
                "files",
                format!(
                    "a push carries at most {MAX_ITEMS_PER_WRITE} prompt files ({} here): push the folder in parts",
                    push.files.len()
                ),
            ));
        }
        let message = names::message(&push.message)?.to_owned();
        let mut files = push.files.iter().map(PromptFile::checked).collect::<Result<Vec<_>>>()?;
        // Locks are taken in name order, so two pushes of overlapping folders take turns.
        files.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        if let Some(twice) = files.windows(2).find(|pair| pair[0].name == pair[1].name) {
            return Err(VaultError::invalid("name", format!("{} is pushed twice", twice[0].name)));
        }
        let mut tx = self.db.write.begin().await?;
        let mut prompt_room = self.room(&mut tx, Quota::PromptsPerWorkspace, actor.workspace_id).await?;
        let mut version_room = self.room(&mut tx, Quota::VersionsPerWorkspace, actor.workspace_id).await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        let moves = Moves::of(&mut tx, actor, &push).await?;
        let mut saved = Vec::with_capacity(files.len());
        for file in files {
            saved.push(self.save_file(&mut tx, actor, file, &message, &mut bytes).await?);
        }
        // A prompt included by another of the push moves first, so that a promote of both
        // pins the included one's new live version.
        let mut prompts = Vec::with_capacity(saved.len());
        for file in composition::included_first(saved, |f| &f.prompt.name, |f| f.includes.clone()) {
            prompts.push(self.move_file(&mut tx, actor, file, &message, &moves).await?);
        }
        for pushed in &prompts {
            resolves(&mut tx, actor, pushed).await?;
        }
        prompts.sort_by(|a, b| a.name.cmp(&b.name));
        let report = PushReport { prompts, dry_run: push.dry_run };
        prompt_room.take(report.count(|step| matches!(step, PushStep::Created)))?;
        version_room.take(report.count(|step| matches!(step, PushStep::Saved { .. })))?;
        if push.dry_run {
            tx.rollback().await?;
            return Ok(report);
        }
        self.finish_changes(tx, report.changed()).await?;
        Ok(report)
    }

    /// Saves the file's content as a draft where it differs from the prompt's newest version
    /// (making the prompt where there is none), and its tags.
    async fn save_file(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        file: CheckedFile,
        message: &str,
        bytes: &mut Room,
    ) -> Result<SavedFile> {
        let includes = composition::included_names(&file.body, file.name.as_str());
        let (prompt, created) = lock_or_create_prompt(tx, actor, &file.name, file.kind).await?;
        let mut steps = if created { vec![PushStep::Created] } else { Vec::new() };
        if prompt.kind != file.kind {
            return Err(VaultError::invalid(
                "type",
                format!("{} is a {} prompt here; its file says {}", prompt.name, prompt.kind, file.kind),
            ));
        }
        let newest = newest_version(tx, &prompt).await?;
        let same = newest.as_ref().filter(|v| v.body == file.body && v.config == file.config);
        let (version, previous) = match same {
            Some(version) => (version.number, None),
            None => {
                let config = Some(Value::Object(file.config));
                let draft = NewDraft { body: file.body.into(), config, message: message.to_owned() };
                let saved = save_draft_in(tx, actor, &prompt, draft).await?;
                bytes.take(content::stored_bytes(&saved.body, &saved.config))?;
                steps.push(PushStep::Saved { version: saved.number });
                (saved.number, newest)
            }
        };
        if let Some(tags) = &file.tags
            && set_tags_in(tx, actor, &prompt, tags).await?
        {
            steps.push(PushStep::Tagged);
        }
        Ok(SavedFile { prompt, version, steps, previous, includes })
    }

    /// Moves the labels the push names onto the file's version.
    async fn move_file(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        saved: SavedFile,
        message: &str,
        moves: &Moves,
    ) -> Result<Pushed> {
        let SavedFile { prompt, version, mut steps, previous, .. } = saved;
        if moves.stage && prompt.staging != Some(version) {
            stage_in(tx, actor, &prompt, Some(version)).await?;
            steps.push(PushStep::Staged { version });
        }
        let mut awaiting_review = None;
        if moves.promote {
            match self.promote_or_request_in(tx, actor, &prompt, version, message).await? {
                Moving::AlreadyThere => {}
                Moving::Moved => steps.push(PushStep::Promoted { version }),
                Moving::Requested { request, opened } => {
                    awaiting_review = Some(request);
                    if opened {
                        steps.push(PushStep::Requested { version, request });
                    }
                }
            }
        }
        for found in &moves.labels {
            // The prompt as the previous step left it (live may have moved).
            let prompt = find_prompt(tx, actor, prompt.name.as_str()).await?;
            let label = found.label.name.clone();
            match self.move_or_request_in(tx, actor, &prompt, found, version, message).await? {
                Moving::AlreadyThere | Moving::Requested { opened: false, .. } => {}
                Moving::Moved => steps.push(PushStep::Labelled { label, version }),
                Moving::Requested { request, opened: true } => {
                    steps.push(PushStep::LabelRequested { label, version, request });
                }
            }
        }
        Ok(Pushed { name: prompt.name.clone(), version, steps, previous, awaiting_review })
    }
}

/// A file saved, before the push moves labels onto its version.
struct SavedFile {
    prompt: PromptRow,
    version: VersionNumber,
    steps: Vec<PushStep>,
    previous: Option<Version>,
    /// The prompts its content includes.
    includes: Vec<String>,
}

/// Refuses (422, naming the prompt and the reference) a pushed draft whose references do
/// not resolve in the workspace as the push leaves it (a published one was resolved when
/// it was published).
async fn resolves(tx: &mut Transaction<'_, Any>, actor: &Actor, pushed: &Pushed) -> Result<()> {
    let prompt = find_prompt(tx, actor, &pushed.name).await?;
    let version = find_version(tx, &prompt, pushed.version).await?;
    if version.status == crate::version::Status::Published {
        return Ok(());
    }
    let name = PromptName::parse(&pushed.name)?;
    composition::compose(tx, prompt.id, &prompt.name, &version.body, When::Reading)
        .await
        .map(drop)
        .map_err(|e| naming(&name, e))
}

/// What a push does with each file's version after saving it: `live` and `staging` named
/// among the labels fold into `promote` and `stage`; the others are found, or the push is
/// refused (404) before anything is written.
struct Moves {
    stage: bool,
    promote: bool,
    labels: Vec<Found>,
}

impl Moves {
    async fn of(tx: &mut Transaction<'_, Any>, actor: &Actor, push: &Push) -> Result<Moves> {
        let mut names = push.labels.iter().map(|l| LabelName::parse(l)).collect::<Result<Vec<_>>>()?;
        names.sort();
        names.dedup();
        let named = |builtin: &str| names.iter().any(|n| n.as_str() == builtin);
        let (stage, promote) =
            (push.stage || named(LabelName::STAGING), push.promote || named(LabelName::LIVE));
        if stage && !workspace_staging_enabled(tx, actor.workspace_id).await? {
            return Err(VaultError::conflict(
                Conflict::StagingDisabled,
                "staging is disabled for this workspace: enable it in Settings, or push without staging",
            ));
        }
        let mut labels = Vec::new();
        for name in names.iter().filter(|n| !n.is_built_in()) {
            labels.push(find_label(tx, actor.workspace_id, name).await.map_err(|e| match e {
                VaultError::NotFound(_) => VaultError::NotFound(format!(
                    "no label named {name} in this workspace: add it in Settings → Labels first (a push never makes one)"
                )),
                other => other,
            })?);
        }
        Ok(Moves { stage, promote, labels })
    }
}
