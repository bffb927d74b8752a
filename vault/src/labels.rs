//! Labels: a prompt's named pointers. `live` and `staging` are built in (the prompt's own
//! two pointers, with today's rules); a workspace adds its own (`eu`, `canary`, `qa`…), each
//! *protected* (published versions only) or a *preview* (drafts too), with a change rule and
//! a fallback for its keys. Here: what a label is, finding one by name, and the operations
//! on the workspace's labels. Moving a label is a prompt operation (`prompts`).

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, ChangeRule, Permission};
use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::names::LabelName;
use crate::quotas::{Quota, Room};
use crate::settings::{self, SettingsPatch};
use crate::{Result, Vault};

pub use types::Fallback;

/// A label and its rules, as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub name: LabelName,
    /// Points only at published versions: moving it to a draft publishes the draft.
    pub protected: bool,
    /// Who moves it.
    pub rule: ChangeRule,
    /// What its keys read where it points at no version of a prompt.
    pub fallback: Option<Fallback>,
    /// `live` and `staging`, whose fields are fixed (live's rule is `live_changes`).
    pub built_in: bool,
    /// How many keys (not revoked) read it.
    pub keys: i64,
}

impl Label {
    /// `live`: protected, moved under the workspace's `live_changes`, no fallback.
    fn live(rule: ChangeRule) -> Label {
        Label { name: LabelName::live(), protected: true, rule, fallback: None, built_in: true, keys: 0 }
    }

    /// `staging`: a preview moved by editors, its keys falling back to live.
    fn staging() -> Label {
        Label {
            name: LabelName::staging(),
            protected: false,
            rule: ChangeRule::Editors,
            fallback: Some(Fallback::Live),
            built_in: true,
            keys: 0,
        }
    }
}

/// Where a label's pointer is kept: the prompt's live or staging column, or a row of the
/// workspace's own label `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pointer {
    Live,
    Staging,
    Own(i64),
}

/// A label found by name: where its pointer is, and its rules.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub pointer: Pointer,
    pub label: Label,
}

/// A new label of the workspace's own.
#[derive(Debug, Clone)]
pub struct NewLabel {
    pub name: String,
    pub protected: bool,
    pub rule: ChangeRule,
    pub fallback: Option<Fallback>,
}

impl NewLabel {
    /// A label as a write that first names it makes it (as Langfuse's labels are):
    /// protected, moved by editors, no fallback.
    pub fn first_used(name: &LabelName) -> NewLabel {
        NewLabel { name: name.to_string(), protected: true, rule: ChangeRule::Editors, fallback: None }
    }
}

/// A change to a label: what is given replaces what was.
#[derive(Debug, Clone, Default)]
pub struct LabelPatch {
    pub protected: Option<bool>,
    pub rule: Option<ChangeRule>,
    /// `Some(None)` removes the fallback.
    pub fallback: Option<Option<Fallback>>,
}

const LABEL_COLUMNS: &str = "select l.id, l.name, l.protected, l.rule, l.fallback from labels l";

/// The label named `name` in workspace `workspace_id`.
pub(crate) async fn find_label(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
    name: &LabelName,
) -> Result<Found> {
    match name.as_str() {
        LabelName::LIVE => {
            let rule = settings::live_changes(tx, workspace_id).await?;
            return Ok(Found { pointer: Pointer::Live, label: Label::live(rule) });
        }
        LabelName::STAGING => return Ok(Found { pointer: Pointer::Staging, label: Label::staging() }),
        _ => {}
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{LABEL_COLUMNS} where l.workspace_id = $1 and l.name = $2"
    )))
    .bind(workspace_id)
    .bind(name.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| VaultError::NotFound(format!("no label named {name} in this workspace")))?;
    let (id, label) = label_from_row(&row)?;
    Ok(Found { pointer: Pointer::Own(id), label })
}

/// The label named `name`, made as [`NewLabel::first_used`] if the workspace has none of
/// that name: a write through the Langfuse API, a push or an import may name a new label.
/// The caller took `room` (the workspace's labels quota) first in its transaction.
pub(crate) async fn find_or_make_label(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &LabelName,
    room: &mut Room,
) -> Result<Found> {
    match find_label(tx, actor.workspace_id, name).await {
        Err(VaultError::NotFound(_)) => {
            room.take(1)?;
            let label = make_label(tx, actor, NewLabel::first_used(name)).await?;
            find_label(tx, actor.workspace_id, &label.name).await
        }
        found => found,
    }
}

