//! What one prompt serves, per label, and what a key reads of it: the read model's entry
//! for a prompt, with the change-feed revision at which each label's version last changed
//! (the ids of the stream events that report it).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::Row;

use crate::Result;
use crate::db::Db;
use crate::labels::Fallback;
use crate::names::LabelName;
use crate::serving::rendering::Served;
use crate::version::Version;

/// What one prompt serves.
#[derive(Default)]
pub(super) struct PromptEntry {
    pub(super) id: i64,
    pub(super) live: Option<Arc<Served>>,
    /// Set only while staging is enabled and points somewhere.
    pub(super) staging: Option<Arc<Served>>,
    /// The workspace's own labels that point somewhere on this prompt.
    pub(super) own: HashMap<Arc<str>, Arc<Served>>,
    /// The newest published version (Langfuse's `latest` label).
    pub(super) latest: Option<Arc<Version>>,
    /// The labels, most recently moved first: the order Langfuse lists a version's labels in.
    pub(super) order: Vec<Arc<str>>,
    /// The prompt's tags, for the Langfuse API.
    pub(super) tags: Vec<String>,
    /// The labels a rollout splits: the new version's response, and the share.
    pub(super) splits: HashMap<Arc<str>, SplitServed>,
    /// The prompts its labels' drafts include: a draft resolves its references when read,
    /// so it is read anew when one of them changes.
    pub(super) includes: Vec<Arc<str>>,
    /// The change-feed revision at which what each label points at last changed (the ids
    /// of the stream events that report it); `since` for a label not named here.
    pub(super) changed: HashMap<Arc<str>, i64>,
    pub(super) since: i64,
}

/// A label's running rollout as reads serve it.
pub(super) struct SplitServed {
    /// The response of the rollout's new version (the label's own response is the old one).
    pub(super) to: Arc<Served>,
    pub(super) from: i64,
    pub(super) basis_points: u32,
    pub(super) seed: String,
}

/// What a key reads: its label, and where the label points nowhere, its fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reading {
    pub(crate) label: Arc<str>,
    pub(crate) fallback: Option<Fallback>,
}

impl PromptEntry {
    /// What label `label` itself serves (staging falling back to live, as it always has).
    fn pointed(&self, label: &str) -> Option<&Arc<Served>> {
        match label {
            LabelName::LIVE => self.live.as_ref(),
            LabelName::STAGING => self.staging.as_ref().or(self.live.as_ref()),
            own => self.own.get(own),
        }
    }

    fn changed_at(&self, label: &str) -> i64 {
        self.changed.get(label).copied().unwrap_or(self.since)
    }

    /// What a key reading `reading` reads, and the revision at which that last changed.
    pub(crate) fn view(&self, reading: &Reading) -> (Option<&Arc<Served>>, i64) {
        let label = &*reading.label;
        match self.pointed(label) {
            Some(served) => (Some(served), self.changed_at(label)),
            None if reading.fallback == Some(Fallback::Live) && self.live.is_some() => {
                (self.live.as_ref(), self.changed_at(label).max(self.changed_at(LabelName::LIVE)))
            }
            None => (None, self.changed_at(label)),
        }
    }

    /// What a key reading `reading` reads for `unit` (a user, session or tenant id): under a
    /// rollout of the label served, the side the unit is assigned; without a unit, or
    /// without a rollout, what [`PromptEntry::view`] says.
    pub(crate) fn view_for(
        &self,
        reading: &Reading,
        name: &str,
        unit: Option<&str>,
    ) -> (Option<&Arc<Served>>, i64) {
        let (served, changed) = self.view(reading);
        let (Some(unit), Some(current)) = (unit, served) else { return (served, changed) };
        let label: &str =
            if self.pointed(&reading.label).is_some() { &reading.label } else { LabelName::LIVE };
        match self.splits.get(label) {
            Some(split)
                if current.version.number.get() == split.from
                    && types::rollouts::reads_new(&split.seed, name, unit, split.basis_points) =>
            {
                (Some(&split.to), changed)
            }
            _ => (served, changed),
        }
    }

    /// Keeps `old`'s revisions for the labels whose pointer did not change; whether any did.
    pub(super) fn keep_unchanged(&mut self, old: &PromptEntry) -> bool {
        let labels: HashSet<Arc<str>> = [LabelName::LIVE, LabelName::STAGING]
            .into_iter()
            .map(Arc::from)
            .chain(self.own.keys().cloned())
            .chain(old.own.keys().cloned())
            .chain(old.changed.keys().cloned())
            .collect();
        let mut changed = false;
        for label in labels {
            let tag = |entry: &PromptEntry| entry.pointed(&label).map(|served| served.etag.clone());
            if tag(self) == tag(old) {
                self.changed.insert(label.clone(), old.changed_at(&label));
            } else {
                self.changed.insert(label, self.since);
                changed = true;
            }
        }
        self.since = old.since;
        changed
    }
}

/// The own labels' fallbacks of workspace `only`, or of every workspace.
pub(super) async fn own_labels(
    db: &Db,
    only: Option<i64>,
) -> Result<HashMap<i64, HashMap<Arc<str>, Option<Fallback>>>> {
    let rows =
        sqlx::query("select workspace_id, name, fallback from labels where $1 = 0 or workspace_id = $1")
            .bind(only.unwrap_or(0))
            .fetch_all(&db.read)
            .await?;
    let mut labels: HashMap<i64, HashMap<Arc<str>, Option<Fallback>>> = HashMap::new();
    for row in &rows {
        let fallback =
            row.try_get::<Option<String>, _>("fallback")?.as_deref().map(Fallback::parse).transpose()?;
        let name: String = row.try_get("name")?;
        labels.entry(row.try_get("workspace_id")?).or_default().insert(Arc::from(name.as_str()), fallback);
    }
    Ok(labels)
}
