//! Who is visiting: first-run setup, sign-in, sign-out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, Member};

/// Where a visitor stands: is the server set up, and who are they.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    pub needs_setup: bool,
    pub member: Option<Member>,
}

#[server]
pub async fn current_visitor() -> Result<Visitor, AppError> {
    let ctx = ssr::context()?;
    let needs_setup = ctx.vault.needs_setup().await?;
    let member = ssr::visitor(&ctx).await.map(ssr::member);
    Ok(Visitor { needs_setup, member })
}

/// The signed-in member, or a `signed_out` error for pages to redirect on.
#[server]
pub async fn current_member() -> Result<Member, AppError> {
    let ctx = ssr::context()?;
    ssr::signed_in(&ctx).await.map(ssr::member)
}

/// First-run setup: creates the workspace and its owner, and signs the owner in.
#[server]
pub async fn set_up(
    workspace: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let input = vault::SetUp { workspace, email: email.clone(), password: password.clone(), name };
    ctx.vault.set_up(input).await?;
    ssr::open_session(&ctx, &email, &password).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    ssr::open_session(&ctx, &email, &password).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    let ctx = ssr::context()?;
    if let Some(cookie) = ssr::session_cookie().await {
        ctx.vault.sign_out(&cookie).await?;
    }
    ssr::set_cookie("", 0);
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Settings → Your account: the member's own name.
#[server]
pub async fn rename_self(name: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.rename_member(&actor, &name).await.map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    Ok(())
}

/// Settings → Your account: a new password (the current one required); every other
/// session of the member ends, this one goes on.
#[server]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let cookie = ssr::session_cookie().await;
    ctx.vault
        .change_password(&actor, &current_password, &new_password, cookie.as_deref(), ssr::client_address())
        .await
        .map_err(AppError::from)
}

/// Ends every session of the member, this one included.
#[server]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.sign_out_everywhere(&actor).await?;
    ssr::set_cookie("", 0);
    leptos_axum::redirect("/sign-in");
    Ok(())
}
