//! Dashboard sessions: a signed cookie per sign-in, each showing one workspace at a time,
//! ended by signing out, by three idle days or after two weeks.

use std::time::Duration;

use sqlx::Row;

use crate::access::Actor;
use crate::credentials::{random_token, token_hash};
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::members::actor_in;
use crate::{Result, Vault};

/// How long a browser session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// A session unused this long ends, however young it is.
pub const SESSION_IDLE: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// "Last seen" and "last used" are kept to the minute: one write a minute, not per request.
pub(crate) const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed session cookie value and when it expires.
#[derive(Clone)]
pub struct SessionCookie {
    pub value: String,
    pub expires_at: Timestamp,
}

debug_without_secrets!(SessionCookie { expires_at });

impl Vault {
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
    pub(crate) async fn last_workspace(&self, account_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "select workspace_id from members where account_id = $1 and removed_at is null \
             order by coalesce(last_seen_at, joined_at) desc, id desc limit 1",
        )
        .bind(account_id)
        .fetch_optional(&self.db.read)
        .await?)
    }

    /// Records that the member was seen, at most once a minute.
    pub(crate) async fn touch_member(&self, actor: &Actor, last_seen: Option<Timestamp>) -> Result<()> {
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

    /// Ends every session of the actor, the current one included.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<()> {
        sqlx::query("delete from sessions where account_id = $1")
            .bind(actor.account_id)
            .execute(&self.db.write)
            .await?;
        Ok(())
    }
}
