//! Workspaces and their members: first-run setup, sign-in with sessions, personal access
//! tokens, and the roles that decide who may do what.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::activity::{self, ActivityKind};
use crate::credentials::{new_bearer_token, random_token, token_hash};
use crate::db::Timestamp;
use crate::names::{Email, new_password, short_text};
use crate::{Conflict, Result, Vault, VaultError};

/// How long a browser session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);
const ACCESS_TOKEN_PREFIX: &str = "pv_pat_";

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
/// | `ChangeLive`: promote and roll back | | ✔ | ✔ | ✔ |
/// | `Administer`: settings, API keys, webhooks | | | ✔ | ✔ |
/// | `ManageMembers`: add members (not owners) | | | ✔ | ✔ |
/// | `ManageOwners`: make owners | | | | ✔ |
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

/// The signed-in member on whose behalf an operation runs; every change records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub member_id: i64,
    pub workspace_id: i64,
    pub workspace: String,
    pub name: String,
    pub email: String,
    pub role: Role,
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

/// First-run setup: the workspace and its owner.
#[derive(Debug, Clone)]
pub struct SetUp {
    pub workspace: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

/// A member an admin adds to the workspace.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

/// A signed session cookie value and when it expires.
#[derive(Clone)]
pub struct SessionCookie {
    pub value: String,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCookie").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// A personal access token as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    pub prefix: &'static str,
    pub last_four: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A token just created: the only time its secret is seen.
#[derive(Clone)]
pub struct NewAccessToken {
    pub token: AccessToken,
    pub secret: String,
}

impl std::fmt::Debug for NewAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessToken").field("token", &self.token).finish_non_exhaustive()
    }
}

const ACTOR_COLUMNS: &str = "m.id, m.workspace_id, w.name as workspace, m.name, m.email, m.role";

fn actor_from_row(row: &sqlx::any::AnyRow) -> Result<Actor> {
    Ok(Actor {
        member_id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        workspace: row.try_get("workspace")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&row.try_get::<String, _>("role")?)?,
    })
}

impl Vault {
    /// True while the server has no member: first-run setup is open.
    pub async fn needs_setup(&self) -> Result<bool> {
        let members: i64 =
            sqlx::query_scalar("select count(*) from members").fetch_one(&self.db.read).await?;
        Ok(members == 0)
    }

    /// Creates the workspace and its owner, and a first personal access token for them.
    /// Refused once any member exists.
    pub async fn set_up(&self, input: SetUp) -> Result<(Actor, NewAccessToken)> {
        let workspace = short_text("workspace", &input.workspace)?;
        let name = short_text("name", &input.name)?;
        let email = Email::parse(&input.email)?;
        let password = new_password(&input.password)?.to_owned();
        // Checked before the (expensive) hash, so a flood of setups on a server that is set
        // up costs nothing; checked again in the transaction, which decides.
        if !self.needs_setup().await? {
            return Err(already_set_up());
        }
        let password_hash = self.passwords.hash(password).await?;
        let now = Timestamp::now();

        let mut tx = self.db.write.begin().await?;
        let members: i64 = sqlx::query_scalar("select count(*) from members").fetch_one(&mut *tx).await?;
        if members > 0 {
            return Err(already_set_up());
        }
        let workspace_id: i64 =
            sqlx::query_scalar("insert into workspaces (name, created_at) values ($1, $2) returning id")
                .bind(&workspace)
                .bind(now.0)
                .fetch_one(&mut *tx)
                .await?;
        let member_id =
            insert_member(&mut tx, workspace_id, &email, &name, Role::Owner, &password_hash).await?;
        let token = insert_access_token(&mut tx, member_id, "first token").await?;
        tx.commit().await?;

        let actor = Actor {
            member_id,
            workspace_id,
            workspace,
            name,
            email: email.as_str().to_owned(),
            role: Role::Owner,
        };
        Ok((actor, token))
    }

