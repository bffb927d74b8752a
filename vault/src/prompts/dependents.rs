//! Composition as a prompt's page and the API show it: where a prompt is used (the prompts
//! whose labels' versions include it, and which of its versions each pins), what a published
//! version pins, a text with what it includes in place (the editor's preview), and updating
//! the prompts whose live version pins an older version of it: a new version of each,
//! copied from its live one and pinned anew, as drafts or published in one release (all or
//! nothing, each move recorded and an event like any promote).

use std::collections::BTreeMap;

use sqlx::{Any, Row, Transaction};
use types::{DependentJson, DependentLabelJson, IncludedPart, PinJson, UpdatedDependentJson};

use crate::access::{Actor, Permission};
use crate::composition::{self, When};
use crate::content;
use crate::diff::VersionDiff;
use crate::error::{Conflict, VaultError};
use crate::names::{self, LabelName, VersionNumber};
use crate::prompts::model::{NewDraft, PromptRow};
use crate::prompts::moves::promote_in;
use crate::prompts::steps::{find_prompt, find_version, lock_prompt, save_draft_in};
use crate::quotas::Quota;
use crate::version::number_from_db;
use crate::{Result, Vault};

/// The most prompts one update makes new versions of: all in one transaction.
const MAX_DEPENDENTS_UPDATED: usize = 500;

impl Vault {
    /// The prompts that include prompt `name`: for each, the labels whose version pins a
    /// version of it, and whether its live version pins another than `name`'s live one.
    pub async fn dependents(&self, actor: &Actor, name: &str) -> Result<Vec<DependentJson>> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let piece = find_prompt(&mut tx, actor, name).await?;
        dependents_in(&mut tx, &piece).await
    }

    /// What published version `number` of prompt `name` pins, in the order it was written.
    pub async fn pins(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<Vec<PinJson>> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let pins = composition::pinned(&mut tx, prompt.id, number.get()).await?;
        Ok(pins.into_iter().map(PinJson::from).collect())
    }

    /// `text`, being written for prompt `name` (a text, or one chat message's content), in
    /// pieces: written here, or included (each reference resolved as a draft's is when read,
    /// against the workspace as it is now). Refused (422, naming it) where one does not
    /// resolve.
    pub async fn preview_includes(&self, actor: &Actor, name: &str, text: &str) -> Result<Vec<IncludedPart>> {
        let name = names::PromptName::parse(name)?;
        let found = crate::references::references(names::source(text)?, name.as_str())?;
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name.as_str()).await?;
        let mut parts = Vec::with_capacity(2 * found.len() + 1);
        let mut from = 0;
        for reference in &found {
            parts.push(IncludedPart { text: text[from..reference.span.start].to_owned(), included: None });
            let tag = content::Body::Text(text[reference.span.clone()].to_owned());
            let composed =
                composition::compose(&mut tx, prompt.id, name.as_str(), &tag, When::Reading).await?;
            let included = composed.pins.first().map(|pin| format!("{} v{}", pin.prompt, pin.number));
            let Some(content::Body::Text(resolved)) = composed.resolved else { continue };
            parts.push(IncludedPart { text: resolved, included });
            from = reference.span.end;
        }
        parts.push(IncludedPart { text: text[from..].to_owned(), included: None });
        parts.retain(|part| !part.text.is_empty() || part.included.is_some());
        Ok(parts)
    }

    /// What updating `dependent` to prompt `name`'s live version would change in what it
    /// serves: its live version's resolved text against the same text pinned anew (`from`
    /// and `to` both name its live version), with the pins that would move.
    pub async fn dependent_update_diff(
        &self,
        actor: &Actor,
        name: &str,
        dependent: &str,
    ) -> Result<VersionDiff> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        find_prompt(&mut tx, actor, name).await?;
        let prompt = find_prompt(&mut tx, actor, dependent).await?;
        let live =
            prompt.live.ok_or_else(|| VaultError::NotFound(format!("{dependent} has nothing live")))?;
        let current = find_version(&mut tx, &prompt, live).await?;
        let old_pins = composition::pinned(&mut tx, prompt.id, live.get()).await?;
        let composed =
            composition::compose(&mut tx, prompt.id, &prompt.name, &current.body, When::Publishing).await?;
        let pins = crate::diff::pin_changes(&old_pins, &composed.pins);
        let new = composed.resolved.unwrap_or_else(|| current.body.clone());
        let (diff, messages) = crate::diff::bodies(Some(current.served_body().clone()), new).await?;
        Ok(VersionDiff { from: Some(live), to: live, diff, messages, config: Vec::new(), pins })
    }

    /// Makes a new version of every prompt whose live version pins a version of prompt
    /// `name` other than its live one: a copy of that live version, pinned anew. With
    /// `publish` the new versions go live in the same transaction, under live's change rule
    /// (refused as a whole where the rule is review or the actor may not change live);
    /// without, they are drafts. A dependent that names `name` by version number or by
    /// another label pins what it pinned, and is reported as skipped. All or nothing.
    pub async fn update_dependents(
        &self,
        actor: &Actor,
        name: &str,
        publish: bool,
    ) -> Result<Vec<UpdatedDependentJson>> {
        actor.require(if publish { Permission::ChangeLive } else { Permission::EditPrompts })?;
        let mut tx = self.db.write.begin().await?;
        let mut versions = self.room(&mut tx, Quota::VersionsPerWorkspace, actor.workspace_id).await?;
        let mut bytes = self.room(&mut tx, Quota::BytesPerWorkspace, actor.workspace_id).await?;
        if publish {
            let rule = crate::settings::live_changes(&mut tx, actor.workspace_id).await?;
            actor.require_direct_live_change(rule)?;
        }
        let piece = find_prompt(&mut tx, actor, name).await?;
        let Some(live) = piece.live else {
            return Err(VaultError::conflict(
                Conflict::NothingLive,
                format!(
                    "{name} has nothing live: the prompts that include it are updated to its live version"
                ),
            ));
        };
        let behind: Vec<String> = dependents_in(&mut tx, &piece)
            .await?
            .into_iter()
            .filter(|d| d.behind)
            .map(|d| d.prompt)
            .collect();
        if behind.len() > MAX_DEPENDENTS_UPDATED {
            return Err(VaultError::invalid(
                "prompt",
                format!(
                    "{} prompts include {name}; one update makes at most {MAX_DEPENDENTS_UPDATED}",
                    behind.len()
                ),
            ));
        }
        let live_id = version_id(&mut tx, piece.id, live).await?;
        let mut updated = Vec::with_capacity(behind.len());
        // In name order: two updates lock the prompts they share in the same order.
        for dependent in behind {
            let prompt = lock_prompt(&mut tx, actor, &dependent).await?;
            let Some(from) = prompt.live else { continue };
            let current = find_version(&mut tx, &prompt, from).await?;
            let composed =
                composition::compose(&mut tx, prompt.id, &prompt.name, &current.body, When::Publishing)
                    .await?;
            let mut report = UpdatedDependentJson {
                prompt: prompt.name.clone(),
                from: from.label(),
                to: None,
                published: false,
                skipped: None,
            };
            if !composed.pins.iter().any(|pin| pin.version_id == live_id) {
                report.skipped = Some(format!("it names {name} by a version number or another label"));
                updated.push(report);
                continue;
            }
            versions.take(1)?;
            let message = names::message(&format!("Includes {name} {live}"))?.to_owned();
            let config = Some(serde_json::Value::Object(current.config.clone()));
            let draft = NewDraft { body: current.body.clone().into(), config, message };
            let made = save_draft_in(&mut tx, actor, &prompt, draft).await?;
            bytes.take(content::stored_bytes(&made.body, &made.config))?;
            if publish {
                promote_in(&mut tx, actor, &prompt, made.number, None).await?;
            }
            report.to = Some(made.number.label());
            report.published = publish;
            updated.push(report);
        }
        let changed = updated.iter().any(|u| u.to.is_some());
        self.finish_changes(tx, changed).await?;
        Ok(updated)
    }
}

