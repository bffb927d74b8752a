//! The team: members and invitations (Settings → Members), joining through an invitation
//! link, and the workspaces a person switches between.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};

/// Settings → Members: who is in the workspace, and, for admins, the pending invitations
/// and what they may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    /// The roles the viewer may give (inviting or changing a role); empty for editors and
    /// viewers, who manage nobody.
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub joined: When,
    pub last_seen: Option<When>,
    /// The member viewing the page.
    pub is_you: bool,
    /// The viewer may give them another role.
    pub may_change: bool,
    /// The viewer may remove them (or, for themselves, leave).
    pub may_remove: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    pub expires: When,
    pub expired: bool,
}

/// An invitation just made: its link, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationLink {
    pub email: String,
    pub role: String,
    pub url: String,
}

/// What the join page shows about a usable invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub workspace: String,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    /// The email has an account here: the person gives its password instead of choosing a
    /// name and password.
    pub has_account: bool,
}

/// A workspace of the signed-in person's, for the switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceChoice {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub current: bool,
}

#[server]
pub async fn load_team() -> Result<TeamView, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let members = ctx.vault.members(&actor).await?;
    let roles: Vec<String> = actor.roles_to_give().into_iter().map(|r| r.as_str().to_owned()).collect();
    let invitations = if roles.is_empty() { Vec::new() } else { ctx.vault.invitations(&actor).await? };
    Ok(TeamView {
        members: members
            .into_iter()
            .map(|m| {
                let offered = m.offered(&actor);
                MemberRow {
                    is_you: m.id == actor.member_id,
                    may_change: offered.change_role,
                    may_remove: offered.remove,
                    id: m.id,
                    name: m.name,
                    email: m.email,
                    role: m.role.as_str().to_owned(),
                    joined: ssr::when(m.joined_at, now),
                    last_seen: m.last_seen_at.map(|at| ssr::when(at, now)),
                }
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                expired: i.expired(now),
                email: i.email,
                role: i.role.as_str().to_owned(),
                invited_by: i.invited_by,
                expires: ssr::when(i.expires_at, now),
            })
            .collect(),
        roles,
    })
}

/// Invites an email with a role; the link is shown once.
#[server]
pub async fn invite(email: String, role: String) -> Result<InvitationLink, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let role = vault::Role::parse(&role)?;
    let made = ctx
        .vault
        .invite(&actor, &email, role)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("email", &email)]))?;
    let url = format!("{}/join/{}", ssr::origin().await, made.token);
    Ok(InvitationLink { email: made.invitation.email, role: role.as_str().to_owned(), url })
}

#[server]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    Ok(ctx.vault.revoke_invitation(&actor, id).await?)
}

#[server]
pub async fn change_role(member: i64, role: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let role = vault::Role::parse(&role)?;
    Ok(ctx.vault.change_role(&actor, member, role).await?)
}

/// Removes a member; a member removing themselves leaves the workspace and goes to
/// another of theirs (or signs out when there is none).
#[server]
pub async fn remove_member(member: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.remove_member(&actor, member).await?;
    if member == actor.member_id {
        leptos_axum::redirect("/");
    }
    Ok(())
}

/// The join page's invitation; used, revoked or expired links are refused (410) in words.
#[server]
pub async fn load_invitation(token: String) -> Result<InvitationInfo, AppError> {
    let ctx = ssr::context()?;
    let view = ctx.vault.invitation(&token).await?;
    Ok(InvitationInfo {
        workspace: view.workspace,
        email: view.email,
        role: view.role.as_str().to_owned(),
        invited_by: view.invited_by,
        has_account: view.has_account,
    })
}

/// Accepts an invitation and signs the person in, in the workspace they joined.
#[server]
pub async fn join(token: String, name: String, password: String) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let member = ctx
        .vault
        .join(&token, vault::Joining { name: name.clone(), password }, ssr::client_address())
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    ssr::start_session(&ctx, &member).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

#[server]
pub async fn load_workspaces() -> Result<Vec<WorkspaceChoice>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let workspaces = ctx.vault.workspaces(&actor).await?;
    Ok(workspaces
        .into_iter()
        .map(|w| WorkspaceChoice {
            current: w.id == actor.workspace_id,
            id: w.id,
            name: w.name,
            role: w.role.as_str().to_owned(),
        })
        .collect())
}

/// The switcher: shows another of the person's workspaces in this session.
#[server]
pub async fn switch_workspace(workspace: i64) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let cookie =
        ssr::session_cookie().await.ok_or_else(|| AppError::new(401, "unauthorized", "please sign in"))?;
    ctx.vault.switch_workspace(&cookie, workspace).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

/// Creates a workspace owned by the signed-in person and switches to it.
#[server]
pub async fn create_workspace(name: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let owner = ctx
        .vault
        .create_workspace(&actor, &name)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    let cookie = ssr::session_cookie().await.unwrap_or_default();
    ctx.vault.switch_workspace(&cookie, owner.workspace_id).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}
