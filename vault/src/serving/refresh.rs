//! Refreshing the read model: what one prompt serves, rebuilt from the database after a
//! change (its labels, their rollouts' splits, and a draft's references resolved against
//! the workspace as it is now), then the same for each prompt whose served draft includes it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::Row;

use crate::Result;
use crate::composition::{self, When};
use crate::db::Db;
use crate::error::VaultError;
use crate::names::LabelName;
use crate::serving::entry::PromptEntry;
use crate::serving::model::{Model, ReadModel};
use crate::serving::rendering::{serve, version_row};
use crate::serving::updates::Update;
use crate::version::{Status, Version};

impl Model {
    /// The prompts of workspace `workspace_id` that serve a draft including prompt `name`.
    fn draft_dependents(&self, workspace_id: i64, name: &str) -> Vec<i64> {
        let Some(prompts) = self.prompts.get(&workspace_id) else { return Vec::new() };
        prompts
            .values()
            .filter(|entry| entry.includes.iter().any(|n| &**n == name))
            .map(|entry| entry.id)
            .collect()
    }
}

impl ReadModel {
    /// Rebuilds what prompt `id` serves from the database (a prompt that is not there has
    /// nothing to serve), as of change-feed revision `revision`: what changed for a kind of
    /// key is marked changed then, and open streams are told. Then the same for each prompt
    /// that serves a draft including it (a draft resolves its references when read), level
    /// by level, each once.
    pub async fn refresh_prompt(&self, db: &Db, id: i64, revision: i64) -> Result<()> {
        let mut waiting = vec![id];
        let mut done = HashSet::new();
        while let Some(id) = waiting.pop() {
            if !done.insert(id) {
                continue;
            }
            if let Some((workspace_id, name)) = self.refresh_one(db, id, revision).await? {
                waiting.extend(self.lock_read().draft_dependents(workspace_id, &name));
            }
        }
        Ok(())
    }

