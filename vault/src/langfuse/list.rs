//! The Langfuse API's list of prompts: by name, each with the published versions, labels
//! and tags that match the filters, a page at a time, as Langfuse answers it.

use std::collections::HashMap;

use sqlx::{Any, Row, Transaction};
use types::{LangfuseListJson, LangfuseListedJson, LangfusePageJson};

use crate::access::{Actor, Permission};
use crate::content::{self, PromptType};
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::names::{LabelName, VersionNumber};
use crate::prompts::{label_order, tags_of};
use crate::serving::ReadRefused;
use crate::{Result, Vault};

/// The list's filters and page, as the query gives them.
#[derive(Debug, Clone, Default)]
pub struct LangfuseListQuery {
    pub name: Option<String>,
    /// Only versions holding this label (`production` is live, `latest` the newest).
    pub label: Option<String>,
    pub tag: Option<String>,
    pub version: Option<VersionNumber>,
    /// From 1 (the default).
    pub page: Option<i64>,
    /// 1 to 100 (10 by default).
    pub limit: Option<i64>,
    /// Versions updated at or after this time.
    pub from_updated_at: Option<Timestamp>,
    /// Versions updated before this time.
    pub to_updated_at: Option<Timestamp>,
}

/// A published version as the list weighs it.
struct Listed {
    number: i64,
    at: i64,
}

/// A prompt of the workspace and where its built-in labels point.
struct Candidate {
    id: i64,
    name: String,
    kind: PromptType,
    live: Option<i64>,
    staging: Option<i64>,
}

impl Vault {
    /// The list as a member sees it.
    pub async fn langfuse_list(&self, actor: &Actor, query: LangfuseListQuery) -> Result<LangfuseListJson> {
        actor.require(Permission::Read)?;
        self.list_in(actor.workspace_id, query).await
    }

    /// The list as a read key sees it (one read of the key's): the same published versions
    /// a key may read by number.
    pub async fn langfuse_list_for_key(
        &self,
        token: &str,
        query: LangfuseListQuery,
    ) -> std::result::Result<Result<LangfuseListJson>, ReadRefused> {
        let workspace_id = self.serving.key_workspace(token)?;
        Ok(self.list_in(workspace_id, query).await)
    }

    async fn list_in(&self, workspace_id: i64, query: LangfuseListQuery) -> Result<LangfuseListJson> {
        let page = query.page.unwrap_or(1);
        let limit = query.limit.unwrap_or(10);
        if page < 1 {
            return Err(VaultError::invalid("page", "page is 1 or more"));
        }
        if !(1..=100).contains(&limit) {
            return Err(VaultError::invalid("limit", "limit is 1 to 100"));
        }
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let candidates = candidates(&mut tx, workspace_id, &query).await?;
        let mut published = published(&mut tx, workspace_id, &query).await?;
        let own = own_labels(&mut tx, workspace_id).await?;
        let staging_enabled: i64 = sqlx::query_scalar("select staging_enabled from workspaces where id = $1")
            .bind(workspace_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut matching: Vec<(Candidate, Vec<Listed>)> = Vec::new();
        for candidate in candidates {
            let versions = published.remove(&candidate.id).unwrap_or_default();
            let newest = versions.iter().map(|v| v.number).max();
            let holder = |label: &str| match label {
                "production" => candidate.live,
                "staging" => candidate.staging.filter(|_| staging_enabled != 0),
                "latest" => newest,
                other => own.get(&(candidate.id, other.to_owned())).copied(),
            };
            let versions: Vec<Listed> = match &query.label {
                Some(label) => versions.into_iter().filter(|v| holder(label) == Some(v.number)).collect(),
                None => versions,
            };
            if !versions.is_empty() {
                matching.push((candidate, versions));
            }
        }
        let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
        let mut data = Vec::new();
        for (candidate, versions) in
            matching.into_iter().skip(skip).take(usize::try_from(limit).unwrap_or(10))
        {
            data.push(listed(&mut tx, workspace_id, candidate, versions, &own, staging_enabled != 0).await?);
        }
        let meta =
            LangfusePageJson { page, limit, total_items: total, total_pages: (total + limit - 1) / limit };
        Ok(LangfuseListJson { data, meta, pagination: meta })
    }
}

/// The workspace's prompts the name and tag filters keep, by name.
async fn candidates(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
    query: &LangfuseListQuery,
) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(
        "select p.id, p.name, p.kind, p.live_number, p.staging_number from prompts p \
         where p.workspace_id = $1 and ($2 = '' or p.name = $2) \
         and ($3 = '' or exists (select 1 from prompt_tags t where t.prompt_id = p.id and t.tag = $3)) \
         order by p.name",
    )
    .bind(workspace_id)
    .bind(query.name.as_deref().unwrap_or(""))
    .bind(query.tag.as_deref().unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Candidate {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                kind: content::kind_from_db(&row.try_get::<String, _>("kind")?)?,
                live: row.try_get("live_number")?,
                staging: row.try_get("staging_number")?,
            })
        })
        .collect()
}

