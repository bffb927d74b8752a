//! People's accounts and how they prove who they are: first-run setup, sign-in with
//! sessions (each showing one workspace at a time), personal access tokens (each acting in
//! one workspace), and the account's own name and password.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Credential, Permission, Role};
use crate::activity::{self, ActivityKind};
use crate::credentials::{new_bearer_token, random_token, token_hash};
use crate::db::Timestamp;
use crate::members::actor_in;
use crate::names::{Email, new_password, short_text};
use crate::{Conflict, Result, Vault, VaultError};

/// How long a browser session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// A session unused this long ends, however young it is.
pub const SESSION_IDLE: Duration = Duration::from_secs(3 * 24 * 60 * 60);
const ACCESS_TOKEN_PREFIX: &str = "pv_pat_";
/// "Last seen" and "last used" are kept to the minute: one write a minute, not per request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// First-run setup: the workspace and its owner.
#[derive(Clone)]
pub struct SetUp {
    pub workspace: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

/// Never the password: a `Debug` print may end up in a log.
impl std::fmt::Debug for SetUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetUp")
            .field("workspace", &self.workspace)
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A person added straight to a workspace with a new account, without an invitation: for
/// the demo, tests and benchmarks (people join through invitations).
#[derive(Clone)]
pub struct NewMember {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
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

impl Vault {
    /// True while the server has no account: first-run setup is open.
    pub async fn needs_setup(&self) -> Result<bool> {
        let accounts: i64 =
            sqlx::query_scalar("select count(*) from accounts").fetch_one(&self.db.read).await?;
        Ok(accounts == 0)
    }

    /// Creates the workspace and its owner, and a first personal access token for them.
    /// Refused once any account exists.
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

        let mut tx = self.db.write.begin().await?;
        // Two setups at once through two instances would each count no account and both
        // succeed: on PostgreSQL the count holds the accounts table against inserts until
        // this transaction ends (a setup happens once; SQLite has one writer anyway).
        if self.db.backend == crate::Backend::Postgres {
            sqlx::query("lock table accounts in share row exclusive mode").execute(&mut *tx).await?;
        }
        let accounts: i64 = sqlx::query_scalar("select count(*) from accounts").fetch_one(&mut *tx).await?;
        if accounts > 0 {
            return Err(already_set_up());
        }
        let account_id = insert_account(&mut tx, &email, &name, &password_hash).await?;
        let actor = insert_workspace(&mut tx, &workspace, account_id).await?;
        let token = insert_access_token(&mut tx, &actor, "first token").await?;
        tx.commit().await?;
        Ok((actor, token))
    }

    /// Adds a person with a new account straight to the actor's workspace (admins; owners
    /// for an owner). People join through invitations; this serves the demo and tests.
    pub async fn add_member(&self, actor: &Actor, input: NewMember) -> Result<Actor> {
        actor.require(Permission::ManageMembers)?;
        if input.role == Role::Owner {
            actor.require(Permission::ManageOwners)?;
        }
        let name = short_text("name", &input.name)?;
        let email = Email::parse(&input.email)?;
        let password_hash = self.passwords.hash(new_password(&input.password)?.to_owned()).await?;
        let mut tx = self.db.write.begin().await?;
        if account_by_email(&mut tx, &email).await?.is_some() {
            return Err(VaultError::conflict(
                Conflict::AlreadyExists,
                format!("{} already has an account; invite them instead", email.as_str()),
            ));
        }
        let account_id = insert_account(&mut tx, &email, &name, &password_hash).await?;
        insert_membership(&mut tx, actor.workspace_id, account_id, input.role).await?;
        let member = actor_in(&mut *tx, account_id, actor.workspace_id)
            .await?
            .ok_or_else(|| VaultError::Internal("the new member was not found".into()))?
            .0;
        tx.commit().await?;
        Ok(member)
    }

