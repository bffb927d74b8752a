//! Several workspaces on one server: the ones a person belongs to, and new ones, which a
//! signed-in person may create (as the server allows: [`WorkspaceCreators`]) and then owns.
//! Nothing crosses workspaces.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::access::{Actor, Role};
use crate::accounts::insert_workspace;
use crate::activity::{self, ActivityKind};
use crate::names::short_text;
use crate::quotas::Quota;
use crate::{Result, Vault, VaultError};

/// A workspace the person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceMembership {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// Who may create workspaces on this server, beyond first-run setup's. Accounts are made
/// only by setup and by joining (or being added to) a workspace, so whoever may own a
/// workspace decides who gets an account: an owner can invite any email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceCreators {
    /// Every account holder (each up to its quota of owned workspaces).
    #[default]
    Everyone,
    /// Only accounts that already own a workspace: an invited member cannot start one.
    Owners,
    /// Nobody: the server keeps the workspaces it has.
    Nobody,
}

impl WorkspaceCreators {
    pub fn parse(text: &str) -> Option<WorkspaceCreators> {
        match text {
            "everyone" => Some(WorkspaceCreators::Everyone),
            "owners" => Some(WorkspaceCreators::Owners),
            "nobody" => Some(WorkspaceCreators::Nobody),
            _ => None,
        }
    }
}

impl Vault {
    /// Sets who may create workspaces (everyone unless called).
    pub fn with_workspace_creators(mut self, creators: WorkspaceCreators) -> Vault {
        self.parts_mut().workspace_creators = creators;
        self
    }

    /// Every workspace the actor's person belongs to, by name.
    pub async fn workspaces(&self, actor: &Actor) -> Result<Vec<WorkspaceMembership>> {
        let rows = sqlx::query(
            "select w.id, w.name, m.role from members m join workspaces w on w.id = m.workspace_id \
             where m.account_id = $1 and m.removed_at is null order by w.name, w.id",
        )
        .bind(actor.account_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WorkspaceMembership {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    role: Role::parse(&row.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    /// Creates a workspace owned by the actor's person; returns them acting in it, with the
    /// credential they proved themselves with (a token's holder cannot make a token for the
    /// new workspace: see [`crate::Credential`]).
    pub async fn create_workspace(&self, actor: &Actor, name: &str) -> Result<Actor> {
        let name = short_text("name", name)?;
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, Quota::WorkspacesPerAccount, actor.account_id).await?.take(1)?;
        self.may_create_workspace(&mut tx, actor).await?;
        let owner = insert_workspace(&mut tx, &name, actor.account_id).await?;
        activity::record(&mut tx, &owner, ActivityKind::WorkspaceCreated, None, json!({ "name": name }))
            .await?;
        tx.commit().await?;
        Ok(Actor { credential: actor.credential, ..owner })
    }
}

impl Vault {
    async fn may_create_workspace(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        actor: &Actor,
    ) -> Result<()> {
        let refused = |who: &str| {
            VaultError::Forbidden(format!(
                "on this server {who} may create workspaces (its --workspace-creators setting)"
            ))
        };
        match self.workspace_creators {
            WorkspaceCreators::Everyone => Ok(()),
            WorkspaceCreators::Nobody => Err(refused("nobody")),
            WorkspaceCreators::Owners => {
                let owns: Option<i64> = sqlx::query_scalar(
                    "select 1 from members where account_id = $1 and role = 'owner' limit 1",
                )
                .bind(actor.account_id)
                .fetch_optional(&mut **tx)
                .await?;
                owns.map(|_| ()).ok_or_else(|| refused("only owners of a workspace"))
            }
        }
    }
}