    /// Rebuilds what prompt `id` serves; its workspace and name, if it is there.
    async fn refresh_one(&self, db: &Db, id: i64, revision: i64) -> Result<Option<(i64, String)>> {
        let _one_at_a_time = self.refreshing.lock().await;
        let row = sqlx::query(
            "select p.workspace_id, p.name, p.live_number, p.staging_number, w.staging_enabled \
             from prompts p join workspaces w on w.id = p.workspace_id where p.id = $1",
        )
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let workspace_id: i64 = row.try_get("workspace_id")?;
        let name: String = row.try_get("name")?;
        let staging_enabled = row.try_get::<i64, _>("staging_enabled")? != 0;
        // The prompts its drafts include, served or not: when one changes, they are read anew.
        let includes = std::sync::Mutex::new(Vec::new());
        // The labels a rollout splits: each label's response carries its split.
        let splits: HashMap<String, crate::prompts::splits::Split> =
            crate::prompts::splits::splits_of(db, id).await?.into_iter().collect();
        let split_json = |label: &str| {
            splits.get(label).map(|split| types::rollouts::SplitJson {
                from: split.from.label(),
                to: split.to.label(),
                percent: types::rollouts::percent(split.basis_points),
                seed: split.seed.clone(),
            })
        };
        let served = |number: Option<i64>, label: Arc<str>| {
            let name = name.clone();
            let includes = &includes;
            let split = split_json(&label);
            async move {
                let Some(number) = number else { return Ok::<_, VaultError>(None) };
                let version = version_row(db, id, number).await?.ok_or(sqlx::Error::RowNotFound)?;
                if version.status == Status::Draft {
                    let names = crate::content::references_of(&version.body, &name).unwrap_or_default();
                    let mut includes = includes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    includes.extend(names.into_iter().map(|r| Arc::<str>::from(r.name.as_str())));
                }
                let Some(version) = resolved_draft(db, id, &name, version).await? else { return Ok(None) };
                Ok(Some(Arc::new(serve(&name, version, &label, split.as_ref())?)))
            }
        };
        let live = served(row.try_get("live_number")?, Arc::from(LabelName::LIVE)).await?;
        let staging_number = row.try_get::<Option<i64>, _>("staging_number")?.filter(|_| staging_enabled);
        let staging = served(staging_number, Arc::from(LabelName::STAGING)).await?;
        let mut own = HashMap::new();
        let labelled = sqlx::query(
            "select l.name, pl.number from prompt_labels pl join labels l on l.id = pl.label_id where pl.prompt_id = $1",
        )
        .bind(id)
        .fetch_all(&db.read)
        .await?;
        for row in &labelled {
            let label: Arc<str> = Arc::from(row.try_get::<String, _>("name")?.as_str());
            if let Some(served) = served(Some(row.try_get("number")?), label.clone()).await? {
                own.insert(label, served);
            }
        }
        let mut split_served = HashMap::new();
        for (label, split) in &splits {
            let label: Arc<str> = Arc::from(label.as_str());
            if let Some(to) = served(Some(split.to.get()), label.clone()).await? {
                let (basis_points, seed) = (split.basis_points, split.seed.clone());
                let from = split.from.get();
                split_served
                    .insert(label, crate::serving::entry::SplitServed { to, from, basis_points, seed });
            }
        }
        let latest_number: Option<i64> =
            sqlx::query_scalar("select max(number) from versions where prompt_id = $1 and status = 'live'")
                .bind(id)
                .fetch_one(&db.read)
                .await?;
        let latest = match &live {
            Some(live) if Some(live.version.number.get()) == latest_number => Some(live.version.clone()),
            _ => {
                served(latest_number, Arc::from(LabelName::LIVE)).await?.map(|served| served.version.clone())
            }
        };
        let order = crate::prompts::label_order(&db.read, id)
            .await?
            .into_iter()
            .map(|l| Arc::from(l.as_str()))
            .collect();
        let tags = crate::prompts::tags_of(&db.read, Some(id), workspace_id)
            .await?
            .remove(&name)
            .unwrap_or_default();
        let mut entry = PromptEntry {
            id,
            live,
            staging,
            own,
            latest,
            order,
            tags,
            includes: Vec::new(),
            splits: split_served,
            changed: HashMap::new(),
            since: revision,
        };
        entry.includes = includes.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        entry.includes.sort_unstable();
        entry.includes.dedup();
        let mut model = self.lock_write();
        model.unpublished.retain(|(prompt, _)| *prompt != id);
        let prompts = model.prompts.entry(workspace_id).or_default();
        let changed = match prompts.get(&name) {
            Some(old) => entry.keep_unchanged(old),
            None => true,
        };
        prompts.insert(name.clone(), entry);
        drop(model);
        if changed {
            self.updates.send(Update::Prompt { workspace_id, name: Arc::from(name.as_str()) });
        }
        Ok(Some((workspace_id, name)))
    }
}

/// `version` as a label serves it: a draft with its references resolved against the
/// workspace as it is now; `None` (logged) when one no longer resolves (its prompt or label
/// is gone, or it became a cycle), so that the label serves nothing rather than the tags.
/// A published version was resolved when it was published.
async fn resolved_draft(
    db: &Db,
    prompt_id: i64,
    name: &str,
    mut version: Version,
) -> Result<Option<Version>> {
    if version.status == Status::Published {
        return Ok(Some(version));
    }
    let mut conn = db.read.acquire().await?;
    match composition::compose(&mut conn, prompt_id, name, &version.body, When::Reading).await {
        Ok(composed) => {
            composed.into_version(&mut version);
            Ok(Some(version))
        }
        // A refusal (a reference that does not resolve, a text too large), not a fault.
        Err(refused) if refused.status() < 500 => {
            tracing::warn!(prompt = name, version = %version.number, %refused, "a draft's references do not resolve; not served");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
