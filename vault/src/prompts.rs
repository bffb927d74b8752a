//! Prompts, their versions, and the two pointers: the seven operations of PRODUCT.md
//! ("Operations and their rules"), each in one transaction that either does all of its
//! work or none of it.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::activity::{self, ActivityKind};
use crate::content::{self, Body, Config, DraftBody, PromptType};
use crate::db::Timestamp;
use crate::events::{self, EventKind};
use crate::members::{Actor, Permission};
use crate::names::{self, PromptName, VersionNumber};
use crate::quotas::Quota;
use crate::reviews;
use crate::settings::{self, LiveChanges, Settings};
use crate::{Conflict, Result, Vault, VaultError};

pub use types::{Channel, Offered, Status, VersionJson};

pub(crate) fn status_from_db(raw: &str) -> Result<Status> {
    Status::parse(raw).ok_or_else(|| VaultError::Internal(format!("unknown version status {raw:?}").into()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: VersionNumber,
    pub status: Status,
    /// Its text or chat messages (the prompt's type).
    pub body: Body,
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
    /// The version JSON of the API, webhooks and SDK reads; with its source (or messages) or
    /// without.
    pub fn to_json(&self, with_source: bool) -> VersionJson {
        let named = Named {
            number: self.number,
            status: self.status,
            kind: self.body.kind(),
            variables: self.body.variables(),
            message: &self.message,
            author: &self.author,
            created_at: self.created_at,
        };
        let json = VersionJson { config: Some(self.config.clone()), ..named.into_json() };
        if !with_source {
            return json;
        }
        match &self.body {
            Body::Text(text) => VersionJson { source: Some(text.clone()), ..json },
            Body::Chat(messages) => VersionJson { messages: Some(messages.clone()), ..json },
        }
    }

    pub fn kind(&self) -> PromptType {
        self.body.kind()
    }

    /// A text prompt's text; empty for a chat prompt (see `body`).
    pub fn text(&self) -> &str {
        match &self.body {
            Body::Text(text) => text,
            Body::Chat(_) => "",
        }
    }

    /// Its `{{variables}}`, each once, in order.
    pub fn variables(&self) -> Vec<String> {
        self.body.variables()
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

/// A prompt's pointers as callers see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptState {
    pub name: String,
    /// `text` or `chat`, for ever.
    #[serde(rename = "type")]
    pub kind: PromptType,
    pub live: Option<VersionNumber>,
    /// `None` while unset, and while staging is disabled in the workspace's settings (then
    /// test keys read live).
    pub staging: Option<VersionNumber>,
    /// How many versions exist (deleted drafts are gone).
    pub versions: i64,
    /// The drafts an open request asks to promote: frozen until it is decided, so that what
    /// is approved is exactly what the reviewer saw.
    pub under_review: Vec<VersionNumber>,
}

/// One row of the prompts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptSummary {
    pub state: PromptState,
    pub updated_at: Timestamp,
}

/// A new draft: its text or messages (as the prompt's type wants), its config (`{}` when
/// `None`) and its change message.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub body: DraftBody,
    pub config: Option<serde_json::Value>,
    pub message: String,
}

impl NewDraft {
    /// A text prompt's draft.
    pub fn text(source: impl Into<String>, message: impl Into<String>) -> NewDraft {
        NewDraft { body: DraftBody::Text(source.into()), config: None, message: message.into() }
    }

    /// A chat prompt's draft: its messages as JSON.
    pub fn chat(messages: serde_json::Value, message: impl Into<String>) -> NewDraft {
        NewDraft { body: DraftBody::Chat(messages), config: None, message: message.into() }
    }

    pub fn with_config(self, config: serde_json::Value) -> NewDraft {
        NewDraft { config: Some(config), ..self }
    }
}

/// A rewrite of a draft: what is given replaces what was. `expected_revision` makes it
/// conditional: when someone else rewrote the draft since, the rewrite is refused as stale.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    pub body: Option<DraftBody>,
    pub config: Option<serde_json::Value>,
    pub message: Option<String>,
    pub expected_revision: Option<i64>,
}

/// What a rollback returns: the new state, and the version rolled back to, for the editor
/// to continue from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollBack {
    pub state: PromptState,
    pub based_on: VersionNumber,
    pub version: Version,
}