/// The workspace's published versions the version and time filters keep, by prompt id.
async fn published(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
    query: &LangfuseListQuery,
) -> Result<HashMap<i64, Vec<Listed>>> {
    let rows = sqlx::query(
        "select v.prompt_id, v.number, v.created_at from versions v join prompts p on p.id = v.prompt_id \
         where p.workspace_id = $1 and v.status = 'live' and ($2 = 0 or v.number = $2) \
         and v.created_at >= $3 and v.created_at < $4 order by v.prompt_id, v.number",
    )
    .bind(workspace_id)
    .bind(query.version.map_or(0, VersionNumber::get))
    .bind(query.from_updated_at.map_or(i64::MIN, |at| at.0))
    .bind(query.to_updated_at.map_or(i64::MAX, |at| at.0))
    .fetch_all(&mut **tx)
    .await?;
    let mut versions: HashMap<i64, Vec<Listed>> = HashMap::new();
    for row in &rows {
        let listed = Listed { number: row.try_get("number")?, at: row.try_get("created_at")? };
        versions.entry(row.try_get("prompt_id")?).or_default().push(listed);
    }
    Ok(versions)
}

/// Where the workspace's own labels point: (prompt id, label) → version.
async fn own_labels(tx: &mut Transaction<'_, Any>, workspace_id: i64) -> Result<HashMap<(i64, String), i64>> {
    let rows = sqlx::query(
        "select pl.prompt_id, l.name, pl.number from prompt_labels pl join labels l on l.id = pl.label_id \
         where l.workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok(((row.try_get("prompt_id")?, row.try_get("name")?), row.try_get("number")?)))
        .collect()
}

/// One prompt of the page: its matching versions, the labels at them (most recently moved
/// first, `latest` last), its tags, and the config and time of the newest of them.
async fn listed(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
    candidate: Candidate,
    versions: Vec<Listed>,
    own: &HashMap<(i64, String), i64>,
    staging_enabled: bool,
) -> Result<LangfuseListedJson> {
    let numbers: Vec<i64> = versions.iter().map(|v| v.number).collect();
    let newest_published: Option<i64> =
        sqlx::query_scalar("select max(number) from versions where prompt_id = $1 and status = 'live'")
            .bind(candidate.id)
            .fetch_one(&mut **tx)
            .await?;
    let at = |label: &str| match label {
        LabelName::LIVE => candidate.live,
        LabelName::STAGING => candidate.staging.filter(|_| staging_enabled),
        other => own.get(&(candidate.id, other.to_owned())).copied(),
    };
    let mut labels: Vec<String> = label_order(&mut **tx, candidate.id)
        .await?
        .into_iter()
        .filter(|label| at(label).is_some_and(|n| numbers.contains(&n)))
        .map(|label| if label == LabelName::LIVE { "production".to_owned() } else { label })
        .collect();
    if newest_published.is_some_and(|n| numbers.contains(&n)) {
        labels.push("latest".to_owned());
    }
    let newest = versions.iter().max_by_key(|v| v.number).map_or((0, 0), |v| (v.number, v.at));
    let config: String =
        sqlx::query_scalar("select config from versions where prompt_id = $1 and number = $2")
            .bind(candidate.id)
            .bind(newest.0)
            .fetch_one(&mut **tx)
            .await?;
    let tags = tags_of(&mut **tx, Some(candidate.id), workspace_id)
        .await?
        .remove(&candidate.name)
        .unwrap_or_default();
    Ok(LangfuseListedJson {
        name: candidate.name,
        kind: candidate.kind.as_str().to_owned(),
        versions: numbers,
        labels,
        tags,
        last_updated_at: Timestamp(newest.1).to_rfc3339(),
        last_config: content::config_from_db(&config)?,
    })
}
