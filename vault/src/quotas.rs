//! Quotas: how much one account or one workspace may hold, so that one tenant cannot fill
//! the server's disk or memory for everyone else. Each is a server setting with a generous
//! default; a write that would pass one is refused (409 `quota_reached`, naming the quota
//! and its setting) and changes nothing.
//!
//! A write reads the [`Room`] a quota leaves first in its transaction, before it writes
//! anything or takes any other lock, and takes from it what it adds: one count per quota
//! and operation, whatever the operation adds (a push of a hundred prompts counts once).
//! The count stops one past the quota, so its cost is bounded by the quota, not by what a
//! workspace holds; a workspace's versions and their bytes, which grow into the hundreds of
//! thousands, are not counted at all but kept by triggers in `workspace_usage`.
//!
//! On PostgreSQL reading the room first locks the owner's row (the workspace's, or the
//! account's) `for no key update`: two writes of one workspace at once take turns, while
//! other workspaces' writes and the foreign keys that point at the row (which take a
//! key-share lock) go on. Taken first, the lock keeps the documented order (the owner,
//! then a prompt's row, then the change feed's turn), so writers never wait on each
//! other in a circle; counted before writing, the count never runs while the transaction
//! holds the change feed's turn, which every workspace's writers share.

use sqlx::{Any, AssertSqlSafe, Transaction};

use crate::db::Timestamp;
use crate::{Conflict, Result, Vault, VaultError};

/// How much one account or workspace may hold (see [`Quota`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Workspaces one account owns (first-run setup's and those it created).
    pub workspaces_per_account: u64,
    pub prompts_per_workspace: u64,
    /// Versions of all the workspace's prompts, drafts and published alike.
    pub versions_per_workspace: u64,
    /// API keys not revoked.
    pub api_keys_per_workspace: u64,
    /// Personal access tokens not revoked, of all the workspace's members.
    pub access_tokens_per_workspace: u64,
    pub webhooks_per_workspace: u64,
    /// Invitations waiting to be used (not used, revoked or expired).
    pub invitations_per_workspace: u64,
    /// Requests to change live that are open.
    pub open_requests_per_workspace: u64,
    /// Bytes of all the workspace's versions' texts (or messages) and configs, as stored.
    pub bytes_per_workspace: u64,
    /// Labels of the workspace's own (live and staging are not counted).
    pub labels_per_workspace: u64,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            workspaces_per_account: 10,
            prompts_per_workspace: 10_000,
            versions_per_workspace: 200_000,
            api_keys_per_workspace: 500,
            access_tokens_per_workspace: 500,
            webhooks_per_workspace: 50,
            invitations_per_workspace: 500,
            open_requests_per_workspace: 1_000,
            bytes_per_workspace: 1024 * 1024 * 1024,
            labels_per_workspace: 100,
        }
    }
}

/// One of the [`Quotas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    WorkspacesPerAccount,
    PromptsPerWorkspace,
    VersionsPerWorkspace,
    ApiKeysPerWorkspace,
    AccessTokensPerWorkspace,
    WebhooksPerWorkspace,
    InvitationsPerWorkspace,
    OpenRequestsPerWorkspace,
    BytesPerWorkspace,
    LabelsPerWorkspace,
}

impl Quota {
    /// The server's command-line option that sets it.
    pub fn setting(self) -> &'static str {
        match self {
            Quota::WorkspacesPerAccount => "--max-workspaces-per-account",
            Quota::PromptsPerWorkspace => "--max-prompts-per-workspace",
            Quota::VersionsPerWorkspace => "--max-versions-per-workspace",
            Quota::ApiKeysPerWorkspace => "--max-api-keys-per-workspace",
            Quota::AccessTokensPerWorkspace => "--max-access-tokens-per-workspace",
            Quota::WebhooksPerWorkspace => "--max-webhooks-per-workspace",
            Quota::InvitationsPerWorkspace => "--max-invitations-per-workspace",
            Quota::OpenRequestsPerWorkspace => "--max-open-requests-per-workspace",
            Quota::BytesPerWorkspace => "--max-bytes-per-workspace",
            Quota::LabelsPerWorkspace => "--max-labels-per-workspace",
        }
    }

    fn what(self) -> (&'static str, &'static str) {
        match self {
            Quota::WorkspacesPerAccount => ("an account", "owned workspaces"),
            Quota::PromptsPerWorkspace => ("a workspace", "prompts"),
            Quota::VersionsPerWorkspace => ("a workspace", "versions"),
            Quota::ApiKeysPerWorkspace => ("a workspace", "API keys"),
            Quota::AccessTokensPerWorkspace => ("a workspace", "personal access tokens"),
            Quota::WebhooksPerWorkspace => ("a workspace", "webhooks"),
            Quota::InvitationsPerWorkspace => ("a workspace", "unused invitations"),
            Quota::OpenRequestsPerWorkspace => ("a workspace", "open requests"),
            Quota::BytesPerWorkspace => ("a workspace", "bytes of versions"),
            Quota::LabelsPerWorkspace => ("a workspace", "labels of its own"),
        }
    }

    fn limit(self, quotas: &Quotas) -> u64 {
        match self {
            Quota::WorkspacesPerAccount => quotas.workspaces_per_account,
            Quota::PromptsPerWorkspace => quotas.prompts_per_workspace,
            Quota::VersionsPerWorkspace => quotas.versions_per_workspace,
            Quota::ApiKeysPerWorkspace => quotas.api_keys_per_workspace,
            Quota::AccessTokensPerWorkspace => quotas.access_tokens_per_workspace,
            Quota::WebhooksPerWorkspace => quotas.webhooks_per_workspace,
            Quota::InvitationsPerWorkspace => quotas.invitations_per_workspace,
            Quota::OpenRequestsPerWorkspace => quotas.open_requests_per_workspace,
            Quota::BytesPerWorkspace => quotas.bytes_per_workspace,
            Quota::LabelsPerWorkspace => quotas.labels_per_workspace,
        }
    }

    /// The rows it counts, for the account or workspace `$1`, at time `now`.
    fn rows(self, now: Timestamp) -> String {
        let rows = match self {
            Quota::WorkspacesPerAccount => "select 1 from members where account_id = $1 and role = 'owner'",
            Quota::PromptsPerWorkspace => "select 1 from prompts where workspace_id = $1",
            Quota::ApiKeysPerWorkspace => {
                "select 1 from api_keys where workspace_id = $1 and revoked_at is null"
            }
            Quota::AccessTokensPerWorkspace => {
                "select 1 from access_tokens where workspace_id = $1 and revoked_at is null"
            }
            Quota::WebhooksPerWorkspace => "select 1 from webhooks where workspace_id = $1",
            Quota::LabelsPerWorkspace => "select 1 from labels where workspace_id = $1",
            Quota::InvitationsPerWorkspace => {
                // `now` is a number the vault makes: no input reaches the text.
                return format!(
                    "select 1 from invitations where workspace_id = $1 and accepted_at is null \
                     and revoked_at is null and expires_at > {}",
                    now.0
                );
            }
            Quota::OpenRequestsPerWorkspace => {
                "select 1 from requests where workspace_id = $1 and state = 'open'"
            }
            // Kept in `workspace_usage` (see `held`).
            Quota::VersionsPerWorkspace | Quota::BytesPerWorkspace => "",
        };
        rows.to_owned()
    }

    fn per_account(self) -> bool {
        self == Quota::WorkspacesPerAccount
    }
}