fn label_from_row(row: &sqlx::any::AnyRow) -> Result<(i64, Label)> {
    let name = LabelName::parse(&row.try_get::<String, _>("name")?)?;
    let fallback = match row.try_get::<Option<String>, _>("fallback")? {
        Some(raw) => Some(Fallback::parse(&raw)?),
        None => None,
    };
    let label = Label {
        name,
        protected: row.try_get::<i64, _>("protected")? != 0,
        rule: ChangeRule::parse(&row.try_get::<String, _>("rule")?)?,
        fallback,
        built_in: false,
        keys: 0,
    };
    Ok((row.try_get("id")?, label))
}

/// How many keys (not revoked) of the workspace read label `name`: those naming it, and for
/// `live` and `staging` the keys of the kind that reads it.
async fn keys_reading(tx: &mut Transaction<'_, Any>, workspace_id: i64, name: &LabelName) -> Result<i64> {
    let by_kind = match name.as_str() {
        LabelName::LIVE => "live",
        LabelName::STAGING => "test",
        _ => "",
    };
    let count = sqlx::query_scalar(
        "select count(*) from api_keys where workspace_id = $1 and revoked_at is null \
         and (label = $2 or (label is null and kind = $3))",
    )
    .bind(workspace_id)
    .bind(name.as_str())
    .bind(by_kind)
    .fetch_one(&mut **tx)
    .await?;
    Ok(count)
}

