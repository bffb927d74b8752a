//! One error type for every vault operation. Each variant says what a caller did wrong (or
//! that the fault is ours), so the REST API and the dashboard can map it to a status and a
//! plain message without knowing any rule.

use crate::prompts::Version;

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
    /// The operation is not allowed in the current state (edit a live version, …).
    #[error("{0}")]
    Conflict(String),
    /// A draft rewrite named a revision that is no longer current; carries the current one
    /// so the caller can show what changed.
    #[error("v{} was changed by someone else since it was loaded", current.number)]
    Stale { current: Box<Version> },
    /// Missing, wrong or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The member's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// A failure of ours; logged, never shown in detail.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl VaultError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        VaultError::Invalid { field, message: message.into() }
    }

    /// A short machine-readable code for the API's `{"error": {"code": …}}`.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Invalid { .. } => "invalid",
            VaultError::Malformed(_) => "malformed",
            VaultError::TooLarge { .. } => "too_large",
            VaultError::NotFound(_) => "not_found",
            VaultError::Conflict(_) => "conflict",
            VaultError::Stale { .. } => "stale",
            VaultError::Unauthorized(_) => "unauthorized",
            VaultError::Forbidden(_) => "forbidden",
            VaultError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for VaultError {
    fn from(error: sqlx::Error) -> Self {
        VaultError::Internal(Box::new(error))
    }
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
