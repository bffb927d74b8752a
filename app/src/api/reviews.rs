//! Review: the requests to change live of a workspace that reviews them, and the setting
//! that says who changes live.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};

/// A request as the Requests page and the prompt page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    pub request: types::RequestJson,
    /// "promote v3" or "roll back to v2".
    pub what: String,
    pub created: When,
    /// The viewer opened it (and it is open): they may cancel it, not approve it.
    pub yours: bool,
    /// The viewer may approve or reject it.
    pub may_decide: bool,
    /// The prompt page with the diff of what would change: the version against live.
    pub diff: String,
}

#[server]
pub async fn load_requests(
    prompt: Option<String>,
    state: Option<types::RequestState>,
) -> Result<Vec<RequestRow>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let requests = ctx.vault.requests(&actor, state, prompt.as_deref()).await?;
    let rows = requests
        .into_iter()
        .map(|request| {
            let offered = request.offered(&actor);
            let n = request.number.get();
            let against = request.current.map(|l| format!("&against={}", l.get())).unwrap_or_default();
            RequestRow {
                what: match request.action {
                    vault::RequestAction::Promote => format!("promote v{n}"),
                    vault::RequestAction::RollBack => format!("roll back to v{n}"),
                    vault::RequestAction::Move => format!("move {} to v{n}", request.label),
                    vault::RequestAction::Rollout => format!(
                        "roll v{n} out on {} to {} %",
                        request.label,
                        request.rollout.as_ref().map_or(0.0, |r| r.percent)
                    ),
                },
                diff: format!("{}?diff={n}{against}", types::prompt_page(&request.prompt)),
                created: ssr::when(request.created_at, now),
                yours: offered.cancel,
                may_decide: offered.decide,
                request: request.into(),
            }
        })
        .collect();
    Ok(rows)
}

/// Under review, Promote and Roll back open a request with a note instead.
#[server]
pub async fn request_change(
    name: String,
    action: String,
    number: i64,
    note: String,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let action = vault::RequestAction::parse(&action)?;
    let number = vault::VersionNumber::new(number)?;
    ctx.vault
        .request_change(&actor, &name, action, None, number, &note)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("note", &note)]))?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

#[server]
pub async fn approve_request(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.approve_request(&actor, id).await?;
    Ok(())
}

#[server]
pub async fn reject_request(id: i64, note: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault
        .reject_request(&actor, id, &note)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("note", &note)]))?;
    Ok(())
}

#[server]
pub async fn cancel_request(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.cancel_request(&actor, id).await?;
    Ok(())
}

/// Settings → Who can change live: `editors`, `admins` or `review`.
#[server]
pub async fn set_live_changes(rule: types::ChangeRule) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let patch = vault::SettingsPatch { live_changes: Some(rule), ..Default::default() };
    ctx.vault.update_settings(&actor, patch).await?;
    Ok(())
}
