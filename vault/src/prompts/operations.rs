//! The prompt operations of PRODUCT.md ("Operations and their rules"): create, save,
//! rewrite and delete drafts, promote, roll back, stage; each in one transaction that does
//! all of its work or none of it.

use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Permission};
use crate::activity::{self, ActivityKind};
use crate::composition;
use crate::content::{self, PromptType};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::events::{self, EventKind};
use crate::names::{self, PromptName, Tags, VersionNumber};
use crate::prompts::model::{NewDraft, PromptRow, PromptState, PromptSummary, Rewrite, with_built_ins};
use crate::prompts::moves::{clear_own_labels_on, stage_in};
use crate::prompts::steps::{
    create_prompt_in, find_prompt, find_version, lock_prompt, optional_number, own_labels_in, save_draft_in,
    set_tags_in, state_of, tags_of, touch,
};
use crate::quotas::Quota;
use crate::requests;
use crate::version::{Status, Version, number_from_db};
use crate::{Result, Vault};

impl Vault {
    /// Creates an empty text prompt: no versions, no pointers.
    pub async fn create_prompt(&self, actor: &Actor, name: &str) -> Result<PromptState> {
        self.create_prompt_of_type(actor, name, PromptType::Text).await
    }

    /// Creates an empty prompt of type `kind`, which it keeps for ever.
    pub async fn create_prompt_of_type(
        &self,
        actor: &Actor,
        name: &str,
        kind: PromptType,
    ) -> Result<PromptState> {
        actor.require(Permission::EditPrompts)?;
        let name = PromptName::parse(name)?;
        let mut tx = self.db.write.begin().await?;
        let mut room = self.room(&mut tx, Quota::PromptsPerWorkspace, actor.workspace_id).await?;
        room.take(1)?;
        create_prompt_in(&mut tx, actor, &name, kind).await?;
        tx.commit().await?;
        Ok(PromptState {
            name: name.to_string(),
            kind,
            live: None,
            staging: None,
            labels: Default::default(),
            tags: Vec::new(),
            versions: 0,
            under_review: Vec::new(),
        })
    }