/// Inserts a new label of the workspace's own; the caller took its room.
async fn make_label(tx: &mut Transaction<'_, Any>, actor: &Actor, new: NewLabel) -> Result<Label> {
    let name = LabelName::parse_new(&new.name)?;
    let taken: i64 = sqlx::query_scalar("select count(*) from labels where workspace_id = $1 and name = $2")
        .bind(actor.workspace_id)
        .bind(name.as_str())
        .fetch_one(&mut **tx)
        .await?;
    if taken > 0 {
        return Err(VaultError::conflict(
            Conflict::AlreadyExists,
            format!("a label named {name} exists already"),
        ));
    }
    sqlx::query(
        "insert into labels (workspace_id, name, protected, rule, fallback, created_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor.workspace_id)
    .bind(name.as_str())
    .bind(i64::from(new.protected))
    .bind(new.rule.as_str())
    .bind(new.fallback.map(Fallback::as_str))
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await?;
    let label = Label {
        name,
        protected: new.protected,
        rule: new.rule,
        fallback: new.fallback,
        built_in: false,
        keys: 0,
    };
    activity::record(tx, actor, ActivityKind::LabelCreated, None, details(&label)).await?;
    Ok(label)
}

fn details(label: &Label) -> serde_json::Value {
    json!({
        "label": label.name.as_str(),
        "protected": label.protected,
        "rule": label.rule.as_str(),
        "fallback": label.fallback.map(Fallback::as_str),
    })
}

impl Vault {
    /// The workspace's labels: `live`, `staging`, then its own by name, each with how many
    /// keys read it.
    pub async fn labels(&self, actor: &Actor) -> Result<Vec<Label>> {
        actor.require(Permission::Read)?;
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let rule = settings::live_changes(&mut tx, actor.workspace_id).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LABEL_COLUMNS} where l.workspace_id = $1 order by l.name"
        )))
        .bind(actor.workspace_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut labels = vec![Label::live(rule), Label::staging()];
        for row in &rows {
            labels.push(label_from_row(row)?.1);
        }
        for label in &mut labels {
            label.keys = keys_reading(&mut tx, actor.workspace_id, &label.name).await?;
        }
        Ok(labels)
    }

    /// One label by name.
    pub async fn label(&self, actor: &Actor, name: &str) -> Result<Label> {
        actor.require(Permission::Read)?;
        let name = LabelName::parse(name)?;
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let mut label = find_label(&mut tx, actor.workspace_id, &name).await?.label;
        label.keys = keys_reading(&mut tx, actor.workspace_id, &name).await?;
        Ok(label)
    }

    /// Adds a label of the workspace's own (admins and owners).
    pub async fn create_label(&self, actor: &Actor, new: NewLabel) -> Result<Label> {
        actor.require(Permission::Administer)?;
        let mut tx = self.db.write.begin().await?;
        let mut room = self.room(&mut tx, Quota::LabelsPerWorkspace, actor.workspace_id).await?;
        room.take(1)?;
        let label = make_label(&mut tx, actor, new).await?;
        tx.commit().await?;
        Ok(label)
    }

    /// Changes a label's rules (admins and owners). `live` takes a new rule only (the
    /// `live_changes` setting); `staging`'s fields are fixed. Protecting a label refuses
    /// while it points at a draft anywhere.
    pub async fn update_label(&self, actor: &Actor, name: &str, patch: LabelPatch) -> Result<Label> {
        actor.require(Permission::Administer)?;
        let name = LabelName::parse(name)?;
        if name.is_built_in() {
            return self.update_built_in(actor, &name, patch).await;
        }
        let mut tx = self.db.write.begin().await?;
        let found = find_label(&mut tx, actor.workspace_id, &name).await?;
        let Pointer::Own(id) = found.pointer else { unreachable!("a label of the workspace's own") };
        let mut label = found.label;
        if patch.protected == Some(true) && !label.protected {
            refuse_protecting_over_drafts(&mut tx, id, &name).await?;
        }
        label.protected = patch.protected.unwrap_or(label.protected);
        label.rule = patch.rule.unwrap_or(label.rule);
        label.fallback = patch.fallback.unwrap_or(label.fallback);
        sqlx::query("update labels set protected = $1, rule = $2, fallback = $3 where id = $4")
            .bind(i64::from(label.protected))
            .bind(label.rule.as_str())
            .bind(label.fallback.map(Fallback::as_str))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        activity::record(&mut tx, actor, ActivityKind::LabelChanged, None, details(&label)).await?;
        label.keys = keys_reading(&mut tx, actor.workspace_id, &name).await?;
        tx.commit().await?;
        // Its keys' fallback may have changed.
        self.follow_changes().await;
        Ok(label)
    }

    async fn update_built_in(&self, actor: &Actor, name: &LabelName, patch: LabelPatch) -> Result<Label> {
        let fixed = if name.as_str() == LabelName::LIVE { "protected and fallback" } else { "fields" };
        let rule_fixed = name.as_str() == LabelName::STAGING && patch.rule.is_some();
        if patch.protected.is_some() || patch.fallback.is_some() || rule_fixed {
            let field = if patch.protected.is_some() {
                "protected"
            } else if rule_fixed {
                "rule"
            } else {
                "fallback"
            };
            return Err(VaultError::invalid(field, format!("{name} is built in: its {fixed} are fixed")));
        }
        if let Some(rule) = patch.rule {
            self.update_settings(
                actor,
                SettingsPatch { live_changes: Some(rule), ..SettingsPatch::default() },
            )
            .await?;
        }
        self.label(actor, name.as_str()).await
    }

    /// Deletes a label of the workspace's own (admins and owners): its pointers go with it.
    /// Refused while keys read it, unless `revoke_keys`, which revokes them in the same
    /// transaction.
    pub async fn delete_label(&self, actor: &Actor, name: &str, revoke_keys: bool) -> Result<()> {
        actor.require(Permission::Administer)?;
        let name = LabelName::parse(name)?;
        if name.is_built_in() {
            return Err(VaultError::invalid("label", format!("{name} is built in and cannot be deleted")));
        }
        let mut tx = self.db.write.begin().await?;
        let found = find_label(&mut tx, actor.workspace_id, &name).await?;
        let Pointer::Own(id) = found.pointer else { unreachable!("a label of the workspace's own") };
        let keys = keys_reading(&mut tx, actor.workspace_id, &name).await?;
        if keys > 0 && !revoke_keys {
            return Err(VaultError::conflict(
                Conflict::LabelInUse,
                format!(
                    "{keys} API key(s) read {name}: revoke them first, or delete the label with its keys"
                ),
            ));
        }
        sqlx::query("update api_keys set revoked_at = $1 where workspace_id = $2 and label = $3 and revoked_at is null")
            .bind(Timestamp::now().0)
            .bind(actor.workspace_id)
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
        let pointers =
            sqlx::query("delete from prompt_labels where label_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("delete from labels where id = $1").bind(id).execute(&mut *tx).await?;
        let details = json!({
            "label": name.as_str(),
            "prompts": pointers.rows_affected(),
            "keys_revoked": keys,
        });
        activity::record(&mut tx, actor, ActivityKind::LabelDeleted, None, details).await?;
        tx.commit().await?;
        self.follow_changes().await;
        Ok(())
    }
}

/// Refuses to protect label `id` while it points at a draft of some prompt, naming them.
async fn refuse_protecting_over_drafts(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    name: &LabelName,
) -> Result<()> {
    let prompts: Vec<String> = sqlx::query_scalar(
        "select p.name from prompt_labels pl join prompts p on p.id = pl.prompt_id \
         join versions v on v.prompt_id = pl.prompt_id and v.number = pl.number \
         where pl.label_id = $1 and v.status = 'draft' order by p.name limit 5",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    if prompts.is_empty() {
        return Ok(());
    }
    Err(VaultError::conflict(
        Conflict::NotPublished,
        format!(
            "{name} points at a draft of {}: a protected label points only at published versions; \
             move it off the drafts (or publish them) first",
            prompts.join(", ")
        ),
    ))
}
