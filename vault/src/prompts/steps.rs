//! The steps a change to a prompt is made of, each inside the caller's transaction: find
//! or lock the prompt, create it, save a version, move a pointer. The prompt operations,
//! reviews, pushes and imports compose them.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::Result;
use crate::access::Actor;
use crate::activity::{self, ActivityKind};
use crate::content::{self, Body, Config, PromptType};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::names::{self, LabelName, PromptName, Tags, VersionNumber};
use crate::prompts::model::{NewDraft, PromptRow, PromptState, with_built_ins};
use crate::requests;
use crate::version::{Status, VERSION_COLUMNS, Version, number_from_db, version_from_row};

pub(crate) fn optional_number(row: &AnyRow, column: &str) -> Result<Option<VersionNumber>> {
    row.try_get::<Option<i64>, _>(column)?.map(number_from_db).transpose()
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

pub(crate) async fn state_of(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
) -> Result<PromptState> {
    let versions: i64 = sqlx::query_scalar("select count(*) from versions where prompt_id = $1")
        .bind(prompt.id)
        .fetch_one(&mut **tx)
        .await?;
    let staging_enabled = workspace_staging_enabled(tx, actor.workspace_id).await?;
    let under_review = requests::drafts_under_review(&mut **tx, actor.workspace_id, Some(prompt.id)).await?;
    let staging = prompt.staging.filter(|_| staging_enabled);
    let own = own_labels_of(tx, prompt.id).await?;
    let tags = tags_of(&mut **tx, Some(prompt.id), actor.workspace_id)
        .await?
        .remove(&prompt.name)
        .unwrap_or_default();
    Ok(PromptState {
        tags,
        name: prompt.name.clone(),
        kind: prompt.kind,
        live: prompt.live,
        staging,
        labels: with_built_ins(prompt.live, staging, own),
        versions,
        under_review: under_review.into_values().next().unwrap_or_default(),
    })
}

/// Where each of the workspace's own labels points on prompt `prompt_id`.
pub(crate) async fn own_labels_of(
    tx: &mut Transaction<'_, Any>,
    prompt_id: i64,
) -> Result<BTreeMap<LabelName, VersionNumber>> {
    let rows = sqlx::query(
        "select l.name, pl.number from prompt_labels pl join labels l on l.id = pl.label_id where pl.prompt_id = $1",
    )
    .bind(prompt_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut labels = BTreeMap::new();
    for row in &rows {
        if let Some(number) = optional_number(row, "number")? {
            labels.insert(LabelName::parse(&row.try_get::<String, _>("name")?)?, number);
        }
    }
    Ok(labels)
}

/// Where the workspace's own labels point, by prompt name: for the list of prompts.
pub(crate) async fn own_labels_in<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    workspace_id: i64,
) -> Result<std::collections::HashMap<String, BTreeMap<LabelName, VersionNumber>>> {
    let rows = sqlx::query(
        "select p.name as prompt, l.name, pl.number from prompt_labels pl join labels l on l.id = pl.label_id \
         join prompts p on p.id = pl.prompt_id where p.workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    let mut labels: std::collections::HashMap<String, BTreeMap<LabelName, VersionNumber>> =
        Default::default();
    for row in &rows {
        if let Some(number) = optional_number(row, "number")? {
            let name = LabelName::parse(&row.try_get::<String, _>("name")?)?;
            labels.entry(row.try_get("prompt")?).or_default().insert(name, number);
        }
    }
    Ok(labels)
}

/// Every label ever moved on prompt `prompt_id`, most recently moved first: Langfuse lists a
/// version's labels newest first (a write moves the labels it names in reverse, so that
/// the first it names comes first).
pub(crate) async fn label_order<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    prompt_id: i64,
) -> Result<Vec<String>> {
    let labels = sqlx::query_scalar(
        "select label from pointer_moves where prompt_id = $1 group by label order by max(id) desc",
    )
    .bind(prompt_id)
    .fetch_all(db)
    .await?;
    Ok(labels)
}

/// The tags of prompt `prompt_id`, or of every prompt of workspace `workspace_id`, by
/// prompt name, each in its order.
pub(crate) async fn tags_of<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    prompt_id: Option<i64>,
    workspace_id: i64,
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let rows = sqlx::query(
        "select p.name, t.tag from prompt_tags t join prompts p on p.id = t.prompt_id \
         where p.workspace_id = $1 and ($2 = 0 or p.id = $2) order by p.name, t.position",
    )
    .bind(workspace_id)
    .bind(prompt_id.unwrap_or(0))
    .fetch_all(db)
    .await?;
    let mut tags: std::collections::HashMap<String, Vec<String>> = Default::default();
    for row in &rows {
        tags.entry(row.try_get("name")?).or_default().push(row.try_get("tag")?);
    }
    Ok(tags)
}

/// Gives the prompt exactly `tags`, recording the change; nothing when they are its tags.
pub(crate) async fn set_tags_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    tags: &Tags,
) -> Result<bool> {
    let current = tags_of(&mut **tx, Some(prompt.id), actor.workspace_id).await?.remove(&prompt.name);
    if current.unwrap_or_default() == tags.as_slice() {
        return Ok(false);
    }
    sqlx::query("delete from prompt_tags where prompt_id = $1").bind(prompt.id).execute(&mut **tx).await?;
    for (position, tag) in tags.as_slice().iter().enumerate() {
        sqlx::query("insert into prompt_tags (prompt_id, tag, position) values ($1, $2, $3)")
            .bind(prompt.id)
            .bind(tag)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
    }
    touch(tx, prompt).await?;
    let details = json!({ "tags": tags.as_slice() });
    activity::record(tx, actor, ActivityKind::PromptTagged, Some(&prompt.name), details).await?;
    Ok(true)
}

pub(crate) async fn touch(tx: &mut Transaction<'_, Any>, prompt: &PromptRow) -> Result<()> {
    sqlx::query("update prompts set updated_at = $1 where id = $2")
        .bind(Timestamp::now().0)
        .bind(prompt.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
