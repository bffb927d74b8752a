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
    pub staging_enabled: bool,
    /// Who can change live: `editors`, `admins` or `review`.
    pub live_changes: String,
    pub can_administer: bool,
    pub tokens: Vec<TokenRow>,
    /// The workspace's API keys; empty for members who are not admins.
    pub api_keys: Vec<ApiKeyRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    /// `live` or `test`.
    pub kind: String,
    /// `pv_live_…abcd`: enough to recognise it, never the key.
    pub hint: String,
    pub created: When,
    pub last_used: Option<When>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// `pv_pat_…abcd`: enough to recognise it, never the token.
    pub hint: String,
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
    Ok(SettingsView {
        name: actor.name.clone(),
        staging_enabled: settings.staging_enabled,
        live_changes: settings.live_changes.as_str().to_owned(),
        can_administer: actor.role.can_administer(),
        api_keys: api_keys
            .into_iter()
            .map(|k| ApiKeyRow {
                id: k.id,
                hint: format!("{}…{}", k.prefix, k.last_four),
                kind: k.kind.as_str().to_owned(),
                name: k.name,
                created: ssr::when(k.created_at, now),
                last_used: k.last_used_at.map(|at| ssr::when(at, now)),
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                hint: format!("{}…{}", t.prefix, t.last_four),
                name: t.name,
                created: ssr::when(t.created_at, now),
                last_used: t.last_used_at.map(|at| ssr::when(at, now)),
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

#[server]
pub async fn create_access_token(name: String) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let created = ctx.vault.create_access_token(&actor, &name).await?;
    Ok(CreatedToken { name: created.token.name, secret: created.secret })
}

#[server]
pub async fn revoke_access_token(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.revoke_access_token(&actor, id).await?;
    Ok(())
}

/// Creates an API key (admins); its token is shown once.
#[server]
pub async fn create_api_key(kind: String, name: String) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let kind = vault::KeyKind::parse(&kind)?;
    let created = ctx.vault.create_api_key(&actor, kind, &name).await?;
    Ok(CreatedToken { name: created.key.name, secret: created.token })
}

#[server]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.revoke_api_key(&actor, id).await?;
    Ok(())
}