/// How many more of one [`Quota`]'s things a write may add, read at the start of its
/// transaction (see the module's doc).
#[derive(Debug)]
pub(crate) struct Room {
    quota: Quota,
    limit: u64,
    left: u64,
}

impl Room {
    /// Gives back room for `freed` things the write removed before adding its own.
    pub(crate) fn free(&mut self, freed: u64) {
        self.left = self.left.saturating_add(freed).min(self.limit);
    }

    /// Takes `added` things from the room; refuses when they would pass the quota (the
    /// caller's transaction is then dropped: nothing it wrote stays).
    pub(crate) fn take(&mut self, added: usize) -> Result<()> {
        let added = u64::try_from(added).unwrap_or(u64::MAX);
        if added <= self.left {
            self.left -= added;
            return Ok(());
        }
        let (whose, things) = self.quota.what();
        Err(VaultError::conflict(
            Conflict::QuotaReached,
            format!(
                "{whose} may hold at most {} {things} on this server (its {} setting): \
                 remove some first, or ask the operator to raise it",
                self.limit,
                self.quota.setting()
            ),
        ))
    }
}

impl Vault {
    /// Sets the quotas (the server passes its settings; [`Quotas::default`] otherwise).
    pub fn with_quotas(mut self, quotas: Quotas) -> Vault {
        self.parts_mut().quotas = quotas;
        self
    }

    /// The room `quota` leaves the account or workspace `owner_id`. Call it first in a
    /// write transaction, before any other read, write or lock: on PostgreSQL it locks the
    /// owner's row until the transaction ends.
    pub(crate) async fn room(
        &self,
        tx: &mut Transaction<'_, Any>,
        quota: Quota,
        owner_id: i64,
    ) -> Result<Room> {
        let limit = quota.limit(&self.quotas);
        if self.db.backend == crate::Backend::Postgres {
            let lock = if quota.per_account() {
                "select 1 from accounts where id = $1 for no key update"
            } else {
                "select 1 from workspaces where id = $1 for no key update"
            };
            sqlx::query(lock).bind(owner_id).execute(&mut **tx).await?;
        }
        let held = held(tx, quota, owner_id, limit).await?;
        Ok(Room { quota, limit, left: limit.saturating_sub(held) })
    }

    /// Holds workspace `workspace_id`'s row as [`Vault::room`] does, for a write that deletes
    /// versions and so adds to no quota: every write of a workspace's versions then updates
    /// its `workspace_usage` row (by trigger) only while holding the workspace, one at a
    /// time, and never while another holds the change feed's turn and waits for that row.
    pub(crate) async fn hold_usage(&self, tx: &mut Transaction<'_, Any>, workspace_id: i64) -> Result<()> {
        self.room(tx, Quota::BytesPerWorkspace, workspace_id).await.map(|_| ())
    }
}

/// How much of `quota` the owner holds, counted no further than one past `limit`.
async fn held(tx: &mut Transaction<'_, Any>, quota: Quota, owner_id: i64, limit: u64) -> Result<u64> {
    let usage = match quota {
        Quota::VersionsPerWorkspace => Some("versions"),
        Quota::BytesPerWorkspace => Some("bytes"),
        _ => None,
    };
    let held: i64 = if let Some(column) = usage {
        // Kept by triggers on every write of a version (the migration `workspace_usage`):
        // counting the versions, or summing their sizes, would read the whole workspace.
        sqlx::query_scalar(AssertSqlSafe(format!(
            "select {column} from workspace_usage where workspace_id = $1"
        )))
        .bind(owner_id)
        .fetch_optional(&mut **tx)
        .await?
        .unwrap_or(0)
    } else {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from ({} limit $2) as counted",
            quota.rows(Timestamp::now())
        )))
        .bind(owner_id)
        .bind(i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX))
        .fetch_one(&mut **tx)
        .await?
    };
    Ok(u64::try_from(held).unwrap_or(0))
}
