//! Composition on a prompt's page: where it is used (with what updating each prompt that
//! includes it would change), updating those prompts, and the editor's reference picker and
//! preview of what a text includes.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use types::{DependentJson, DiffJson, IncludedPart, UpdatedDependentJson};

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// The most dependents whose change is worked out for one page load: each is a diff.
pub const CHANGES_SHOWN: usize = 20;

/// The prompts that include this one, and what the member may do about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhereUsed {
    pub dependents: Vec<UsedBy>,
    /// This prompt's live version, which an update pins.
    pub live: Option<i64>,
    /// Make new versions of them (editors and above).
    pub may_update: bool,
    /// Publish them in one release (live's rule lets the member change live directly).
    pub may_publish: bool,
}

/// One prompt that includes this one: per label what it pins, and for one behind, what an
/// update would change in what it serves (for the first [`CHANGES_SHOWN`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedBy {
    pub dependent: DependentJson,
    pub change: Option<DiffJson>,
}

#[server]
pub async fn load_where_used(name: String) -> Result<WhereUsed, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let state = ctx.vault.prompt(&actor, &name).await?;
    let settings = ctx.vault.settings(&actor).await?;
    let mut dependents = Vec::new();
    for (i, dependent) in ctx.vault.dependents(&actor, &name).await?.into_iter().enumerate() {
        let change = if dependent.behind && i < CHANGES_SHOWN {
            // A dependent whose references no longer resolve shows no change; updating
            // it says why.
            let change = ctx.vault.dependent_update_diff(&actor, &name, &dependent.prompt).await.ok();
            change.map(|diff| DiffJson { to: "the update".to_owned(), ..diff.into() })
        } else {
            None
        };
        dependents.push(UsedBy { dependent, change });
    }
    Ok(WhereUsed {
        dependents,
        live: state.live.map(vault::VersionNumber::get),
        may_update: actor.can_edit(),
        may_publish: actor.live_right(settings.live_changes).ok() == Some(vault::ChangeRight::Directly),
    })
}

/// Makes a new version of every prompt whose live version pins an older version of prompt
/// `name`: drafts, or (`publish` ticked) live in one release.
#[server]
pub async fn update_dependents(
    name: String,
    publish: Option<String>,
    back: String,
) -> Result<Vec<UpdatedDependentJson>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let updated = ctx.vault.update_dependents(&actor, &name, publish.is_some()).await?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(updated)
}

/// What the editor's picker offers: the workspace's text prompts (others than `name`) and
/// the labels a reference may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceTargets {
    pub prompts: Vec<String>,
    /// `production` (live), `latest`, then `staging` and the workspace's own labels.
    pub labels: Vec<String>,
}

#[server]
pub async fn load_reference_targets(name: String) -> Result<ReferenceTargets, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let prompts = ctx
        .vault
        .prompts(&actor)
        .await?
        .into_iter()
        .filter(|p| p.state.kind == types::PromptType::Text && p.state.name != name)
        .map(|p| p.state.name)
        .collect();
    let mut labels = vec!["production".to_owned(), "latest".to_owned()];
    labels.extend(
        ctx.vault.labels(&actor).await?.into_iter().map(|l| l.name.to_string()).filter(|l| l != "live"),
    );
    Ok(ReferenceTargets { prompts, labels })
}

/// `text` (being written for prompt `name`) with what it includes in place, in pieces.
#[server]
pub async fn preview_includes(name: String, text: String) -> Result<Vec<IncludedPart>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    Ok(ctx.vault.preview_includes(&actor, &name, &text).await?)
}
