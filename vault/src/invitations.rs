//! Invitations: how people join a workspace. An admin names an email and a role and gets a
//! link, shown once, that works once, for 7 days; no mail server is involved. The person
//! opening it picks a name and password, or signs in if they have an account here already.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Permission, Role};
use crate::accounts::{account_by_email, insert_account, insert_membership};
use crate::activity::{self, ActivityKind};
use crate::credentials::{new_bearer_token, token_hash};
use crate::db::Timestamp;
use crate::members::actor_in;
use crate::names::{Email, new_password, short_text};
use crate::quotas::Quota;
use crate::tokens::{NewAccessToken, insert_access_token};
use crate::{Conflict, Result, Vault, VaultError};

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
const INVITATION_PREFIX: &str = "pv_inv_";

/// An invitation as the pending list shows it: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Invitation {
    /// Whether the link no longer works because its lifetime is over (at `now`).
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }
}

/// An invitation just made: the only time its token is seen. The link is `/join/<token>`.
#[derive(Clone)]
pub struct NewInvitation {
    pub invitation: Invitation,
    pub token: String,
}

debug_without_secrets!(NewInvitation { invitation });

/// What the join page shows about an invitation that can still be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationView {
    pub workspace: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: Timestamp,
    /// The email has an account on this server: the person signs in instead of choosing a
    /// name and password.
    pub has_account: bool,
}

/// Who accepts an invitation: a new person's name and password, or an existing account's
/// password (the name is then ignored).
#[derive(Clone)]
pub struct Joining {
    pub name: String,
    pub password: String,
}

debug_without_secrets!(Joining { name });

