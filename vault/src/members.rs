//! Roles and what they allow, the actor every operation runs for, and the members of a
//! workspace: the list, role changes and removals. Accounts, sessions and tokens are in
//! `accounts`; invitations in `invitations`.

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AssertSqlSafe, Executor, Row};

use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::settings::LiveChanges;
use crate::{Conflict, Result, Vault, VaultError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Viewer,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Role> {
        match raw {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            _ => Err(VaultError::invalid("role", "a role is owner, admin, editor or viewer")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Whether the role allows `permission`: the permission matrix, decided here only.
    pub fn may(self, permission: Permission) -> bool {
        match permission {
            Permission::Read | Permission::OwnTokens => true,
            Permission::EditPrompts | Permission::ChangeLive => !matches!(self, Role::Viewer),
            Permission::Administer | Permission::ManageMembers => matches!(self, Role::Owner | Role::Admin),
            Permission::ManageOwners => self == Role::Owner,
        }
    }

    /// Whether the role may move live (promote, roll back; under review, request, approve
    /// and reject) while the workspace's setting is `rule`.
    pub fn may_change_live(self, rule: LiveChanges) -> bool {
        match rule {
            LiveChanges::Editors | LiveChanges::Review => self.may(Permission::ChangeLive),
            LiveChanges::Admins => self.may(Permission::ChangeLive) && self.may(Permission::Administer),
        }
    }

    /// Editors and above change prompts and move pointers.
    pub fn can_edit(self) -> bool {
        self.may(Permission::EditPrompts)
    }

    /// Admins and owners change settings, keys and integrations.
    pub fn can_administer(self) -> bool {
        self.may(Permission::Administer)
    }
}

/// What a member may do in a workspace, by role (see [`Role::may`]):
///
/// | permission | viewer | editor | admin | owner |
/// | --- | :-: | :-: | :-: | :-: |
/// | `Read`: prompts, versions, diffs, search, deployments, activity | ✔ | ✔ | ✔ | ✔ |
/// | `EditPrompts`: create prompts; save, rewrite, delete drafts; set staging | | ✔ | ✔ | ✔ |
/// | `ChangeLive`: promote and roll back (admins only, or by review: `live_changes`) | | ✔ | ✔ | ✔ |
/// | `Administer`: settings, API keys, webhooks | | | ✔ | ✔ |
/// | `ManageMembers`: invite, change roles, remove members (not owners) | | | ✔ | ✔ |
/// | `ManageOwners`: make or remove owners | | | | ✔ |
/// | `OwnTokens`: personal access tokens | ✔ | ✔ | ✔ | ✔ |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    EditPrompts,
    ChangeLive,
    Administer,
    ManageMembers,
    ManageOwners,
    OwnTokens,
}

/// The signed-in member on whose behalf an operation runs, in one workspace; every change
/// records them. Resolved on every request, so a new role or a removal counts at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The person: authors, actors and creators point at their account.
    pub account_id: i64,
    /// Their membership of this workspace.
    pub member_id: i64,
    pub workspace_id: i64,
    pub workspace: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// What they proved themselves with on this request.
    pub credential: Credential,
}

/// How the member behind a request signed in: with their password (a dashboard session, a
/// setup or a join), or with a personal access token. A token acts as its member in
/// everything but making credentials: it cannot create another token, so a leaked one
/// cannot outlive its own revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    Password,
    AccessToken,
}

impl Actor {
    /// Refuses what the actor's role does not allow, saying who may.
    pub(crate) fn require(&self, permission: Permission) -> Result<()> {
        if self.role.may(permission) {
            return Ok(());
        }
        let who = match permission {
            Permission::Read | Permission::OwnTokens => "every member",
            Permission::EditPrompts => "editors, admins and owners (viewers cannot change prompts)",
            Permission::ChangeLive => "editors, admins and owners (viewers cannot change what is live)",
            Permission::Administer | Permission::ManageMembers => "admins and owners",
            Permission::ManageOwners => "owners",
        };
        Err(VaultError::Forbidden(format!("only {who} can do this")))
    }
}

impl Actor {
    /// Refuses a change to live the workspace's `rule` does not allow the actor.
    pub(crate) fn require_live_right(&self, rule: LiveChanges) -> Result<()> {
        self.require(Permission::ChangeLive)?;
        if !self.role.may_change_live(rule) {
            return Err(VaultError::Forbidden(
                "in this workspace only admins and owners change what is live".into(),
            ));
        }
        Ok(())
    }
}

/// A member as the members list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
}

