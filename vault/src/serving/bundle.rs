//! The bundle read: every prompt a key's label serves, in one response with one ETag, so
//! that an application warms its whole cache in one request (and keeps it current from the
//! stream). Served from memory, like every read; the ETag is checked before the body is
//! built, so a client that holds the bundle gets its 304 without it.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::Vault;
use crate::serving::model::ReadRefused;
use crate::serving::rendering::Served;

/// What a key's label serves now, every prompt: its ETag, and its body built on demand.
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

impl Vault {
    /// Every prompt the key `token` reads now (its label, with the label's fallback).
    /// Counts as one read of the key's. Built once per change of the model and label, then
    /// shared: a client polling with its ETag costs a lookup.
    pub fn read_bundle(&self, token: &str) -> Result<Arc<Bundle>, ReadRefused> {
        let model = self.serving.lock_read();
        let key = self.serving.reader(&model, token)?;
        let reading = model.reading(key);
        let cache_key = (key.workspace_id, reading.label.clone());
        if let Some(bundle) = model.bundles().get(&cache_key) {
            return Ok(bundle.clone());
        }
        // Built outside the cache's lock, under the model's read lock, which no change can
        // take meanwhile: two readers building the same bundle build the same one.
        let served = model
            .prompts
            .get(&key.workspace_id)
            .into_iter()
            .flatten()
            .filter_map(|(name, entry)| entry.view(&reading).0.map(|s| (name.as_str(), s.clone())))
            .collect();
        let bundle = Arc::new(Bundle::of(served));
        model.bundles().insert(cache_key, bundle.clone());
        Ok(bundle)
    }
}

impl Bundle {
    fn of(mut served: Vec<(&str, Arc<Served>)>) -> Bundle {
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
