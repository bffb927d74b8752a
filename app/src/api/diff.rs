//! The diff between two versions as the page shows it, and a prompt's deployments.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::prompts::prompt_state;
#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};
use types::DiffJson;
#[cfg(feature = "ssr")]
use types::Status;

/// The diff from `from` (by default the version before) to `to`: the API's shape.
#[server]
pub async fn load_diff(name: String, to: i64, from: Option<i64>) -> Result<DiffJson, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = |n: i64| vault::VersionNumber::new(n).map_err(AppError::from);
    let from = from.map(number).transpose()?;
    Ok(ctx.vault.diff(&actor, &name, from, number(to)?).await?.into())
}

/// One move of a pointer, as the Deployments timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRow {
    pub deployment: types::PointerMoveJson,
    pub at: When,
    /// "Roll back to this": the version this move made live, when live may go back to it now.
    pub roll_back: Option<i64>,
}

/// The Deployments timeline: the pointer moves, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    pub moves: Vec<DeploymentRow>,
}

#[server]
pub async fn load_deployments(name: String) -> Result<Deployments, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let (state, settings) = prompt_state(&ctx, &actor, &name).await?;
    let moves = ctx.vault.deployments(&actor, &name).await?;
    let moves = moves
        .into_iter()
        .map(|m| {
            // A version that was made live is published: may live go back to it?
            let roll_back =
                m.to.filter(|&to| {
                    m.channel() == Some(types::Channel::Live)
                        && vault::offered(&actor, &state, settings, Status::Published, to).roll_back
                })
                .map(vault::VersionNumber::get);
            DeploymentRow { at: ssr::when(m.at, now), roll_back, deployment: m.into() }
        })
        .collect();
    Ok(Deployments { moves })
}
