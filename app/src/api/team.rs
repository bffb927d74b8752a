//! The team: members and invitations (Settings → Members), joining through an invitation
//! link, and the workspaces a person switches between.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use types::{InvitationJson, InvitationPreviewJson, MemberJson, Role, WorkspaceJson};

use super::{AppError, When};

/// Settings → Members: who is in the workspace, and, for admins, the pending invitations
/// and what they may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    /// The roles the viewer may give (inviting or changing a role); empty for editors and
    /// viewers, who manage nobody.
    pub roles: Vec<Role>,
}

/// A member, with what the viewer may do to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub member: MemberJson,
    pub joined: When,
    pub last_seen: Option<When>,
    /// The member viewing the page.
    pub is_you: bool,
    /// The viewer may give them another role.
    pub may_change: bool,
    /// The viewer may remove them (or, for themselves, leave).
    pub may_remove: bool,
}

/// A pending invitation, and whether its link still works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub invitation: InvitationJson,
    pub expires: When,
    pub expired: bool,
}

/// A workspace of the signed-in person's, for the switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceChoice {
    pub workspace: WorkspaceJson,
    pub current: bool,
}

#[server]
pub async fn load_team() -> Result<TeamView, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let members = ctx.vault.members(&actor).await?;
    let roles = actor.roles_to_give();
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
                    joined: ssr::when(m.joined_at, now),
                    last_seen: m.last_seen_at.map(|at| ssr::when(at, now)),
                    member: m.into(),
                }
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                expired: i.expired(now),
                expires: ssr::when(i.expires_at, now),
                invitation: i.into(),
            })
            .collect(),
        roles,
    })
}

/// Invites an email with a role; the link (`url`) is shown once.
#[server]
pub async fn invite(email: String, role: Role) -> Result<InvitationJson, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let made = ctx
        .vault
        .invite(&actor, &email, role)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("email", &email)]))?;
    let url = format!("{}/join/{}", ssr::origin().await, made.token);
    Ok(InvitationJson { url: Some(url), ..made.invitation.into() })
}

#[server]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    Ok(ctx.vault.revoke_invitation(&actor, id).await?)
}

#[server]
pub async fn change_role(member: i64, role: Role) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
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
pub async fn load_invitation(token: String) -> Result<InvitationPreviewJson, AppError> {
    let ctx = ssr::context()?;
    Ok(ctx.vault.invitation(&token).await?.into())
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
        .map(|w| WorkspaceChoice { current: w.id == actor.workspace_id, workspace: w.into() })
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