    /// Checks an email and password. A wrong email and a wrong password get the same
    /// answer, in the same time. Returns the account's id.
    pub(crate) async fn check_password(&self, email: &str, password: &str, from: IpAddr) -> Result<i64> {
        let refused = || VaultError::Unauthorized("the email or password is wrong".into());
        self.attempts.account(email, from)?;
        let email = Email::parse(email).map_err(|_| refused())?;
        let row = sqlx::query("select id, password_hash from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db.read)
            .await?;
        let stored = row.as_ref().map(|r| r.try_get::<String, _>("password_hash")).transpose()?;
        if !self.passwords.verify(password.to_owned(), stored).await? {
            return Err(refused());
        }
        Ok(row.as_ref().ok_or_else(refused)?.try_get("id")?)
    }

    /// Checks an email and password, given from address `from`, and opens a session in the
    /// workspace the person used last.
    pub async fn sign_in(&self, email: &str, password: &str, from: IpAddr) -> Result<(Actor, SessionCookie)> {
        let account_id = self.check_password(email, password, from).await?;
        let workspace_id = self.last_workspace(account_id).await?.ok_or_else(|| {
            VaultError::Forbidden(
                "you are not a member of any workspace; ask an admin for an invitation".into(),
            )
        })?;
        let actor = actor_in(&self.db.read, account_id, workspace_id)
            .await?
            .ok_or_else(|| VaultError::Forbidden("you are not a member of that workspace".into()))?
            .0;
        let cookie = self.open_session(&actor).await?;
        Ok((actor, cookie))
    }

    /// Opens a browser session for the actor, showing their workspace.
    pub async fn open_session(&self, actor: &Actor) -> Result<SessionCookie> {
        let token = random_token(32);
        let now = Timestamp::now();
        let expires_at = now.plus(SESSION_LIFETIME);
        let mut tx = self.db.write.begin().await?;
        // Sweep ended sessions here: sign-ins are rare, so this costs nothing noticeable.
        sqlx::query("delete from sessions where expires_at <= $1").bind(now.0).execute(&mut *tx).await?;
        sqlx::query(
            "insert into sessions (token_hash, account_id, workspace_id, created_at, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(actor.account_id)
        .bind(actor.workspace_id)
        .bind(now.0)
        .bind(expires_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SessionCookie { value: self.cookie_key.sign(&token), expires_at })
    }

    /// The member a session cookie belongs to, in the workspace the session shows; refused
    /// when the cookie is forged, unknown, signed out or expired. A session whose member was
    /// removed from its workspace is refused (403), once if it can move to another workspace
    /// of theirs, else until they sign out.
    pub async fn session_actor(&self, cookie: &str) -> Result<Actor> {
        let token = self
            .cookie_key
            .verify(cookie)
            .ok_or_else(|| VaultError::Unauthorized("please sign in".into()))?;
        let hash = token_hash(token);
        let row = sqlx::query(
            "select account_id, workspace_id, created_at, expires_at, last_used_at from sessions where token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(|| VaultError::Unauthorized("your session has ended; please sign in again".into()))?;
        let now = Timestamp::now();
        if row.try_get::<i64, _>("expires_at")? <= now.0 {
            return Err(VaultError::Unauthorized("your session has expired; please sign in again".into()));
        }
        let last_used = row.try_get::<Option<i64>, _>("last_used_at")?.unwrap_or(row.try_get("created_at")?);
        if now.0 - last_used > i64::try_from(SESSION_IDLE.as_millis()).unwrap_or(i64::MAX) {
            sqlx::query("delete from sessions where token_hash = $1")
                .bind(&hash)
                .execute(&self.db.write)
                .await?;
            return Err(VaultError::Unauthorized(
                "your session ended after three days without use; please sign in again".into(),
            ));
        }
        if now.0 - last_used > TOUCH_EVERY_MS {
            sqlx::query("update sessions set last_used_at = $1 where token_hash = $2")
                .bind(now.0)
                .bind(&hash)
                .execute(&self.db.write)
                .await?;
        }
        let account_id: i64 = row.try_get("account_id")?;
        let workspace_id: Option<i64> = row.try_get("workspace_id")?;
        if let Some(workspace_id) = workspace_id
            && let Some((actor, last_seen)) = actor_in(&self.db.read, account_id, workspace_id).await?
        {
            self.touch_member(&actor, last_seen).await?;
            return Ok(actor);
        }
        // The member was removed from the workspace this session shows: say so once, and
        // show another workspace of theirs next time. With none left, the session stays
        // refused in the same words (rather than ending silently) until they sign out.
        if let Some(next) = self.last_workspace(account_id).await? {
            sqlx::query("update sessions set workspace_id = $1 where token_hash = $2")
                .bind(next)
                .bind(&hash)
                .execute(&self.db.write)
                .await?;
        }
        Err(VaultError::Forbidden(
            "you are no longer a member of this workspace; ask an admin to invite you again, or sign out"
                .into(),
        ))
    }

    /// Shows another of the person's workspaces in this session.
    pub async fn switch_workspace(&self, cookie: &str, workspace_id: i64) -> Result<Actor> {
        let current = self.session_actor(cookie).await?;
        let actor = actor_in(&self.db.read, current.account_id, workspace_id)
            .await?
            .ok_or_else(|| VaultError::NotFound(format!("you are not a member of workspace {workspace_id}")))?
            .0;
        let token = self.cookie_key.verify(cookie).unwrap_or_default();
        sqlx::query("update sessions set workspace_id = $1 where token_hash = $2")
            .bind(workspace_id)
            .bind(token_hash(token))
            .execute(&self.db.write)
            .await?;
        Ok(actor)
    }

    /// The workspace the person used last (or joined last), if they are a member anywhere.
    async fn last_workspace(&self, account_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "select workspace_id from members where account_id = $1 and removed_at is null \
             order by coalesce(last_seen_at, joined_at) desc, id desc limit 1",
        )
        .bind(account_id)
        .fetch_optional(&self.db.read)
        .await?)
    }

    /// Records that the member was seen, at most once a minute.
    async fn touch_member(&self, actor: &Actor, last_seen: Option<Timestamp>) -> Result<()> {
        let now = Timestamp::now();
        if last_seen.is_none_or(|at| now.0 - at.0 > TOUCH_EVERY_MS) {
            sqlx::query("update members set last_seen_at = $1 where id = $2")
                .bind(now.0)
                .bind(actor.member_id)
                .execute(&self.db.write)
                .await?;
        }
        Ok(())
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

    /// Changes the actor's own name, in every workspace. Their versions show the new name as
    /// author, and search finds them by it (the rename feeds them to the index again).
    pub async fn rename_member(&self, actor: &Actor, name: &str) -> Result<Actor> {
        let name = short_text("name", name)?;
        sqlx::query("update accounts set name = $1 where id = $2")
            .bind(&name)
            .bind(actor.account_id)
            .execute(&self.db.write)
            .await?;
        self.search_index.poke();
        // SDK reads carry the author's name.
        self.follow_changes().await;
        Ok(Actor { name, ..actor.clone() })
    }

    /// Changes the actor's password; the current one must be given (from address `from`,
    /// limited like a sign-in). Every other session of theirs ends, and every personal
    /// access token of theirs (in every workspace) is revoked; `keep` is the session cookie
    /// of the one making the change, if any.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        keep: Option<&str>,
        from: IpAddr,
    ) -> Result<()> {
        let new = new_password(new)?.to_owned();
        // Guessing the current password from an open session is limited like a sign-in.
        self.attempts.account(&actor.email, from)?;
        let stored: String = sqlx::query_scalar("select password_hash from accounts where id = $1")
            .bind(actor.account_id)
            .fetch_one(&self.db.read)
            .await?;
        if !self.passwords.verify(current.to_owned(), Some(stored)).await? {
            return Err(VaultError::invalid("current_password", "the current password is not right"));
        }
        let hash = self.passwords.hash(new).await?;
        let kept = keep.and_then(|cookie| self.cookie_key.verify(cookie)).map(token_hash).unwrap_or_default();
        let mut tx = self.db.write.begin().await?;
        replace_password(&mut tx, actor.account_id, &hash, &kept).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The operator's way out of an account that is not its email's owner's (someone who
    /// could invite the email joined with it first): a new random password for the account
    /// of `email`, returned once, for the operator to hand to the email's owner. Every
    /// session ends and every access token is revoked, so whoever held it is out.
    pub async fn reset_password(&self, email: &str) -> Result<String> {
        let email = Email::parse(email)?;
        let password = random_token(18);
        let hash = self.passwords.hash(password.clone()).await?;
        let mut tx = self.db.write.begin().await?;
        let account_id = account_by_email(&mut tx, &email)
            .await?
            .ok_or_else(|| VaultError::NotFound(format!("no account has the email {}", email.as_str())))?;
        replace_password(&mut tx, account_id, &hash, "").await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Ends every session of the actor, the current one included.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<()> {
        sqlx::query("delete from sessions where account_id = $1")
            .bind(actor.account_id)
            .execute(&self.db.write)
            .await?;
        Ok(())
    }

    /// The member a `pv_pat_…` token belongs to, in the token's workspace; refused when
    /// unknown or revoked (removing a member revokes their tokens there).
    pub async fn token_actor(&self, secret: &str) -> Result<Actor> {
        let refused = || VaultError::Unauthorized("the access token is unknown or revoked".into());
        if !secret.starts_with(ACCESS_TOKEN_PREFIX) {
            return Err(refused());
        }
        let row = sqlx::query(
            "select id, account_id, workspace_id, last_used_at from access_tokens \
             where token_hash = $1 and revoked_at is null",
        )
        .bind(token_hash(secret))
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(refused)?;
        let (actor, last_seen) =
            actor_in(&self.db.read, row.try_get("account_id")?, row.try_get("workspace_id")?)
                .await?
                .ok_or_else(refused)?;
        let now = Timestamp::now();
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| now.0 - at > TOUCH_EVERY_MS) {
            sqlx::query("update access_tokens set last_used_at = $1 where id = $2")
                .bind(now.0)
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&self.db.write)
                .await?;
        }
        self.touch_member(&actor, last_seen).await?;
        Ok(Actor { credential: Credential::AccessToken, ..actor })
    }

    /// A new token for the actor, acting in the actor's workspace; only with their password
    /// behind the request (see [`Credential`]).
    pub async fn create_access_token(&self, actor: &Actor, name: &str) -> Result<NewAccessToken> {
        if actor.credential == Credential::AccessToken {
            return Err(VaultError::Forbidden(
                "a personal access token cannot create tokens: create one in the dashboard's \
                 Personal access tokens section, signed in with your password"
                    .into(),
            ));
        }
        let name = short_text("name", name)?;
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, crate::Quota::AccessTokensPerWorkspace, actor.workspace_id).await?.take(1)?;
        let token = insert_access_token(&mut tx, actor, &name).await?;
        let details = json!({ "id": token.token.id, "name": name });
        activity::record(&mut tx, actor, ActivityKind::TokenCreated, None, details).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor's own tokens for this workspace that are not revoked, newest first.
    pub async fn access_tokens(&self, actor: &Actor) -> Result<Vec<AccessToken>> {
        let rows = sqlx::query(
            "select id, name, last_four, created_at, last_used_at from access_tokens \
             where account_id = $1 and workspace_id = $2 and revoked_at is null order by id desc",
        )
        .bind(actor.account_id)
        .bind(actor.workspace_id)
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
            "update access_tokens set revoked_at = $1 \
             where id = $2 and account_id = $3 and workspace_id = $4 and revoked_at is null returning name",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(actor.account_id)
        .bind(actor.workspace_id)
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

/// The id of the account with this email, if there is one.
pub(crate) async fn account_by_email(tx: &mut Transaction<'_, Any>, email: &Email) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("select id from accounts where email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut **tx)
        .await?)
}

pub(crate) async fn insert_account(
    tx: &mut Transaction<'_, Any>,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<i64> {
    let id = sqlx::query_scalar(
        "insert into accounts (email, name, password_hash, created_at) values ($1, $2, $3, $4) returning id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(password_hash)
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Makes the account a member of the workspace with `role`: a new membership, or the old
/// one of a member who was removed, brought back.
pub(crate) async fn insert_membership(
    tx: &mut Transaction<'_, Any>,
    workspace_id: i64,
    account_id: i64,
    role: Role,
) -> Result<i64> {
    let id = sqlx::query_scalar(
        "insert into members (workspace_id, account_id, role, joined_at) values ($1, $2, $3, $4) \
         on conflict (workspace_id, account_id) do update \
           set role = excluded.role, joined_at = excluded.joined_at, removed_at = null, last_seen_at = null \
         returning id",
    )
    .bind(workspace_id)
    .bind(account_id)
    .bind(role.as_str())
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Creates a workspace with the account as its owner; returns the owner acting in it.
pub(crate) async fn insert_workspace(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    account_id: i64,
) -> Result<Actor> {
    let workspace_id: i64 =
        sqlx::query_scalar("insert into workspaces (name, created_at) values ($1, $2) returning id")
            .bind(name)
            .bind(Timestamp::now().0)
            .fetch_one(&mut **tx)
            .await?;
    insert_membership(tx, workspace_id, account_id, Role::Owner).await?;
    let (actor, _) = actor_in(&mut **tx, account_id, workspace_id)
        .await?
        .ok_or_else(|| VaultError::Internal("the new workspace's owner was not found".into()))?;
    Ok(actor)
}

pub(crate) async fn insert_access_token(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
) -> Result<NewAccessToken> {
    let (secret, last_four) = new_bearer_token(ACCESS_TOKEN_PREFIX);
    let created_at = Timestamp::now();
    let id = sqlx::query_scalar(
        "insert into access_tokens (account_id, workspace_id, name, token_hash, last_four, created_at) \
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(actor.account_id)
    .bind(actor.workspace_id)
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

/// Sets an account's password hash; every session but the one whose token hash is `kept`
/// ends, and every access token is revoked: a token made under the old password may be
/// what leaked it, so none outlives it.
async fn replace_password(
    tx: &mut Transaction<'_, Any>,
    account_id: i64,
    hash: &str,
    kept: &str,
) -> Result<()> {
    sqlx::query("update accounts set password_hash = $1 where id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from sessions where account_id = $1 and token_hash <> $2")
        .bind(account_id)
        .bind(kept)
        .execute(&mut **tx)
        .await?;
    sqlx::query("update access_tokens set revoked_at = $1 where account_id = $2 and revoked_at is null")
        .bind(Timestamp::now().0)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
