//! Personal access tokens: each acts as its member in one workspace, for the CLI and
//! scripts, until revoked; a token never makes another credential. A token made to abort
//! rollouts (for the automation that watches one) does that alone: it is refused as a
//! member's token everywhere else.

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Credential};
use crate::activity::{self, ActivityKind};
use crate::credentials::{new_bearer_token, token_hash};
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::members::actor_in;
use crate::names::short_text;
use crate::sessions::TOUCH_EVERY_MS;
use crate::{Result, Vault};

/// How every personal access token begins (so a client can tell one from an API key).
pub const ACCESS_TOKEN_PREFIX: &str = "pv_pat_";

/// A personal access token as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    pub prefix: &'static str,
    pub last_four: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// Made only to abort rollouts.
    pub abort_only: bool,
}

/// What a token may do: everything its member may, or only abort rollouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    Member,
    AbortRollouts,
}

/// A token just created: the only time its secret is seen.
#[derive(Clone)]
pub struct NewAccessToken {
    pub token: AccessToken,
    pub secret: String,
}

debug_without_secrets!(NewAccessToken { token });

impl Vault {
    /// The member a `pv_pat_…` token belongs to, in the token's workspace; refused when
    /// unknown or revoked (removing a member revokes their tokens there).
    pub async fn token_actor(&self, secret: &str) -> Result<Actor> {
        let (actor, scope) = self.token_member(secret).await?;
        match scope {
            TokenScope::Member => Ok(actor),
            TokenScope::AbortRollouts => Err(VaultError::Forbidden(
                "this token only aborts rollouts: POST /v1/manage/prompts/{name}/labels/{label}/rollout/abort".into(),
            )),
        }
    }

    /// Aborts the running rollout of `label` on prompt `name` with token `secret`: a
    /// member's token, or one made to abort rollouts; as its member, who must be allowed to
    /// abort it.
    pub async fn abort_rollout_with_token(
        &self,
        secret: &str,
        name: &str,
        label: &str,
        reason: &str,
    ) -> Result<types::rollouts::RolloutJson> {
        let (actor, _) = self.token_member(secret).await?;
        self.abort_rollout(&actor, name, label, reason).await
    }

    /// The member a token belongs to, and what the token may do.
    async fn token_member(&self, secret: &str) -> Result<(Actor, TokenScope)> {
        let refused = || VaultError::Unauthorized("the access token is unknown or revoked".into());
        if !secret.starts_with(ACCESS_TOKEN_PREFIX) {
            return Err(refused());
        }
        let row = sqlx::query(
            "select id, account_id, workspace_id, last_used_at, abort_only from access_tokens \
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
        let scope = if row.try_get::<i64, _>("abort_only")? == 1 {
            TokenScope::AbortRollouts
        } else {
            TokenScope::Member
        };
        Ok((Actor { credential: Credential::AccessToken, ..actor }, scope))
    }

    /// A new token for the actor, acting in the actor's workspace; only with their password
    /// behind the request (see [`Credential`]).
    pub async fn create_access_token(&self, actor: &Actor, name: &str) -> Result<NewAccessToken> {
        self.create_scoped_token(actor, name, TokenScope::Member).await
    }

    /// A new token of the actor's that may only abort rollouts (those the actor may abort):
    /// for the automation that watches a rollout. Made by members who may abort one.
    pub async fn create_abort_token(&self, actor: &Actor, name: &str) -> Result<NewAccessToken> {
        actor.require(crate::Permission::ChangeLive)?;
        self.create_scoped_token(actor, name, TokenScope::AbortRollouts).await
    }

    async fn create_scoped_token(
        &self,
        actor: &Actor,
        name: &str,
        scope: TokenScope,
    ) -> Result<NewAccessToken> {
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
        let token = insert_access_token(&mut tx, actor, &name, scope).await?;
        let details = json!({ "id": token.token.id, "name": name, "abort_only": token.token.abort_only });
        activity::record(&mut tx, actor, ActivityKind::TokenCreated, None, details).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor's own tokens for this workspace that are not revoked, newest first.
    pub async fn access_tokens(&self, actor: &Actor) -> Result<Vec<AccessToken>> {
        let rows = sqlx::query(
            "select id, name, last_four, created_at, last_used_at, abort_only from access_tokens \
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
                    abort_only: row.try_get::<i64, _>("abort_only")? == 1,
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

pub(crate) async fn insert_access_token(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
    scope: TokenScope,
) -> Result<NewAccessToken> {
    let (secret, last_four) = new_bearer_token(ACCESS_TOKEN_PREFIX);
    let created_at = Timestamp::now();
    let abort_only = scope == TokenScope::AbortRollouts;
    let id = sqlx::query_scalar(
        "insert into access_tokens (account_id, workspace_id, name, token_hash, last_four, created_at, abort_only) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(actor.account_id)
    .bind(actor.workspace_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(&last_four)
    .bind(created_at.0)
    .bind(i64::from(abort_only))
    .fetch_one(&mut **tx)
    .await?;
    let token = AccessToken {
        abort_only,
        id,
        name: name.to_owned(),
        prefix: ACCESS_TOKEN_PREFIX,
        last_four,
        created_at,
        last_used_at: None,
    };
    Ok(NewAccessToken { token, secret })
}
