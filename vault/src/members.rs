//! Workspaces and their members: first-run setup, sign-in with sessions, personal access
//! tokens, and the roles that decide who may do what.

use std::time::Duration;

use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::credentials::{hash_password, new_bearer_token, random_token, token_hash, verify_password};
use crate::db::Timestamp;
use crate::names::{Email, new_password, short_text};
use crate::{Result, Vault, VaultError};

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

    /// Editors and above change prompts and move pointers.
    pub fn can_edit(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Admins and owners change settings, keys and integrations.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
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
    pub(crate) fn require_editor(&self) -> Result<()> {
        if self.role.can_edit() {
            Ok(())
        } else {
            Err(VaultError::Forbidden("viewers cannot change prompts".into()))
        }
    }

    pub(crate) fn require_admin(&self) -> Result<()> {
        if self.role.can_administer() {
            Ok(())
        } else {
            Err(VaultError::Forbidden("only admins and owners can do this".into()))
        }
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
        let password_hash = hash_password(new_password(&input.password)?.to_owned()).await?;
        let now = Timestamp::now();

        let mut tx = self.db.write.begin().await?;
        let members: i64 = sqlx::query_scalar("select count(*) from members").fetch_one(&mut *tx).await?;
        if members > 0 {
            return Err(VaultError::Conflict("this server is already set up".into()));
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
        actor.require_admin()?;
        if input.role == Role::Owner && actor.role != Role::Owner {
            return Err(VaultError::Forbidden("only an owner can add another owner".into()));
        }
        let name = short_text("name", &input.name)?;
        let email = Email::parse(&input.email)?;
        let password_hash = hash_password(new_password(&input.password)?.to_owned()).await?;
        let mut tx = self.db.write.begin().await?;
        let taken: Option<i64> = sqlx::query_scalar("select id from members where email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(VaultError::Conflict(format!("{} is already a member", email.as_str())));
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
        if !verify_password(password.to_owned(), stored).await? {
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
        let revoked = sqlx::query(
            "update access_tokens set revoked_at = $1 where id = $2 and member_id = $3 and revoked_at is null",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(actor.member_id)
        .execute(&self.db.write)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(VaultError::NotFound(format!("no access token {id}")));
        }
        Ok(())
    }
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
