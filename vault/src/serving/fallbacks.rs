//! The workspace's own labels' fallbacks in the read model: read again when a label is made,
//! changed or deleted, and the open streams told to look again.

use std::sync::Arc;

use crate::Result;
use crate::db::Db;
use crate::serving::entry::own_labels;
use crate::serving::model::ReadModel;
use crate::serving::updates::Update;

impl ReadModel {
    /// Reads workspace `workspace_id`'s own labels again (a label made, changed or deleted),
    /// and tells its open streams to look again: a fallback may have changed what a key reads.
    pub(crate) async fn refresh_labels(&self, db: &Db, workspace_id: i64) -> Result<()> {
        let labels = own_labels(db, Some(workspace_id)).await?.remove(&workspace_id).unwrap_or_default();
        let mut model = self.lock_write();
        model.fallbacks.insert(workspace_id, labels);
        let names: Vec<Arc<str>> = model
            .prompts
            .get(&workspace_id)
            .into_iter()
            .flatten()
            .map(|(name, _)| Arc::from(name.as_str()))
            .collect();
        drop(model);
        for name in names {
            self.updates.send(Update::Prompt { workspace_id, name });
        }
        Ok(())
    }
}