/// One move of the live or staging pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointerMove {
    pub channel: Channel,
    pub from: Option<VersionNumber>,
    pub to: Option<VersionNumber>,
    pub actor: String,
    /// For a move that approved a request: who requested it (`actor` approved it).
    pub requested_by: Option<String>,
    pub at: Timestamp,
    pub event_id: String,
}

/// A prompt's row, as the operations need it.
pub(crate) struct PromptRow {
    pub id: i64,
    pub name: String,
    pub kind: PromptType,
    pub live: Option<VersionNumber>,
    pub staging: Option<VersionNumber>,
}

pub(crate) const VERSION_COLUMNS: &str = "v.number, v.status, v.source, v.config, v.message, v.created_at, \
     v.revision, m.name as author, m.email as author_email, \
     (select kind from prompts where id = v.prompt_id) as kind";

pub(crate) fn version_from_row(row: &AnyRow) -> Result<Version> {
    Ok(Version {
        number: number_from_db(row.try_get("number")?)?,
        status: status_from_db(&row.try_get::<String, _>("status")?)?,
        body: content::body_from_db(&row.try_get::<String, _>("kind")?, row.try_get("source")?)?,
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

fn optional_number(row: &AnyRow, column: &str) -> Result<Option<VersionNumber>> {
    row.try_get::<Option<i64>, _>(column)?.map(number_from_db).transpose()
}

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
        let mut under_review = reviews::drafts_under_review(&self.db.read, actor.workspace_id, None).await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("name")?;
                Ok(PromptSummary {
                    state: PromptState {
                        under_review: under_review.remove(&name).unwrap_or_default(),
                        name,
                        kind: content::kind_from_db(&row.try_get::<String, _>("kind")?)?,
                        live: optional_number(row, "live_number")?,
                        staging: optional_number(row, "staging_number")?.filter(|_| staging_enabled),
                        versions: row.try_get("versions")?,
                    },
                    updated_at: Timestamp(row.try_get("updated_at")?),
                })
            })
            .collect()
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
        reviews::refuse_under_review(&mut tx, &prompt, number).await?;
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
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let version = find_version(&mut tx, &prompt, number).await?;
        if version.status == Status::Published {
            return Err(VaultError::conflict(
                Conflict::Frozen,
                format!("{number} is live; published versions are never deleted"),
            ));
        }
        if prompt.staging == Some(number) {
            stage_in(&mut tx, actor, &prompt, None).await?;
        }
        sqlx::query("delete from versions where prompt_id = $1 and number = $2")
            .bind(prompt.id)
            .bind(number.get())
            .execute(&mut *tx)
            .await?;
        let change = events::Change {
            id: events::new_event_id(),
            kind: EventKind::DraftDeleted,
            prompt: Some(&prompt.name),
            version: Some(&version),
            previous: None,
            extra: None,
        };
        events::record(&mut tx, actor, change, None).await?;
        // Requests to promote or roll back to it can no longer be applied.
        sqlx::query(
            "update requests set state = 'stale', decided_at = $1 \
             where prompt_id = $2 and number = $3 and state = 'open'",
        )
        .bind(Timestamp::now().0)
        .bind(prompt.id)
        .bind(number.get())
        .execute(&mut *tx)
        .await?;
        let details = json!({ "version": number.label(), "message": version.message });
        activity::record(&mut tx, actor, ActivityKind::DraftDeleted, Some(&prompt.name), details).await?;
        touch(&mut tx, &prompt).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
        self.search_index.poke();
        self.follow_changes().await;
        Ok(state)
    }

    /// Makes a version the live one. A draft is published (frozen from now on); an already
    /// published version just gets the pointer back. Promoting the current live version
    /// changes nothing and records nothing.
    pub async fn promote(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<PromptState> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        find_version(&mut tx, &prompt, number).await?;
        directly(&mut tx, actor).await?;
        promote_in(&mut tx, actor, &prompt, number, None).await?;
        self.finish_live_change(tx, actor, name).await
    }

    /// Points live back at an older published version. Newer versions stay in the history
    /// and can be promoted again. Returns the older version's source for the editor.
    pub async fn roll_back(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<RollBack> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        find_version(&mut tx, &prompt, number).await?;
        directly(&mut tx, actor).await?;
        let version = roll_back_in(&mut tx, actor, &prompt, number, None).await?;
        let state = self.finish_live_change(tx, actor, name).await?;
        Ok(RollBack { state, based_on: number, version })
    }

    /// Commits a change of many prompts and, if it changed anything, makes it seen: search,
    /// webhooks, and the served read model.
    pub(crate) async fn finish_changes(&self, tx: Transaction<'_, Any>, changed: bool) -> Result<()> {
        tx.commit().await?;
        if changed {
            self.search_index.poke();
            self.outbox.poke();
            self.follow_changes().await;
        }
        Ok(())
    }

    /// Commits a change to live and makes it seen: webhooks, and the served read model.
    pub(crate) async fn finish_live_change(
        &self,
        mut tx: Transaction<'_, Any>,
        actor: &Actor,
        name: &str,
    ) -> Result<PromptState> {
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
        self.follow_changes().await;
        Ok(state)
    }

    /// Points staging at any existing version (a draft too), or clears it with `None`.
    /// Only while staging is enabled in the workspace's settings.
    pub async fn set_staging(
        &self,
        actor: &Actor,
        name: &str,
        number: Option<VersionNumber>,
    ) -> Result<PromptState> {
        actor.require(Permission::EditPrompts)?;
        let mut tx = self.db.write.begin().await?;
        // What is named must exist (404) before a rule about the workspace's state applies.
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        if let Some(number) = number {
            find_version(&mut tx, &prompt, number).await?;
        }
        if !workspace_staging_enabled(&mut tx, actor.workspace_id).await? {
            return Err(VaultError::conflict(
                Conflict::StagingDisabled,
                "staging is disabled for this workspace; enable it in Settings first",
            ));
        }
        if prompt.staging != number {
            stage_in(&mut tx, actor, &prompt, number).await?;
        }
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
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
    ) -> Result<(Option<Version>, Version)> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let newer = find_version(&mut tx, &prompt, to).await?;
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
        let older = match from {
            Some(n) => Some(find_version(&mut tx, &prompt, n).await?),
            None => None,
        };
        Ok((older, newer))
    }

    /// Every move of the prompt's pointers, newest first.
    pub async fn deployments(&self, actor: &Actor, name: &str) -> Result<Vec<PointerMove>> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let rows = sqlx::query(
            "select d.channel, d.from_number, d.to_number, d.at, d.event_id, m.name as actor, r.name as requester \
             from pointer_moves d join accounts m on m.id = d.actor_id left join accounts r on r.id = d.requested_by \
             where d.prompt_id = $1 order by d.id desc",
        )
        .bind(prompt.id)
        .fetch_all(&mut *tx)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PointerMove {
                    channel: channel_from_db(&row.try_get::<String, _>("channel")?)?,
                    from: optional_number(row, "from_number")?,
                    to: optional_number(row, "to_number")?,
                    actor: row.try_get("actor")?,
                    requested_by: row.try_get("requester")?,
                    at: Timestamp(row.try_get("at")?),
                    event_id: row.try_get("event_id")?,
                })
            })
            .collect()
    }
}