/// The prompts whose labels' versions pin a version of `piece`, by name: each label (live,
/// staging while enabled, the workspace's own) and what it pins.
async fn dependents_in(tx: &mut Transaction<'_, Any>, piece: &PromptRow) -> Result<Vec<DependentJson>> {
    let rows = sqlx::query(
        "select p.name, 'live' as label, v.number, iv.number as pins \
         from version_pins vp join versions iv on iv.id = vp.included_id \
         join versions v on v.id = vp.version_id join prompts p on p.id = v.prompt_id \
         where iv.prompt_id = $1 and p.live_number = v.number \
         union all \
         select p.name, 'staging' as label, v.number, iv.number as pins \
         from version_pins vp join versions iv on iv.id = vp.included_id \
         join versions v on v.id = vp.version_id join prompts p on p.id = v.prompt_id \
         join workspaces w on w.id = p.workspace_id \
         where iv.prompt_id = $1 and p.staging_number = v.number and w.staging_enabled = 1 \
         union all \
         select p.name, l.name as label, v.number, iv.number as pins \
         from version_pins vp join versions iv on iv.id = vp.included_id \
         join versions v on v.id = vp.version_id join prompts p on p.id = v.prompt_id \
         join prompt_labels pl on pl.prompt_id = p.id and pl.number = v.number join labels l on l.id = pl.label_id \
         where iv.prompt_id = $1",
    )
    .bind(piece.id)
    .fetch_all(&mut **tx)
    .await?;
    let mut by_prompt: BTreeMap<String, DependentJson> = BTreeMap::new();
    for row in &rows {
        let prompt: String = row.try_get("name")?;
        let label: String = row.try_get("label")?;
        let pins = number_from_db(row.try_get("pins")?)?;
        let entry = by_prompt.entry(prompt.clone()).or_insert_with(|| DependentJson {
            prompt,
            labels: Vec::new(),
            behind: false,
        });
        if label == LabelName::LIVE && piece.live.is_some_and(|live| live != pins) {
            entry.behind = true;
        }
        entry.labels.push(DependentLabelJson {
            label,
            version: number_from_db(row.try_get("number")?)?.label(),
            pins: pins.label(),
        });
    }
    for dependent in by_prompt.values_mut() {
        // live first, then staging, then the workspace's own by name
        let rank = |label: &str| match label {
            LabelName::LIVE => 0,
            LabelName::STAGING => 1,
            _ => 2,
        };
        dependent.labels.sort_by(|a, b| (rank(&a.label), &a.label).cmp(&(rank(&b.label), &b.label)));
        dependent.labels.dedup();
    }
    Ok(by_prompt.into_values().collect())
}

async fn version_id(tx: &mut Transaction<'_, Any>, prompt_id: i64, number: VersionNumber) -> Result<i64> {
    Ok(sqlx::query_scalar("select id from versions where prompt_id = $1 and number = $2")
        .bind(prompt_id)
        .bind(number.get())
        .fetch_one(&mut **tx)
        .await?)
}
