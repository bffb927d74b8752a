//! The error every API call answers with, so that the CLI and the SDK read what the server
//! writes.

use serde::{Deserialize, Serialize};

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong, for programs: a refusal's code (`invalid`, `malformed`, `too_large`,
    /// `not_found`, `stale`, `gone`, `unauthorized`, `forbidden`, `busy`, `rate_limited`,
    /// `unavailable`, `storage_full`, `internal`), a conflict's reason (`frozen`,
    /// `not_published`, `not_older`, `nothing_live`, `staging_disabled`, `already_exists`,
    /// `already_set_up`, `webhook_disabled`, `last_owner`, `under_review`, `review_required`,
    /// `review_off`, `not_open`, `not_empty`, `quota_reached`), or, for a request the API
    /// cannot read, `bad_request` or `unsupported_media_type`.
    pub code: String,
    pub message: String,
    /// The field the error is about, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
