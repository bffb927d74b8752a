//! People's accounts: first-run setup, members added with a password, signing in, and the
//! account's own name and password. Sessions are in `sessions`, personal access tokens in
//! `tokens`.

use std::net::IpAddr;

use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Permission, Role};
use crate::credentials::{random_token, token_hash};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::members::actor_in;
use crate::names::{Email, new_password, short_text};
use crate::sessions::SessionCookie;
use crate::tokens::{NewAccessToken, insert_access_token};
use crate::{Result, Vault};

/// First-run setup: the workspace and its owner.
#[derive(Clone)]
pub struct SetUp {
    pub workspace: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

// Never the password: a `Debug` print may end up in a log.
debug_without_secrets!(SetUp { workspace, email, name });

/// A person added straight to a workspace with a new account, without an invitation: for
/// the demo, tests and benchmarks (people join through invitations).
#[derive(Clone)]
pub struct NewMember {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

debug_without_secrets!(NewMember { email, name, role });

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
        let token =
            insert_access_token(&mut tx, &actor, "first token", crate::tokens::TokenScope::Member).await?;
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
