//! The members of a workspace: the list, role changes and removals. Who may do what is in
//! `access`; accounts, sessions and tokens in `accounts`; invitations in `invitations`.

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AssertSqlSafe, Executor, Row};

use crate::access::{Actor, Credential, Permission, Role};
use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::{Result, Vault};

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
        let manage = actor.may(Permission::ManageMembers)
            && (self.role != Role::Owner || actor.may(Permission::ManageOwners));
        MemberOffered { change_role: manage, remove: manage || self.id == actor.member_id }
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
