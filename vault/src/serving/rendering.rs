//! What a read sends: a version rendered once into the JSON of an SDK read, with its ETag,
//! kept ready in the read model.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use crate::Result;
use crate::db::Db;
use crate::error::VaultError;
use crate::prompts::Channel;
use crate::version::{VERSION_COLUMNS, Version, version_from_row};
use types::ServedPrompt;
use types::rollouts::SplitJson;

/// A response ready to send: the JSON body and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub body: Bytes,
    pub etag: String,
    /// What the body was made from, for reads that shape it differently (Langfuse's).
    pub(crate) version: Arc<Version>,
}

impl Served {
    /// The number of the version served.
    pub fn number(&self) -> crate::VersionNumber {
        self.version.number
    }
}

/// The JSON of an SDK read: the version JSON with the prompt's name and the label read
/// (and for live and staging, their channel), and while a rollout splits the label, the split.
pub(super) fn serve(name: &str, version: Version, label: &str, split: Option<&SplitJson>) -> Result<Served> {
    let body = ServedPrompt {
        name: name.to_owned(),
        version: version.to_served_json(),
        label: label.to_owned(),
        channel: Channel::parse(label),
        rollout: split.cloned(),
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

/// What a key's label serves now, every prompt (the bundle read): its ETag, and its body
/// built on demand.
pub struct Bundle {
    pub etag: String,
    /// By prompt name.
    served: Vec<Arc<Served>>,
}

impl Bundle {
    /// `{"items":[…]}`: each item the bytes `GET /v1/prompts/{name}` answers, by name.
    pub fn body(&self) -> Bytes {
        let size = self.served.iter().map(|s| s.body.len() + 1).sum::<usize>() + 12;
        let mut body = BytesMut::with_capacity(size);
        body.put_slice(b"{\"items\":[");
        for (i, served) in self.served.iter().enumerate() {
            if i > 0 {
                body.put_u8(b',');
            }
            body.put_slice(&served.body);
        }
        body.put_slice(b"]}");
        body.freeze()
    }

    /// How many prompts it holds.
    pub fn len(&self) -> usize {
        self.served.len()
    }

    pub fn is_empty(&self) -> bool {
        self.served.is_empty()
    }
}

impl Bundle {
    pub(super) fn of(mut served: Vec<(&str, Arc<Served>)>) -> Bundle {
        served.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // Each body's ETag covers its bytes, and each body names its prompt: their tags in
        // order cover the whole.
        let mut hash = Sha256::new();
        for (_, s) in &served {
            hash.update(s.etag.as_bytes());
        }
        let etag = format!("\"b{}\"", &hex::encode(hash.finalize())[..32]);
        Bundle { etag, served: served.into_iter().map(|(_, s)| s).collect() }
    }
}
