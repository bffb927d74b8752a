//! Workspace settings and the member's personal access tokens.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// The member's own name.
    pub name: String,
    pub settings: types::SettingsJson,
    pub can_administer: bool,
    pub tokens: Vec<TokenRow>,
    /// The workspace's API keys; empty for members the vault does not show them to.
    pub api_keys: Vec<ApiKeyRow>,
    /// The workspace's own labels, which a new key may read.
    pub labels: Vec<String>,
}

/// An API key as listed, with its times as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub key: types::ApiKeyJson,
    pub created: When,
    pub last_used: Option<When>,
}

/// A personal access token as listed, with its times as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub token: types::AccessTokenJson,
    pub created: When,
    pub last_used: Option<When>,
}

/// A token just created: its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: String,
    pub secret: String,
}

#[server]
pub async fn load_settings() -> Result<SettingsView, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let settings = ctx.vault.settings(&actor).await?;
    let now = vault::Timestamp::now();
    let tokens = ctx.vault.access_tokens(&actor).await?;
    // The keys are the vault's to show: a member it does not show them to sees none.
    let api_keys = match ctx.vault.api_keys(&actor).await {
        Err(vault::VaultError::Forbidden(_)) => Vec::new(),
        listed => listed?,
    };
    let labels = ctx.vault.labels(&actor).await?;
    Ok(SettingsView {
        labels: labels.into_iter().filter(|l| !l.built_in).map(|l| l.name.to_string()).collect(),
        name: actor.name.clone(),
        settings: settings.into(),
        can_administer: actor.can_administer(),
        api_keys: api_keys
            .into_iter()
            .map(|k| ApiKeyRow {
                created: ssr::when(k.created_at, now),
                last_used: k.last_used_at.map(|at| ssr::when(at, now)),
                key: k.into(),
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                created: ssr::when(t.created_at, now),
                last_used: t.last_used_at.map(|at| ssr::when(at, now)),
                token: t.into(),
            })
            .collect(),
    })
}

/// Settings -> Enable staging.
#[server]
pub async fn set_staging_enabled(enabled: bool) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let patch = vault::SettingsPatch { staging_enabled: Some(enabled), ..Default::default() };
    ctx.vault.update_settings(&actor, patch).await?;
    Ok(())
}

/// A token of the member's; with `abort_only` ticked, one that may only abort rollouts (for
/// the automation that watches them).
#[server]
pub async fn create_access_token(name: String, abort_only: Option<String>) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let created = match abort_only {
        Some(_) => ctx.vault.create_abort_token(&actor, &name).await?,
        None => ctx.vault.create_access_token(&actor, &name).await?,
    };
    Ok(CreatedToken { name: created.token.name, secret: created.secret })
}

#[server]
pub async fn revoke_access_token(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.revoke_access_token(&actor, id).await?;
    Ok(())
}

/// Creates an API key (admins) reading `label` (absent or empty: its kind's); its token is
/// shown once.
#[server]
pub async fn create_api_key(
    kind: types::KeyKind,
    name: String,
    label: Option<String>,
) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let label = label.as_deref().filter(|l| !l.is_empty());
    let created = ctx.vault.create_label_key(&actor, kind, &name, label).await?;
    Ok(CreatedToken { name: created.key.name, secret: created.token })
}

#[server]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.revoke_api_key(&actor, id).await?;
    Ok(())
}