    /// Adds a member to the actor's workspace (admins only).
    pub async fn add_member(&self, actor: &Actor, input: NewMember) -> Result<Actor> {
        actor.require(Permission::ManageMembers)?;
        if input.role == Role::Owner {
            actor.require(Permission::ManageOwners)?;
        }
        let name = short_text("name", &input.name)?;
        let email = Email::parse(&input.email)?;
        let password_hash = self.passwords.hash(new_password(&input.password)?.to_owned()).await?;
        let mut tx = self.db.write.begin().await?;
        let taken: Option<i64> = sqlx::query_scalar("select id from members where email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!("{} is already a member", email.as_str()),
            ));
        }
        let member_id =
            insert_member(&mut tx, actor.workspace_id, &email, &name, input.role, &password_hash).await?;
        tx.commit().await?;
        Ok(Actor {
            member_id,
            workspace_id: actor.workspace_id,
            workspace: actor.workspace.clone(),
            name,
            email: email.as_str().to_owned(),
            role: input.role,
        })
    }

    /// Checks an email and password and opens a session. A wrong email and a wrong password
    /// get the same answer, in the same time.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<(Actor, SessionCookie)> {
        let refused = || VaultError::Unauthorized("the email or password is wrong".into());
        let email = Email::parse(email).map_err(|_| refused())?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {ACTOR_COLUMNS}, m.password_hash from members m join workspaces w on w.id = m.workspace_id where m.email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(&self.db.read)
        .await?;
        let stored = row.as_ref().map(|r| r.try_get::<String, _>("password_hash")).transpose()?;
        if !self.passwords.verify(password.to_owned(), stored).await? {
            return Err(refused());
        }
        let actor = actor_from_row(row.as_ref().ok_or_else(refused)?)?;

        let token = random_token(32);
        let now = Timestamp::now();
        let expires_at = now.plus(SESSION_LIFETIME);
        // Sweep ended sessions here: sign-ins are rare, so this costs nothing noticeable.
        sqlx::query("delete from sessions where expires_at <= $1")
            .bind(now.0)
            .execute(&self.db.write)
            .await?;
        sqlx::query(
            "insert into sessions (token_hash, member_id, created_at, expires_at) values ($1, $2, $3, $4)",
        )
        .bind(token_hash(&token))
        .bind(actor.member_id)
        .bind(now.0)
        .bind(expires_at.0)
        .execute(&self.db.write)
        .await?;
        Ok((actor, SessionCookie { value: self.cookie_key.sign(&token), expires_at }))
    }

    /// The member a session cookie belongs to; refused when the cookie is forged, unknown,
    /// signed out or expired.
    pub async fn session_actor(&self, cookie: &str) -> Result<Actor> {
        let token = self
            .cookie_key
            .verify(cookie)
            .ok_or_else(|| VaultError::Unauthorized("please sign in".into()))?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {ACTOR_COLUMNS}, s.expires_at from sessions s join members m on m.id = s.member_id \
             join workspaces w on w.id = m.workspace_id where s.token_hash = $1"
        )))
        .bind(token_hash(token))
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(|| VaultError::Unauthorized("your session has ended; please sign in again".into()))?;
        if row.try_get::<i64, _>("expires_at")? <= Timestamp::now().0 {
            return Err(VaultError::Unauthorized("your session has expired; please sign in again".into()));
        }
        actor_from_row(&row)
    }

    /// Ends a session; signing out twice is harmless.
    pub async fn sign_out(&self, cookie: &str) -> Result<()> {
        if let Some(token) = self.cookie_key.verify(cookie) {
            sqlx::query("delete from sessions where token_hash = $1")
                .bind(token_hash(token))
                .execute(&self.db.write)
                .await?;
        }
        Ok(())
    }

    /// Changes the actor's own name. Their versions show the new name as author, and search
    /// finds them by it (the rename feeds them to the index again).
    pub async fn rename_member(&self, actor: &Actor, name: &str) -> Result<Actor> {
        let name = short_text("name", name)?;
        sqlx::query("update members set name = $1 where id = $2")
            .bind(&name)
            .bind(actor.member_id)
            .execute(&self.db.write)
            .await?;
        self.search_index.poke();
        // SDK reads carry the author's name.
        self.refresh_served_workspace(actor.workspace_id).await?;
        Ok(Actor { name, ..actor.clone() })
    }

    /// Changes the actor's password; the current one must be given. Every other session of
    /// theirs ends; `keep` is the session cookie of the one making the change, if any.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let new = new_password(new)?.to_owned();
        let stored: String = sqlx::query_scalar("select password_hash from members where id = $1")
            .bind(actor.member_id)
            .fetch_one(&self.db.read)
            .await?;
        if !self.passwords.verify(current.to_owned(), Some(stored)).await? {
            return Err(VaultError::invalid("current_password", "the current password is not right"));
        }
        let hash = self.passwords.hash(new).await?;
        let kept = keep.and_then(|cookie| self.cookie_key.verify(cookie)).map(token_hash).unwrap_or_default();
        let mut tx = self.db.write.begin().await?;
        sqlx::query("update members set password_hash = $1 where id = $2")
            .bind(hash)
            .bind(actor.member_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from sessions where member_id = $1 and token_hash <> $2")
            .bind(actor.member_id)
            .bind(kept)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the actor, the current one included.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<()> {
        sqlx::query("delete from sessions where member_id = $1")
            .bind(actor.member_id)
            .execute(&self.db.write)
            .await?;
        Ok(())
    }

    /// The member a `pv_pat_…` token belongs to; refused when unknown or revoked.
    pub async fn token_actor(&self, secret: &str) -> Result<Actor> {
        let refused = || VaultError::Unauthorized("the access token is unknown or revoked".into());
        if !secret.starts_with(ACCESS_TOKEN_PREFIX) {
            return Err(refused());
        }
        let hash = token_hash(secret);
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {ACTOR_COLUMNS}, t.id as token_id, t.last_used_at from access_tokens t \
             join members m on m.id = t.member_id join workspaces w on w.id = m.workspace_id \
             where t.token_hash = $1 and t.revoked_at is null"
        )))
        .bind(&hash)
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(refused)?;
        // "Last used" to the minute: one write a minute per token, not one per request.
        let now = Timestamp::now();
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| now.0 - at > 60_000) {
            sqlx::query("update access_tokens set last_used_at = $1 where id = $2")
                .bind(now.0)
                .bind(row.try_get::<i64, _>("token_id")?)
                .execute(&self.db.write)
                .await?;
        }
        actor_from_row(&row)
    }

    pub async fn create_access_token(&self, actor: &Actor, name: &str) -> Result<NewAccessToken> {
        let name = short_text("name", name)?;
        let mut tx = self.db.write.begin().await?;
        let token = insert_access_token(&mut tx, actor.member_id, &name).await?;
        let details = json!({ "id": token.token.id, "name": name });
        activity::record(&mut tx, actor, ActivityKind::TokenCreated, None, details).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor's own tokens that are not revoked, newest first.
    pub async fn access_tokens(&self, actor: &Actor) -> Result<Vec<AccessToken>> {
        let rows = sqlx::query(
            "select id, name, last_four, created_at, last_used_at from access_tokens \
             where member_id = $1 and revoked_at is null order by id desc",
        )
        .bind(actor.member_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccessToken {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    prefix: ACCESS_TOKEN_PREFIX,
                    last_four: row.try_get("last_four")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                    last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(Timestamp),
                })
            })
            .collect()
    }

    /// Revokes one of the actor's own tokens; it stops working at once.
    pub async fn revoke_access_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.db.write.begin().await?;
        let name: String = sqlx::query_scalar(
            "update access_tokens set revoked_at = $1 where id = $2 and member_id = $3 and revoked_at is null \
             returning name",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(actor.member_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| VaultError::NotFound(format!("no access token {id}")))?;
        activity::record(&mut tx, actor, ActivityKind::TokenRevoked, None, json!({ "id": id, "name": name }))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn already_set_up() -> VaultError {
    VaultError::conflict(Conflict::AlreadySetUp, "this server is already set up")
}

async fn insert_member(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: i64,
    email: &Email,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<i64> {
    let id = sqlx::query_scalar(
        "insert into members (workspace_id, email, name, role, password_hash, created_at) \
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(workspace_id)
    .bind(email.as_str())
    .bind(name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn insert_access_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    member_id: i64,
    name: &str,
) -> Result<NewAccessToken> {
    let (secret, last_four) = new_bearer_token(ACCESS_TOKEN_PREFIX);
    let created_at = Timestamp::now();
    let id = sqlx::query_scalar(
        "insert into access_tokens (member_id, name, token_hash, last_four, created_at) \
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(member_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(&last_four)
    .bind(created_at.0)
    .fetch_one(&mut **tx)
    .await?;
    let token = AccessToken {
        id,
        name: name.to_owned(),
        prefix: ACCESS_TOKEN_PREFIX,
        last_four,
        created_at,
        last_used_at: None,
    };
    Ok(NewAccessToken { token, secret })
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