impl Vault {
    /// Invites `email` to the actor's workspace with `role` (admins; owners for an owner).
    /// A pending invitation for the same email is replaced: only the newest link works.
    pub async fn invite(&self, actor: &Actor, email: &str, role: Role) -> Result<NewInvitation> {
        actor.require(Permission::ManageMembers)?;
        if role == Role::Owner {
            actor.require(Permission::ManageOwners)?;
        }
        let email = Email::parse(email)?;
        let (token, _) = new_bearer_token(INVITATION_PREFIX);
        let now = Timestamp::now();
        let expires_at = now.plus(INVITATION_LIFETIME);
        let mut tx = self.db.write.begin().await?;
        let mut room = self.room(&mut tx, Quota::InvitationsPerWorkspace, actor.workspace_id).await?;
        let already: Option<i64> = sqlx::query_scalar(
            "select m.id from members m join accounts a on a.id = m.account_id \
             where m.workspace_id = $1 and a.email = $2 and m.removed_at is null",
        )
        .bind(actor.workspace_id)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if already.is_some() {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!("{} is already a member of {}", email.as_str(), actor.workspace),
            ));
        }
        let replaced = sqlx::query(
            "update invitations set revoked_at = $1 where workspace_id = $2 and email = $3 \
             and accepted_at is null and revoked_at is null and expires_at > $1",
        )
        .bind(now.0)
        .bind(actor.workspace_id)
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Inviting an address again replaces its waiting invitation: no more room needed.
        room.free(replaced);
        room.take(1)?;
        let id: i64 = sqlx::query_scalar(
            "insert into invitations (workspace_id, email, role, token_hash, invited_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(actor.workspace_id)
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(token_hash(&token))
        .bind(actor.account_id)
        .bind(now.0)
        .bind(expires_at.0)
        .fetch_one(&mut *tx)
        .await?;
        let details = json!({ "invitation": id, "email": email.as_str(), "role": role.as_str() });
        activity::record(&mut tx, actor, ActivityKind::MemberInvited, None, details).await?;
        tx.commit().await?;
        let invitation = Invitation {
            id,
            email: email.as_str().to_owned(),
            role,
            invited_by: actor.name.clone(),
            created_at: now,
            expires_at,
        };
        Ok(NewInvitation { invitation, token })
    }

    /// The workspace's invitations that are neither used nor revoked (expired ones
    /// included, so an admin sees why a link no longer works), newest first.
    pub async fn invitations(&self, actor: &Actor) -> Result<Vec<Invitation>> {
        actor.require(Permission::ManageMembers)?;
        let rows = sqlx::query(
            "select i.id, i.email, i.role, a.name as invited_by, i.created_at, i.expires_at \
             from invitations i join accounts a on a.id = i.invited_by \
             where i.workspace_id = $1 and i.accepted_at is null and i.revoked_at is null order by i.id desc",
        )
        .bind(actor.workspace_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Invitation {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    role: Role::parse(&row.try_get::<String, _>("role")?)?,
                    invited_by: row.try_get("invited_by")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                    expires_at: Timestamp(row.try_get("expires_at")?),
                })
            })
            .collect()
    }

    /// Revokes a pending invitation: its link stops working at once.
    pub async fn revoke_invitation(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageMembers)?;
        let mut tx = self.db.write.begin().await?;
        let row = sqlx::query(
            "update invitations set revoked_at = $1 \
             where id = $2 and workspace_id = $3 and accepted_at is null and revoked_at is null \
             returning email, role",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(actor.workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| VaultError::NotFound(format!("no pending invitation {id}")))?;
        let email: String = row.try_get("email")?;
        let role: String = row.try_get("role")?;
        let details = json!({ "invitation": id, "email": email, "role": role });
        activity::record(&mut tx, actor, ActivityKind::InvitationRevoked, None, details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What an invitation link offers, for the join page. Refused plainly when the link is
    /// unknown (404) or was used, revoked or has expired (410).
    pub async fn invitation(&self, token: &str) -> Result<InvitationView> {
        let row = sqlx::query(
            "select w.name as workspace, i.email, i.role, a.name as invited_by, i.expires_at, \
                    i.accepted_at, i.revoked_at, \
                    (select count(*) from accounts x where x.email = i.email) as accounts_with_email \
             from invitations i join workspaces w on w.id = i.workspace_id join accounts a on a.id = i.invited_by \
             where i.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(unknown_invitation)?;
        usable(&row)?;
        Ok(InvitationView {
            workspace: row.try_get("workspace")?,
            email: row.try_get("email")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            invited_by: row.try_get("invited_by")?,
            expires_at: Timestamp(row.try_get("expires_at")?),
            has_account: row.try_get::<i64, _>("accounts_with_email")? > 0,
        })
    }

    /// Accepts an invitation: a new person gets an account with `joining`'s name and
    /// password; a person with an account proves it with their password. Either way they
    /// become a member with the invitation's role, and the link is used up. Of two joins
    /// with one link, exactly one wins; the other is refused as used (410) and changes
    /// nothing.
    pub async fn join(&self, token: &str, joining: Joining, from: IpAddr) -> Result<Actor> {
        Ok(self.join_as(token, joining, from, None).await?.0)
    }

    /// A join that also makes the new member a personal access token named `token_name`
    /// (the API's join answers one), in the same transaction: a refused token (the
    /// workspace holds its quota) leaves the invitation unused and nobody joined.
    pub async fn join_with_token(
        &self,
        token: &str,
        joining: Joining,
        from: IpAddr,
        token_name: &str,
    ) -> Result<(Actor, NewAccessToken)> {
        let (actor, minted) = self.join_as(token, joining, from, Some(token_name)).await?;
        let minted = minted.ok_or_else(|| VaultError::Internal("the join made no token".into()))?;
        Ok((actor, minted))
    }

    async fn join_as(
        &self,
        token: &str,
        joining: Joining,
        from: IpAddr,
        token_name: Option<&str>,
    ) -> Result<(Actor, Option<NewAccessToken>)> {
        let view = self.invitation(token).await?;
        let email = Email::parse(&view.email)?;
        // The expensive part (a password hash or check) runs before the transaction.
        let new_account = if view.has_account {
            self.check_password(email.as_str(), &joining.password, from).await.map_err(
                |error| match error {
                    VaultError::Unauthorized(_) => VaultError::Unauthorized(format!(
                        "{} already has an account here: give its password to join",
                        email.as_str()
                    )),
                    busy_or_limited => busy_or_limited,
                },
            )?;
            None
        } else {
            let name = short_text("name", &joining.name)?;
            let hash = self.passwords.hash(new_password(&joining.password)?.to_owned()).await?;
            Some((name, hash))
        };

        let mut tx = self.db.write.begin().await?;
        // A join that makes a token takes the workspace's quota lock first, before the
        // invitation's row (an invite of the same address takes them in that order).
        let mut tokens = None;
        if token_name.is_some() {
            let workspace: Option<i64> =
                sqlx::query_scalar("select workspace_id from invitations where token_hash = $1")
                    .bind(token_hash(token))
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(workspace_id) = workspace {
                tokens = Some(self.room(&mut tx, Quota::AccessTokensPerWorkspace, workspace_id).await?);
            }
        }
        let (invitation_id, workspace_id, role) = use_up(&mut tx, token).await?;
        let account_id = match (account_by_email(&mut tx, &email).await?, new_account) {
            (Some(id), None) => id,
            // Someone made the account while this join hashed its password: the password
            // given here was never checked against it, so the join must not attach to it.
            (Some(_), Some(_)) => {
                return Err(VaultError::conflict(
                    Conflict::AlreadyExists,
                    format!(
                        "an account for {} was made while you joined; open the link again and give its password",
                        email.as_str()
                    ),
                ));
            }
            (None, Some((name, hash))) => insert_account(&mut tx, &email, &name, &hash).await?,
            (None, None) => return Err(VaultError::Internal("the invitation's account disappeared".into())),
        };
        if actor_in(&mut *tx, account_id, workspace_id).await?.is_some() {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!("you are already a member of {}", view.workspace),
            ));
        }
        insert_membership(&mut tx, workspace_id, account_id, role).await?;
        sqlx::query("update invitations set accepted_by = $1 where id = $2")
            .bind(account_id)
            .bind(invitation_id)
            .execute(&mut *tx)
            .await?;
        let (actor, _) = actor_in(&mut *tx, account_id, workspace_id)
            .await?
            .ok_or_else(|| VaultError::Internal("the new member was not found".into()))?;
        let details = json!({ "invitation": invitation_id, "email": actor.email, "role": role.as_str() });
        activity::record(&mut tx, &actor, ActivityKind::MemberJoined, None, details).await?;
        let minted = match (token_name, tokens.as_mut()) {
            (Some(name), Some(room)) => {
                room.take(1)?;
                let minted =
                    insert_access_token(&mut tx, &actor, name, crate::tokens::TokenScope::Member).await?;
                let details = json!({ "id": minted.token.id, "name": name });
                activity::record(&mut tx, &actor, ActivityKind::TokenCreated, None, details).await?;
                Some(minted)
            }
            _ => None,
        };
        tx.commit().await?;
        Ok((actor, minted))
    }
}

