//! One error type for every vault operation. Each variant says what a caller did wrong (or
//! that the fault is ours), with the HTTP status that fits and a machine-readable code, so
//! the REST API and the dashboard answer alike without knowing any rule.

use std::time::Duration;

use crate::version::Version;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A field's value breaks a rule of its own (name syntax, empty source, …).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The request itself cannot be understood (a tampered cursor, …).
    #[error("{0}")]
    Malformed(String),
    /// A field is over its size cap.
    #[error("{field} is larger than the limit of {limit} bytes")]
    TooLarge { field: &'static str, limit: usize },
    /// What was named does not exist (in the caller's workspace).
    #[error("{0}")]
    NotFound(String),
    /// A rule refuses the operation in the current state; `reason` says which.
    #[error("{message}")]
    Conflict { reason: Conflict, message: String },
    /// A draft rewrite named a revision that is no longer current; carries the current one
    /// so the caller can show what changed.
    #[error("v{} was changed by someone else since it was loaded", current.number)]
    Stale { current: Box<Version> },
    /// What was named existed but can no longer be used (an invitation used, revoked or
    /// expired).
    #[error("{0}")]
    Gone(String),
    /// Missing, wrong or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The member's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Too much of an expensive thing at once (password checks); try again after a while.
    #[error("the server is busy checking other passwords; try again in {} s", retry_after.as_secs().max(1))]
    Busy { retry_after: Duration },
    /// Past a limit on attempts (sign-in, setup, join) or reads; try again after a while.
    #[error("{what}; try again in {} s", retry_after.as_secs().max(1))]
    Limited { what: &'static str, retry_after: Duration },
    /// The database cannot be reached right now; nothing was changed.
    #[error("the database cannot be reached right now; nothing was changed, try again shortly")]
    Unavailable,
    /// The database's disk is full; nothing was changed.
    #[error("the server's storage is full; nothing was changed: free space on its disk, then try again")]
    StorageFull,
    /// A failure of ours; logged, never shown in detail.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a rule refused an operation: the `code` that API clients and the dashboard act on,
/// instead of matching the message's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The version is published: it cannot be rewritten or deleted.
    Frozen,
    /// Roll back only to a published version.
    NotPublished,
    /// Roll back only to a version older than the live one.
    NotOlder,
    /// Nothing is live yet.
    NothingLive,
    /// Staging is disabled for the workspace.
    StagingDisabled,
    /// Something with that name (or email) exists already.
    AlreadyExists,
    /// First-run setup is done.
    AlreadySetUp,
    /// The webhook is disabled.
    WebhookDisabled,
    /// A workspace keeps at least one owner.
    LastOwner,
    /// The workspace reviews changes to live: request it instead.
    ReviewRequired,
    /// The workspace does not review changes to live: promote or roll back directly.
    ReviewOff,
    /// The request was already applied, rejected, cancelled or went stale.
    NotOpen,
    /// The draft is named by an open request: frozen until it is decided.
    UnderReview,
    /// An import goes into a database without workspaces.
    NotEmpty,
    /// The write would take an account or workspace past one of its quotas.
    QuotaReached,
    /// Keys read the label: revoke them first.
    LabelInUse,
    /// A rollout splits the label: complete or abort it first (or one runs already).
    RolloutRunning,
}

impl Conflict {
    /// Every reason, for the documentation of the error codes.
    pub const ALL: [Conflict; 17] = [
        Conflict::Frozen,
        Conflict::NotPublished,
        Conflict::NotOlder,
        Conflict::NothingLive,
        Conflict::StagingDisabled,
        Conflict::AlreadyExists,
        Conflict::AlreadySetUp,
        Conflict::WebhookDisabled,
        Conflict::LastOwner,
        Conflict::UnderReview,
        Conflict::ReviewRequired,
        Conflict::ReviewOff,
        Conflict::NotOpen,
        Conflict::NotEmpty,
        Conflict::QuotaReached,
        Conflict::LabelInUse,
        Conflict::RolloutRunning,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Conflict::Frozen => "frozen",
            Conflict::NotPublished => "not_published",
            Conflict::NotOlder => "not_older",
            Conflict::NothingLive => "nothing_live",
            Conflict::StagingDisabled => "staging_disabled",
            Conflict::AlreadyExists => "already_exists",
            Conflict::AlreadySetUp => "already_set_up",
            Conflict::WebhookDisabled => "webhook_disabled",
            Conflict::LastOwner => "last_owner",
            Conflict::UnderReview => "under_review",
            Conflict::ReviewRequired => "review_required",
            Conflict::ReviewOff => "review_off",
            Conflict::NotOpen => "not_open",
            Conflict::NotEmpty => "not_empty",
            Conflict::QuotaReached => "quota_reached",
            Conflict::LabelInUse => "label_in_use",
            Conflict::RolloutRunning => "rollout_running",
        }
    }
}

