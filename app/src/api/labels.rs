//! Labels: Settings → Labels (the workspace's own labels and their rules, admins), and
//! moving a prompt's label from its page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// Settings → Labels: `live`, `staging`, then the workspace's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelsView {
    pub labels: Vec<types::LabelJson>,
    /// Admins and owners make, change and delete labels.
    pub can_administer: bool,
}

/// A label of the workspace's own as a prompt's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptLabel {
    pub name: String,
    /// The version it points at on this prompt, if any.
    pub version: Option<i64>,
    pub protected: bool,
    /// The member moves it by a request another member approves.
    pub by_request: bool,
    /// The member may move it at all (directly or by request).
    pub may_move: bool,
}

#[server]
pub async fn load_labels() -> Result<LabelsView, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let labels = ctx.vault.labels(&actor).await?;
    Ok(LabelsView {
        labels: labels.into_iter().map(Into::into).collect(),
        can_administer: actor.can_administer(),
    })
}

/// A form's fallback: `live`, or empty for none.
#[cfg(feature = "ssr")]
fn fallback(raw: &str) -> Result<Option<types::Fallback>, AppError> {
    if raw.is_empty() { Ok(None) } else { Ok(Some(types::Fallback::parse(raw)?)) }
}

/// Adds a label (admins). `protected` is a checkbox: present when ticked.
#[server]
pub async fn create_label(
    name: String,
    protected: Option<String>,
    rule: types::ChangeRule,
    fallback: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let new = vault::NewLabel {
        name: name.clone(),
        protected: protected.is_some(),
        rule,
        fallback: self::fallback(&fallback)?,
    };
    ctx.vault.create_label(&actor, new).await.map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    Ok(())
}

/// Changes a label's rules (admins).
#[server]
pub async fn update_label(
    name: String,
    protected: Option<String>,
    rule: types::ChangeRule,
    fallback: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let patch = vault::LabelPatch {
        protected: Some(protected.is_some()),
        rule: Some(rule),
        fallback: Some(self::fallback(&fallback)?),
    };
    ctx.vault.update_label(&actor, &name, patch).await?;
    Ok(())
}

/// Deletes a label (admins); with `revoke_keys` ticked, the keys that read it go too.
#[server]
pub async fn delete_label(name: String, revoke_keys: Option<String>) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.delete_label(&actor, &name, revoke_keys.is_some()).await?;
    Ok(())
}

/// Moves label `label` of prompt `name` to version `number` (empty: off the prompt), under
/// its rule; under review, opens a request with `note` instead.
#[server]
pub async fn move_label(
    name: String,
    label: String,
    number: String,
    note: Option<String>,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let to = if number.is_empty() { None } else { Some(vault::VersionNumber::parse(&number)?) };
    match (note, to) {
        (Some(note), Some(to)) => {
            let action = vault::RequestAction::Move;
            ctx.vault
                .request_change(&actor, &name, action, Some(&label), to, &note)
                .await
                .map_err(|e| ssr::refused_keeping(e, &[("note", &note)]))?;
        }
        _ => {
            ctx.vault.move_label(&actor, &name, &label, to).await?;
        }
    }
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// The workspace's own labels as prompt `state`'s page shows them to `actor`.
#[cfg(feature = "ssr")]
pub(super) async fn prompt_labels(
    ctx: &ssr::ServerContext,
    actor: &vault::Actor,
    state: &vault::PromptState,
) -> Result<Vec<PromptLabel>, AppError> {
    let labels = ctx.vault.labels(actor).await?;
    Ok(labels
        .into_iter()
        .filter(|label| !label.built_in)
        .map(|label| {
            let right = actor.change_right(label.name.as_str(), label.rule);
            PromptLabel {
                version: state.labels.get(&label.name).map(|n| n.get()),
                name: label.name.to_string(),
                protected: label.protected,
                by_request: matches!(right, Ok(vault::ChangeRight::ByRequest)),
                may_move: right.is_ok(),
            }
        })
        .collect())
}