/// Creates an empty prompt inside the caller's transaction; 409 when the name is taken.
pub(crate) async fn create_prompt_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &PromptName,
    kind: PromptType,
) -> Result<()> {
    let now = Timestamp::now().0;
    let inserted = sqlx::query(
        "insert into prompts (workspace_id, name, kind, created_at, updated_at) values ($1, $2, $3, $4, $4)",
    )
    .bind(actor.workspace_id)
    .bind(name.as_str())
    .bind(kind.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!("a prompt named {name} already exists"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let details = json!({ "type": kind.as_str() });
    activity::record(tx, actor, ActivityKind::PromptCreated, Some(name.as_str()), details).await
}

/// The prompt named `name`, locked, or, when there is none, created with type `kind`
/// (`true`: created now). Two transactions creating the same prompt at once both go on:
/// the second waits for the first, finds the prompt made, and uses it.
pub(crate) async fn lock_or_create_prompt(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &PromptName,
    kind: PromptType,
) -> Result<(PromptRow, bool)> {
    let now = Timestamp::now().0;
    let created = sqlx::query(
        "insert into prompts (workspace_id, name, kind, created_at, updated_at) values ($1, $2, $3, $4, $4) \
         on conflict (workspace_id, name) do nothing",
    )
    .bind(actor.workspace_id)
    .bind(name.as_str())
    .bind(kind.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if created {
        let details = json!({ "type": kind.as_str() });
        activity::record(tx, actor, ActivityKind::PromptCreated, Some(name.as_str()), details).await?;
    }
    Ok((lock_prompt(tx, actor, name.as_str()).await?, created))
}

/// Saves `draft` as the prompt's next version, inside the caller's transaction (which holds
/// the prompt's row lock). Its content is checked against the prompt's type first.
pub(crate) async fn save_draft_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    draft: NewDraft,
) -> Result<Version> {
    let body = content::body(prompt.kind, &prompt.name, draft.body)?;
    let config = content::config(draft.config)?;
    let message = names::message(&draft.message)?;
    let number: i64 = sqlx::query_scalar(
        "update prompts set last_number = last_number + 1, updated_at = $1 where id = $2 returning last_number",
    )
    .bind(Timestamp::now().0)
    .bind(prompt.id)
    .fetch_one(&mut **tx)
    .await?;
    let number = number_from_db(number)?;
    insert_version(tx, actor, prompt, number, Status::Draft, &body, &config, message).await?;
    let version = find_version(tx, prompt, number).await?;
    let details = json!({ "version": version.number.label(), "message": version.message });
    activity::record(tx, actor, ActivityKind::VersionSaved, Some(&prompt.name), details).await?;
    Ok(version)
}

/// Writes one version row; the caller has checked its content and chosen its number.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_version(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
    status: Status,
    body: &Body,
    config: &Config,
    message: &str,
) -> Result<()> {
    sqlx::query(
        "insert into versions (prompt_id, number, status, source, config, variables, message, author_id, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(prompt.id)
    .bind(number.get())
    .bind(status.as_str())
    .bind(content::stored_source(body))
    .bind(content::stored_config(config))
    .bind(content::stored_variables(body))
    .bind(message)
    .bind(actor.account_id)
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Why live cannot be rolled back to version `number`, if it cannot: rollback goes to a
/// published version older than live (forward is a promote).
pub(crate) fn roll_back_refusal(
    prompt: &str,
    live: Option<VersionNumber>,
    status: Status,
    number: VersionNumber,
) -> Option<VaultError> {
    let Some(live) = live else {
        let message = format!("{prompt} has no live version to roll back from");
        return Some(VaultError::conflict(Conflict::NothingLive, message));
    };
    if status == Status::Draft {
        let message =
            format!("{number} is a draft; roll back only to a published version (promote a draft instead)");
        return Some(VaultError::conflict(Conflict::NotPublished, message));
    }
    if number >= live {
        let message = format!(
            "roll back to a version older than the live {live}; to move live forward, promote {number}"
        );
        return Some(VaultError::conflict(Conflict::NotOlder, message));
    }
    None
}

/// Refuses a direct promote or rollback the workspace's `live_changes` does not allow: only
/// admins (403), or every change by review (409 `review_required`).
async fn directly(tx: &mut Transaction<'_, Any>, actor: &Actor) -> Result<()> {
    let rule = settings::live_changes(tx, actor.workspace_id).await?;
    actor.require_live_right(rule)?;
    if rule == LiveChanges::Review {
        return Err(VaultError::conflict(
            Conflict::ReviewRequired,
            "this workspace reviews every change to live: request it, and another member approves it",
        ));
    }
    Ok(())
}

/// Makes version `number` live (publishing a draft); nothing changes if it is live already.
pub(crate) async fn promote_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
    requested_by: Option<&Requester>,
) -> Result<()> {
    let version = find_version(tx, prompt, number).await?;
    if prompt.live == Some(number) {
        return Ok(());
    }
    if version.status == Status::Draft {
        sqlx::query("update versions set status = 'live' where prompt_id = $1 and number = $2")
            .bind(prompt.id)
            .bind(number.get())
            .execute(&mut **tx)
            .await?;
    }
    move_pointer(tx, actor, prompt, Channel::Live, Some(number), EventKind::VersionPromoted, requested_by)
        .await
}

/// Points staging at version `to`, or clears it with `None`; the caller has checked that
/// staging is enabled and that `to` is not where staging points already.
pub(crate) async fn stage_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    to: Option<VersionNumber>,
) -> Result<()> {
    move_pointer(tx, actor, prompt, Channel::Staging, to, EventKind::StagingChanged, None).await
}

/// Points live back at older published version `number`; returns that version.
pub(crate) async fn roll_back_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
    requested_by: Option<&Requester>,
) -> Result<Version> {
    let version = find_version(tx, prompt, number).await?;
    if let Some(refusal) = roll_back_refusal(&prompt.name, prompt.live, version.status, number) {
        return Err(refusal);
    }
    move_pointer(tx, actor, prompt, Channel::Live, Some(number), EventKind::VersionRolledBack, requested_by)
        .await?;
    Ok(version)
}

