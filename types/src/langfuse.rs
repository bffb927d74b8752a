//! Langfuse's prompt API on the wire, as its SDKs parse it: a version, and a page of the
//! list. PromptVault answers these on `/api/public/v2/prompts`.

use serde::{Deserialize, Serialize};

use crate::Config;

/// One version, as Langfuse answers it: `{"id","name","version","type","prompt","config",
/// "labels","tags","commitMessage","createdAt","updatedAt","createdBy","projectId",
/// "resolutionGraph"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LangfusePromptJson {
    pub id: String,
    pub name: String,
    pub version: i64,
    /// `text` or `chat`: the SDKs parse a union on it.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text, or the messages (`{"type":"chatmessage","role","content"}` and
    /// `{"type":"placeholder","name"}`).
    pub prompt: serde_json::Value,
    pub config: Config,
    /// The labels at this version, most recently moved first, `latest` last (`production`
    /// is live).
    pub labels: Vec<String>,
    /// The prompt's tags.
    pub tags: Vec<String>,
    pub commit_message: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    /// The workspace's name (Langfuse's project).
    pub project_id: String,
    /// Always `null`: PromptVault has no references yet.
    pub resolution_graph: Option<serde_json::Value>,
}

/// One prompt of the list: the versions, labels and tags that match the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LangfuseListedJson {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub versions: Vec<i64>,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub last_updated_at: String,
    pub last_config: Config,
}

/// Where a page of the list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LangfusePageJson {
    pub page: i64,
    pub limit: i64,
    pub total_items: i64,
    pub total_pages: i64,
}

/// A page of the list: `{"data":[…],"meta":{…},"pagination":{…}}` (the same page twice, as
/// Langfuse sends it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LangfuseListJson {
    pub data: Vec<LangfuseListedJson>,
    pub meta: LangfusePageJson,
    pub pagination: LangfusePageJson,
}
