//! What the usage buffer asks of the read model: a key's workspace without counting a read,
//! and whether a workspace has a prompt — both from memory.

use super::keys::hash_token;
use super::model::ReadModel;

impl ReadModel {
    /// The workspace of the key `token` (not revoked), without counting a read: the read
    /// that asks was counted already.
    pub(crate) fn workspace_of(&self, token: &str) -> Option<i64> {
        self.lock_read().keys.get(&hash_token(token)).map(|key| key.workspace_id)
    }

    /// Whether memory holds prompt `name` of workspace `workspace_id`.
    pub(crate) fn knows_prompt(&self, workspace_id: i64, name: &str) -> bool {
        self.lock_read().prompts.get(&workspace_id).is_some_and(|prompts| prompts.contains_key(name))
    }
}