/// What the rules let `actor` do with version `number` (of `status`) of `prompt` right now:
/// the actions the dashboard offers. The operations refuse everything else.
pub fn offered(
    actor: &Actor,
    prompt: &PromptState,
    settings: Settings,
    status: Status,
    number: VersionNumber,
) -> Offered {
    let staging_enabled = settings.staging_enabled;
    let may_edit = actor.role.may(Permission::EditPrompts);
    // Under review, promote and rollback are offered as requests.
    let may_change_live = actor.role.may_change_live(settings.live_changes);
    let draft = status == Status::Draft;
    // A draft under an open request is frozen until the request is decided (deleting it
    // makes the request stale).
    let frozen = prompt.under_review.contains(&number);
    let roll_back = roll_back_refusal(&prompt.name, prompt.live, status, number).is_none();
    let staged = prompt.staging == Some(number);
    Offered {
        edit: may_edit && draft && !frozen,
        delete: may_edit && draft,
        // Older published versions are offered a rollback instead, which says what it does.
        promote: may_change_live && prompt.live != Some(number) && !roll_back,
        roll_back: may_change_live && roll_back,
        stage: may_edit && staging_enabled && !staged,
        unstage: may_edit && staging_enabled && staged,
        by_request: settings.live_changes == LiveChanges::Review,
    }
}

