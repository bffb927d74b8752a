//! What a read sends: a version rendered once into the JSON of an SDK read, with its ETag,
//! kept ready in the read model.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use crate::Result;
use crate::db::Db;
use crate::error::VaultError;
use crate::prompts::Channel;
use crate::version::{VERSION_COLUMNS, Version, version_from_row};
use types::ServedPrompt;

/// A response ready to send: the JSON body and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub body: Bytes,
    pub etag: String,
    /// What the body was made from, for reads that shape it differently (Langfuse's).
    pub(crate) version: Arc<Version>,
}

/// The JSON of an SDK read: the version JSON with the prompt's name and the label read
/// (and for live and staging, their channel).
pub(super) fn serve(name: &str, version: Version, label: &str) -> Result<Served> {
    let body = ServedPrompt {
        name: name.to_owned(),
        version: version.to_json(true),
        label: label.to_owned(),
        channel: Channel::parse(label),
    };
    let body = serde_json::to_vec(&body).map_err(|e| VaultError::Internal(Box::new(e)))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    Ok(Served { body: Bytes::from(body), etag, version: Arc::new(version) })
}

/// One version of a prompt, by number.
pub(super) async fn version_row(db: &Db, prompt_id: i64, number: i64) -> Result<Option<Version>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "select {VERSION_COLUMNS} from versions v join accounts m on m.id = v.author_id \
         where v.prompt_id = $1 and v.number = $2"
    )))
    .bind(prompt_id)
    .bind(number)
    .fetch_optional(&db.read)
    .await?;
    row.as_ref().map(version_from_row).transpose()
}
