//! Personal access tokens: each acts as its member in one workspace, for the CLI and
//! scripts, until revoked; a token never makes another credential.

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