/// The columns of an [`Actor`]: a membership that is not removed, with its account and
/// workspace.
const ACTOR_QUERY: &str = "select a.id as account_id, m.id as member_id, m.workspace_id, w.name as workspace, \
     a.name, a.email, m.role, m.last_seen_at from members m join accounts a on a.id = m.account_id \
     join workspaces w on w.id = m.workspace_id where m.removed_at is null";

fn actor_from_row(row: &sqlx::any::AnyRow) -> Result<Actor> {
    Ok(Actor {
        account_id: row.try_get("account_id")?,
        member_id: row.try_get("member_id")?,
        workspace_id: row.try_get("workspace_id")?,
        workspace: row.try_get("workspace")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&row.try_get::<String, _>("role")?)?,
        credential: Credential::Password,
    })
}

/// The person `account_id` acting in `workspace_id`, if they are a member there (not
/// removed), with when they were last seen.
pub(crate) async fn actor_in<'e, E: Executor<'e, Database = Any>>(
    db: E,
    account_id: i64,
    workspace_id: i64,
) -> Result<Option<(Actor, Option<Timestamp>)>> {
    let row = sqlx::query(AssertSqlSafe(format!("{ACTOR_QUERY} and a.id = $1 and m.workspace_id = $2")))
        .bind(account_id)
        .bind(workspace_id)
        .fetch_optional(db)
        .await?;
    row.map(|row| Ok((actor_from_row(&row)?, row.try_get::<Option<i64>, _>("last_seen_at")?.map(Timestamp))))
        .transpose()
}

/// What the actor may do with a member: the members page offers this; the operations refuse
/// the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberOffered {
    /// Give them another role (one of [`Actor::roles_to_give`]).
    pub change_role: bool,
    /// Remove them (or, for oneself, leave).
    pub remove: bool,
}

impl Member {
    /// What `actor` may do with this member: admins manage non-owners, owners everyone;
    /// anyone may leave. (Keeping the last owner is a state rule, checked on the change.)
    pub fn offered(&self, actor: &Actor) -> MemberOffered {
        let manage = actor.role.may(Permission::ManageMembers)
            && (self.role != Role::Owner || actor.role.may(Permission::ManageOwners));
        MemberOffered { change_role: manage, remove: manage || self.id == actor.member_id }
    }
}

impl Actor {
    /// The roles the actor may give by inviting or changing a role: none for editors and
    /// viewers, up to admin for admins, every role for owners.
    pub fn roles_to_give(&self) -> Vec<Role> {
        let mut roles = Vec::new();
        if self.role.may(Permission::ManageMembers) {
            roles.extend([Role::Viewer, Role::Editor, Role::Admin]);
        }
        if self.role.may(Permission::ManageOwners) {
            roles.push(Role::Owner);
        }
        roles
    }
}

const MEMBER_QUERY: &str = "select m.id, a.name, a.email, m.role, m.joined_at, m.last_seen_at from members m \
     join accounts a on a.id = m.account_id where m.workspace_id = $1 and m.removed_at is null";

fn member_from_row(row: &sqlx::any::AnyRow) -> Result<Member> {
    Ok(Member {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&row.try_get::<String, _>("role")?)?,
        joined_at: Timestamp(row.try_get("joined_at")?),
        last_seen_at: row.try_get::<Option<i64>, _>("last_seen_at")?.map(Timestamp),
    })
}

fn no_member(member_id: i64) -> VaultError {
    VaultError::NotFound(format!("no member {member_id} in this workspace"))
}

/// A member as the database holds them, for a change.
struct Target {
    account_id: i64,
    name: String,
    email: String,
    role: Role,
}

