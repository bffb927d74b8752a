//! The bundle read: every prompt a key's label serves, in one response with one ETag, so
//! that an application warms its whole cache in one request (and keeps it current from the
//! stream). Served from memory, like every read; the ETag is checked before the body is
//! built, so a client that holds the bundle gets its 304 without it.

use std::sync::Arc;

use crate::Vault;
use crate::serving::model::ReadRefused;
use crate::serving::rendering::Bundle;

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