    /// Every prompt of the actor's workspace, by name.
    pub async fn prompts(&self, actor: &Actor) -> Result<Vec<PromptSummary>> {
        let staging_enabled = self.staging_enabled(actor.workspace_id).await?;
        let rows = sqlx::query(
            "select p.name, p.kind, p.live_number, p.staging_number, p.updated_at, \
             (select count(*) from versions v where v.prompt_id = p.id) as versions \
             from prompts p where p.workspace_id = $1 order by p.name",
        )
        .bind(actor.workspace_id)
        .fetch_all(&self.db.read)
        .await?;
        let mut under_review = requests::drafts_under_review(&self.db.read, actor.workspace_id, None).await?;
        let mut own = own_labels_in(&self.db.read, actor.workspace_id).await?;
        let mut tags = tags_of(&self.db.read, None, actor.workspace_id).await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("name")?;
                let live = optional_number(row, "live_number")?;
                let staging = optional_number(row, "staging_number")?.filter(|_| staging_enabled);
                Ok(PromptSummary {
                    state: PromptState {
                        under_review: under_review.remove(&name).unwrap_or_default(),
                        labels: with_built_ins(live, staging, own.remove(&name).unwrap_or_default()),
                        tags: tags.remove(&name).unwrap_or_default(),
                        name,
                        kind: content::kind_from_db(&row.try_get::<String, _>("kind")?)?,
                        live,
                        staging,
                        versions: row.try_get("versions")?,
                    },
                    updated_at: Timestamp(row.try_get("updated_at")?),
                })
            })
            .collect()
    }

    /// Gives prompt `name` exactly the tags `tags` (trimmed, each once, in order; `[]`
    /// removes them).
    pub async fn set_tags(&self, actor: &Actor, name: &str, tags: &[String]) -> Result<PromptState> {
        actor.require(Permission::EditPrompts)?;
        let tags = Tags::parse(tags)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        set_tags_in(&mut tx, actor, &prompt, &tags).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.search_index.poke();
        Ok(state)
    }

    /// A prompt's pointers and number of versions.
    pub async fn prompt(&self, actor: &Actor, name: &str) -> Result<PromptState> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        state_of(&mut tx, actor, &prompt).await
    }

    /// One version of a prompt.
    pub async fn version(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<Version> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        find_version(&mut tx, &prompt, number).await
    }

    /// Saves a new draft under the next number. Concurrent saves each get their own number,
    /// in order: the counter on the prompt row is bumped inside the write transaction.
    pub async fn save_draft(&self, actor: &Actor, name: &str, draft: NewDraft) -> Result<Version> {
        actor.require(Permission::EditPrompts)?;
        let mut tx = self.db.write.begin().await?;
        let mut room = self.room(&mut tx, Quota::VersionsPerWorkspace, actor.workspace_id).await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        room.take(1)?;
        let version = save_draft_in(&mut tx, actor, &prompt, draft).await?;
        bytes.take(content::stored_bytes(&version.body, &version.config))?;
        tx.commit().await?;
        self.search_index.poke();
        Ok(version)
    }

    /// Rewrites a draft's source and/or message. Live versions are frozen; a rewrite that
    /// names an outdated revision is refused as stale and changes nothing.
    pub async fn rewrite_draft(
        &self,
        actor: &Actor,
        name: &str,
        number: VersionNumber,
        rewrite: Rewrite,
    ) -> Result<Version> {
        actor.require(Permission::EditPrompts)?;
        let message = rewrite.message.as_deref().map(names::message).transpose()?;
        let config = rewrite.config.map(|c| content::config(Some(c))).transpose()?;
        if rewrite.body.is_none() && config.is_none() && message.is_none() {
            return Err(VaultError::invalid(
                "source",
                "give a new source (or messages), config or message to rewrite the draft",
            ));
        }
        let mut tx = self.db.write.begin().await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let body = rewrite.body.map(|b| content::body(prompt.kind, &prompt.name, b)).transpose()?;
        let current = find_version(&mut tx, &prompt, number).await?;
        if current.status == Status::Published {
            return Err(VaultError::conflict(
                Conflict::Frozen,
                format!("{number} is live and frozen; save a new draft to change it"),
            ));
        }
        requests::refuse_under_review(&mut tx, &prompt, number).await?;
        if rewrite.expected_revision.is_some_and(|expected| expected != current.revision) {
            return Err(VaultError::Stale { current: Box::new(current) });
        }
        let before = content::stored_bytes(&current.body, &current.config);
        let body = body.unwrap_or(current.body);
        let config = config.unwrap_or(current.config);
        bytes.take(content::stored_bytes(&body, &config).saturating_sub(before))?;
        sqlx::query(
            "update versions set source = $1, config = $2, variables = $3, message = $4, revision = revision + 1 \
             where prompt_id = $5 and number = $6",
        )
        .bind(content::stored_source(&body))
        .bind(content::stored_config(&config))
        .bind(content::stored_variables(&body))
        .bind(message.unwrap_or(&current.message))
        .bind(prompt.id)
        .bind(number.get())
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, &prompt).await?;
        let version = find_version(&mut tx, &prompt, number).await?;
        let details = json!({ "version": number.label(), "revision": version.revision });
        activity::record(&mut tx, actor, ActivityKind::VersionRewritten, Some(&prompt.name), details).await?;
        tx.commit().await?;
        self.search_index.poke();
        // A staged draft is served to test keys: they read the new text at once.
        self.follow_changes().await;
        Ok(version)
    }

    /// Deletes a draft. Live versions are never deleted. If staging pointed at the draft,
    /// staging is cleared in the same transaction. The number is not handed out again.
    pub async fn delete_draft(
        &self,
        actor: &Actor,
        name: &str,
        number: VersionNumber,
    ) -> Result<PromptState> {
        actor.require(Permission::EditPrompts)?;
        let mut tx = self.db.write.begin().await?;
        self.hold_usage(&mut tx, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let version = find_version(&mut tx, &prompt, number).await?;
        delete_draft_in(&mut tx, actor, &prompt, &version).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
        self.search_index.poke();
        self.follow_changes().await;
        Ok(state)
    }

    /// Two versions to compare: `from` (by default the version before `to`, if any) and `to`.
    pub(crate) async fn versions_to_compare(
        &self,
        actor: &Actor,
        name: &str,
        from: Option<VersionNumber>,
        to: VersionNumber,
    ) -> Result<(Compared<Option<Version>>, Compared)> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let mut newer = find_version(&mut tx, &prompt, to).await?;
        let newer_pins = composition::as_read(&mut tx, prompt.id, &prompt.name, &mut newer).await?;
        let from = match from {
            Some(n) => Some(n),
            None => sqlx::query_scalar::<_, Option<i64>>(
                "select max(number) from versions where prompt_id = $1 and number < $2",
            )
            .bind(prompt.id)
            .bind(to.get())
            .fetch_one(&mut *tx)
            .await?
            .map(number_from_db)
            .transpose()?,
        };
        let (older, older_pins) = match from {
            Some(n) => {
                let mut older = find_version(&mut tx, &prompt, n).await?;
                let pins = composition::as_read(&mut tx, prompt.id, &prompt.name, &mut older).await?;
                (Some(older), pins)
            }
            None => (None, Vec::new()),
        };
        Ok(((older, older_pins), (newer, newer_pins)))
    }
}

/// One side of a comparison: a version as a reader sees it (a draft resolved now), and what
/// each of its references resolves to.
pub(crate) type Compared<V = Version> = (V, Vec<crate::composition::Pin>);

/// Deletes draft `version` of the prompt inside the caller's transaction (which holds the
/// prompt's row lock): staging and preview labels are moved off it first, its requests go
/// stale. Published versions are never deleted.
pub(crate) async fn delete_draft_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    version: &Version,
) -> Result<()> {
    let number = version.number;
    if version.status == Status::Published {
        return Err(VaultError::conflict(
            Conflict::Frozen,
            format!("{number} is live; published versions are never deleted"),
        ));
    }
    if prompt.staging == Some(number) {
        stage_in(tx, actor, prompt, None).await?;
    }
    clear_own_labels_on(tx, actor, prompt, number).await?;
    sqlx::query("delete from versions where prompt_id = $1 and number = $2")
        .bind(prompt.id)
        .bind(number.get())
        .execute(&mut **tx)
        .await?;
    let change = events::Change {
        id: events::new_event_id(),
        kind: EventKind::DraftDeleted,
        prompt: Some(&prompt.name),
        label: None,
        version: Some(version),
        previous: None,
        requested_by: None,
        request: None,
        rollout: None,
    };
    events::record(tx, actor, change, None).await?;
    // Requests to promote or roll back to it can no longer be applied.
    requests::make_stale(tx, prompt.id, number).await?;
    let details = json!({ "version": number.label(), "message": version.message });
    activity::record(tx, actor, ActivityKind::DraftDeleted, Some(&prompt.name), details).await?;
    touch(tx, prompt).await
}