impl VaultError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        VaultError::Invalid { field, message: message.into() }
    }

    pub(crate) fn conflict(reason: Conflict, message: impl Into<String>) -> Self {
        VaultError::Conflict { reason, message: message.into() }
    }

    /// A short machine-readable code for the API's `{"error": {"code": …}}`.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Invalid { .. } => "invalid",
            VaultError::Malformed(_) => "malformed",
            VaultError::TooLarge { .. } => "too_large",
            VaultError::NotFound(_) => "not_found",
            VaultError::Conflict { reason, .. } => reason.code(),
            VaultError::Stale { .. } => "stale",
            VaultError::Gone(_) => "gone",
            VaultError::Unauthorized(_) => "unauthorized",
            VaultError::Forbidden(_) => "forbidden",
            VaultError::Busy { .. } => "busy",
            VaultError::Limited { .. } => "rate_limited",
            VaultError::Unavailable => "unavailable",
            VaultError::StorageFull => "storage_full",
            VaultError::Internal(_) => "internal",
        }
    }

    /// Every code [`VaultError::code`] answers with, a conflict's reasons included: what the
    /// API documents for its error body.
    pub fn codes() -> Vec<&'static str> {
        let fixed = [
            "invalid",
            "malformed",
            "too_large",
            "not_found",
            "stale",
            "gone",
            "unauthorized",
            "forbidden",
            "busy",
            "rate_limited",
            "unavailable",
            "storage_full",
            "internal",
        ];
        fixed.into_iter().chain(Conflict::ALL.map(Conflict::code)).collect()
    }

    /// What a person is told, the same through the API and the dashboard: the error's own
    /// words, except for a fault of ours, whose cause is for the logs (the edge logs it) and
    /// whose words are generic.
    pub fn public_message(&self) -> String {
        match self {
            VaultError::Internal(_) => "something went wrong on our side; it has been logged".to_owned(),
            other => other.to_string(),
        }
    }

    /// The HTTP status that fits: a refusal is a 4xx, only our own fault is a 500.
    pub fn status(&self) -> u16 {
        match self {
            VaultError::Invalid { .. } => 422,
            VaultError::Malformed(_) => 400,
            VaultError::TooLarge { .. } => 413,
            VaultError::NotFound(_) => 404,
            VaultError::Conflict { .. } => 409,
            VaultError::Stale { .. } => 412,
            VaultError::Gone(_) => 410,
            VaultError::Unauthorized(_) => 401,
            VaultError::Forbidden(_) => 403,
            VaultError::Busy { .. } | VaultError::Limited { .. } => 429,
            VaultError::Unavailable => 503,
            VaultError::StorageFull => 507,
            VaultError::Internal(_) => 500,
        }
    }

    /// The field the error is about, where there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            VaultError::Invalid { field, .. } | VaultError::TooLarge { field, .. } => Some(field),
            _ => None,
        }
    }

    /// For a 429, how long to wait before trying again (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            VaultError::Busy { retry_after } | VaultError::Limited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// A word a field does not take (a role, a kind, a state…): 422 naming the field.
impl From<types::UnknownWord> for VaultError {
    fn from(wrong: types::UnknownWord) -> Self {
        VaultError::invalid(wrong.field, wrong.message)
    }
}

impl From<sqlx::Error> for VaultError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // Two requests raced to create the same thing and the database's unique index
            // refused the second: a conflict the caller can act on, not a fault of ours.
            sqlx::Error::Database(e) if e.is_unique_violation() => VaultError::conflict(
                Conflict::AlreadyExists,
                "it was created at the same moment by another request; reload and try again",
            ),
            // The database cannot be reached (down, restarting, refusing connections): the
            // change was not made, and trying again later is the answer.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => {
                tracing::warn!(%error, "the database cannot be reached");
                VaultError::Unavailable
            }
            // The disk under the database is full (SQLITE_FULL, PostgreSQL's disk_full): the
            // transaction was rolled back whole, and freeing space is the answer.
            sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("13" | "53100")) => {
                tracing::error!(%error, "the database's disk is full");
                VaultError::StorageFull
            }
            // PostgreSQL ending the session (shutting down, starting up, not accepting
            // connections, too many of them): the same for the caller.
            sqlx::Error::Database(e) if ends_the_session(e.as_ref()) => {
                tracing::warn!(%error, "the database cannot be reached");
                VaultError::Unavailable
            }
            _ => VaultError::Internal(Box::new(error)),
        }
    }
}

fn ends_the_session(error: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    error
        .try_downcast_ref::<PgDatabaseError>()
        .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic))
}

impl From<sqlx::migrate::MigrateError> for VaultError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        VaultError::Internal(Box::new(error))
    }
}

impl From<tokio::task::JoinError> for VaultError {
    fn from(error: tokio::task::JoinError) -> Self {
        VaultError::Internal(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_listed_once_each_with_every_reason() {
        let codes = VaultError::codes();
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        for reason in Conflict::ALL {
            assert!(codes.contains(&VaultError::conflict(reason, "").code()), "{reason:?}");
        }
        let internal = VaultError::Internal("disk on fire".into());
        assert!(codes.contains(&internal.code()));
        assert!(!internal.public_message().contains("disk"), "a fault's cause is for the logs");
    }
}