fn channel_from_db(raw: &str) -> Result<Channel> {
    Channel::parse(raw).ok_or_else(|| VaultError::Internal(format!("unknown channel {raw:?}").into()))
}

/// The prompt named `name` in the actor's workspace; prompts of other workspaces do not
/// exist as far as the actor can tell.
pub(crate) async fn find_prompt(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
) -> Result<PromptRow> {
    prompt_row(tx, actor, name, "").await
}

/// [`find_prompt`] for a change to the prompt: its row is held until the transaction ends,
/// so two instances changing the same prompt take turns, each seeing the other's result
/// (its pointers, its next number). Taken before anything else the change writes.
pub(crate) async fn lock_prompt(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
) -> Result<PromptRow> {
    let lock = crate::db::row_lock(tx);
    prompt_row(tx, actor, name, lock).await
}

async fn prompt_row(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
    lock: &'static str,
) -> Result<PromptRow> {
    let name = PromptName::parse(name)?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "select id, name, kind, live_number, staging_number from prompts where workspace_id = $1 and name = $2{lock}"
    )))
    .bind(actor.workspace_id)
    .bind(name.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| VaultError::NotFound(format!("no prompt named {name}")))?;
    Ok(PromptRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: content::kind_from_db(&row.try_get::<String, _>("kind")?)?,
        live: optional_number(&row, "live_number")?,
        staging: optional_number(&row, "staging_number")?,
    })
}

pub(crate) async fn find_version(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    number: VersionNumber,
) -> Result<Version> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "select {VERSION_COLUMNS} from versions v join accounts m on m.id = v.author_id \
         where v.prompt_id = $1 and v.number = $2"
    )))
    .bind(prompt.id)
    .bind(number.get())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| VaultError::NotFound(format!("{} has no version {number}", prompt.name)))?;
    version_from_row(&row)
}