impl Vault {
    /// The workspace's members (not the removed ones), owners first, then by name. Any
    /// member may see who else is in the workspace.
    pub async fn members(&self, actor: &Actor) -> Result<Vec<Member>> {
        actor.require(Permission::Read)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{MEMBER_QUERY} order by case m.role when 'owner' then 0 when 'admin' then 1 \
             when 'editor' then 2 else 3 end, a.name"
        )))
        .bind(actor.workspace_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter().map(member_from_row).collect()
    }

    /// One member of the actor's workspace.
    pub async fn member(&self, actor: &Actor, member_id: i64) -> Result<Member> {
        actor.require(Permission::Read)?;
        let row = sqlx::query(AssertSqlSafe(format!("{MEMBER_QUERY} and m.id = $2")))
            .bind(actor.workspace_id)
            .bind(member_id)
            .fetch_optional(&self.db.read)
            .await?
            .ok_or_else(|| no_member(member_id))?;
        member_from_row(&row)
    }

    /// Gives a member another role. Admins manage editors, viewers and admins; only owners
    /// make or demote owners; the last owner keeps the role. Counts at once: the member's
    /// next request acts with the new role.
    pub async fn change_role(&self, actor: &Actor, member_id: i64, role: Role) -> Result<()> {
        actor.require(Permission::ManageMembers)?;
        let mut tx = self.db.write.begin().await?;
        lock_members(&mut tx, actor.workspace_id).await?;
        let target = target_member(&mut tx, actor, member_id).await?;
        if target.role == Role::Owner || role == Role::Owner {
            actor.require(Permission::ManageOwners)?;
        }
        if target.role == role {
            return Ok(());
        }
        if target.role == Role::Owner {
            keep_an_owner(&mut tx, actor.workspace_id, "demoted").await?;
        }
        sqlx::query("update members set role = $1 where id = $2")
            .bind(role.as_str())
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        let details = json!({ "member": member_id, "name": target.name, "email": target.email,
                              "from": target.role.as_str(), "to": role.as_str() });
        activity::record(&mut tx, actor, ActivityKind::MemberChanged, None, details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member from the workspace (a member may also remove themselves: leave).
    /// Their tokens for the workspace are revoked and their sessions no longer open it, at
    /// once; their versions keep their name.
    pub async fn remove_member(&self, actor: &Actor, member_id: i64) -> Result<()> {
        if member_id != actor.member_id {
            actor.require(Permission::ManageMembers)?;
        }
        let mut tx = self.db.write.begin().await?;
        lock_members(&mut tx, actor.workspace_id).await?;
        let target = target_member(&mut tx, actor, member_id).await?;
        if target.role == Role::Owner {
            if member_id != actor.member_id {
                actor.require(Permission::ManageOwners)?;
            }
            keep_an_owner(&mut tx, actor.workspace_id, "removed").await?;
        }
        let now = Timestamp::now();
        sqlx::query("update members set removed_at = $1 where id = $2")
            .bind(now.0)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "update access_tokens set revoked_at = $1 \
             where account_id = $2 and workspace_id = $3 and revoked_at is null",
        )
        .bind(now.0)
        .bind(target.account_id)
        .bind(actor.workspace_id)
        .execute(&mut *tx)
        .await?;
        let details = json!({ "member": member_id, "name": target.name, "email": target.email,
                              "role": target.role.as_str() });
        activity::record(&mut tx, actor, ActivityKind::MemberRemoved, None, details).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Changes to a workspace's members take turns (on PostgreSQL, by its row): two owners
/// demoting each other at once through two instances would otherwise each see the other
/// still an owner, and leave none.
async fn lock_members(tx: &mut sqlx::Transaction<'_, Any>, workspace_id: i64) -> Result<()> {
    let lock = crate::db::row_lock(tx);
    sqlx::query(AssertSqlSafe(format!("select id from workspaces where id = $1{lock}")))
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(())
}

async fn target_member(tx: &mut sqlx::Transaction<'_, Any>, actor: &Actor, member_id: i64) -> Result<Target> {
    let row = sqlx::query(
        "select a.id, a.name, a.email, m.role from members m join accounts a on a.id = m.account_id \
         where m.id = $1 and m.workspace_id = $2 and m.removed_at is null",
    )
    .bind(member_id)
    .bind(actor.workspace_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| no_member(member_id))?;
    Ok(Target {
        account_id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&row.try_get::<String, _>("role")?)?,
    })
}

/// Refuses to take away the workspace's last owner (the database refuses it too).
async fn keep_an_owner(tx: &mut sqlx::Transaction<'_, Any>, workspace_id: i64, what: &str) -> Result<()> {
    let owners: i64 = sqlx::query_scalar(
        "select count(*) from members where workspace_id = $1 and role = 'owner' and removed_at is null",
    )
    .bind(workspace_id)
    .fetch_one(&mut **tx)
    .await?;
    if owners <= 1 {
        return Err(VaultError::conflict(
            Conflict::LastOwner,
            format!(
                "the last owner cannot be {what}: a workspace keeps at least one owner; make another member owner first"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod permission_tests {
    use super::*;

    #[test]
    fn the_permission_matrix() {
        use Permission::*;
        let rows = [
            (Read, [true, true, true, true]),
            (EditPrompts, [false, true, true, true]),
            (ChangeLive, [false, true, true, true]),
            (Administer, [false, false, true, true]),
            (ManageMembers, [false, false, true, true]),
            (ManageOwners, [false, false, false, true]),
            (OwnTokens, [true, true, true, true]),
        ];
        for (permission, allowed) in rows {
            let roles = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];
            assert_eq!(roles.map(|role| role.may(permission)), allowed, "{permission:?}");
        }
    }
}