/// Marks the invitation used, if it still can be: the conditional update decides between
/// two concurrent joins. Returns its id, workspace and role.
async fn use_up(tx: &mut Transaction<'_, Any>, token: &str) -> Result<(i64, i64, Role)> {
    let now = Timestamp::now();
    let row = sqlx::query(
        "update invitations set accepted_at = $1 \
         where token_hash = $2 and accepted_at is null and revoked_at is null and expires_at > $1 \
         returning id, workspace_id, role",
    )
    .bind(now.0)
    .bind(token_hash(token))
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(row) => Ok((
            row.try_get("id")?,
            row.try_get("workspace_id")?,
            Role::parse(&row.try_get::<String, _>("role")?)?,
        )),
        None => {
            let row = sqlx::query(
                "select accepted_at, revoked_at, expires_at from invitations where token_hash = $1",
            )
            .bind(token_hash(token))
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(unknown_invitation)?;
            usable(&row)?;
            Err(VaultError::Gone("this invitation has already been used".into()))
        }
    }
}

/// Refuses an invitation (a row with its `accepted_at`, `revoked_at` and `expires_at`) that
/// was used, revoked or has expired, saying which.
fn usable(row: &sqlx::any::AnyRow) -> Result<()> {
    let accepted_at: Option<i64> = row.try_get("accepted_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    let expires_at = Timestamp(row.try_get("expires_at")?);
    if accepted_at.is_some() {
        return Err(VaultError::Gone("this invitation has already been used".into()));
    }
    if revoked_at.is_some() {
        return Err(VaultError::Gone("this invitation was revoked; ask for a new one".into()));
    }
    if expires_at <= Timestamp::now() {
        return Err(VaultError::Gone(format!(
            "this invitation expired on {}; ask for a new one",
            expires_at.to_rfc3339()
        )));
    }
    Ok(())
}

fn unknown_invitation() -> VaultError {
    VaultError::NotFound("this invitation link is not valid; check that it was copied whole".into())
}