/// The prompt's newest version (by number), draft or published; `None` before its first.
pub(crate) async fn newest_version(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
) -> Result<Option<Version>> {
    let newest: Option<i64> = sqlx::query_scalar("select max(number) from versions where prompt_id = $1")
        .bind(prompt.id)
        .fetch_one(&mut **tx)
        .await?;
    match newest {
        Some(n) => Ok(Some(find_version(tx, prompt, number_from_db(n)?).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn workspace_staging_enabled(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
) -> Result<bool> {
    let enabled: i64 = sqlx::query_scalar("select staging_enabled from workspaces where id = $1")
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(enabled != 0)
}

async fn state_of(tx: &mut Transaction<'_, Any>, actor: &Actor, prompt: &PromptRow) -> Result<PromptState> {
    let versions: i64 = sqlx::query_scalar("select count(*) from versions where prompt_id = $1")
        .bind(prompt.id)
        .fetch_one(&mut **tx)
        .await?;
    let staging_enabled = workspace_staging_enabled(tx, actor.workspace_id).await?;
    let under_review = reviews::drafts_under_review(&mut **tx, actor.workspace_id, Some(prompt.id)).await?;
    Ok(PromptState {
        name: prompt.name.clone(),
        kind: prompt.kind,
        live: prompt.live,
        staging: prompt.staging.filter(|_| staging_enabled),
        versions,
        under_review: under_review.into_values().next().unwrap_or_default(),
    })
}

async fn touch(tx: &mut Transaction<'_, Any>, prompt: &PromptRow) -> Result<()> {
    sqlx::query("update prompts set updated_at = $1 where id = $2")
        .bind(Timestamp::now().0)
        .bind(prompt.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves one pointer and records the move (who, when, from, to) in the same transaction.
/// The member whose request a pointer move applies (its approver is the actor).
#[derive(Debug, Clone)]
pub(crate) struct Requester {
    pub account_id: i64,
    pub name: String,
    pub email: String,
}

async fn move_pointer(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    channel: Channel,
    to: Option<VersionNumber>,
    kind: EventKind,
    requested_by: Option<&Requester>,
) -> Result<()> {
    let (column, from) = match channel {
        Channel::Live => ("live_number", prompt.live),
        Channel::Staging => ("staging_number", prompt.staging),
    };
    let now = Timestamp::now().0;
    sqlx::query(AssertSqlSafe(format!("update prompts set {column} = $1, updated_at = $2 where id = $3")))
        .bind(to.map(VersionNumber::get))
        .bind(now)
        .bind(prompt.id)
        .execute(&mut **tx)
        .await?;
    let event_id = events::new_event_id();
    sqlx::query(
        "insert into pointer_moves (prompt_id, channel, from_number, to_number, actor_id, at, event_id, requested_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(prompt.id)
    .bind(channel.as_str())
    .bind(from.map(VersionNumber::get))
    .bind(to.map(VersionNumber::get))
    .bind(actor.account_id)
    .bind(now)
    .bind(&event_id)
    .bind(requested_by.map(|r| r.account_id))
    .execute(&mut **tx)
    .await?;
    let version = match to {
        Some(n) => Some(find_version(tx, prompt, n).await?),
        None => None,
    };
    let previous = match from {
        Some(n) => Some(find_version(tx, prompt, n).await?),
        None => None,
    };
    let mut details = json!({
        "channel": channel.as_str(),
        "from": from.map(VersionNumber::label),
        "to": to.map(VersionNumber::label),
        "event_id": event_id,
    });
    if let Some(requester) = requested_by {
        details["requested_by"] = json!(requester.name);
    }
    let activity_kind = match kind {
        EventKind::VersionPromoted => ActivityKind::VersionPromoted,
        EventKind::VersionRolledBack => ActivityKind::VersionRolledBack,
        _ => ActivityKind::StagingChanged,
    };
    activity::record(tx, actor, activity_kind, Some(&prompt.name), details).await?;
    let change = events::Change {
        id: event_id,
        kind,
        prompt: Some(&prompt.name),
        version: version.as_ref(),
        previous: previous.as_ref(),
        extra: requested_by.map(|r| ("requested_by", json!({ "name": r.name, "email": r.email }))),
    };
    events::record(tx, actor, change, None).await
}
