//! The indexer: applies the `version_changes` feed to the index in batches, in the
//! background, woken by this instance's writes and polling for other instances'; rebuilds
//! an index that is missing or ahead of the database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{AssertSqlSafe, Row};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};
use tokio::sync::{Notify, watch};

use crate::Result;
use crate::db::Db;
use crate::error::VaultError;
use crate::search::schema::{FORMAT, Fields, Payload, internal, open_or_create, schema, term};

/// How long the indexer waits after being woken, so that a burst of saves shares a commit.
pub(super) const BATCH_WINDOW: Duration = Duration::from_millis(50);

/// How often the indexer looks at the feed without being woken (other instances' writes).
pub(super) const POLL: Duration = Duration::from_millis(500);

/// Feed rows read and applied per commit.
pub(super) const BATCH_ROWS: i64 = 5_000;

/// Rows of the feed kept behind the index, for other instances whose index is behind.
pub(super) const FEED_KEPT: i64 = 100_000;

/// The search index: cheap to clone, shared by the vault's clones and its indexer task.
#[derive(Clone)]
pub(crate) struct SearchIndex {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) dir: PathBuf,
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// `None` once closed.
    pub(super) writer: Mutex<Option<IndexWriter>>,
    /// The last feed sequence number the index holds.
    pub(super) applied: watch::Sender<i64>,
    pub(super) wake: Notify,
    pub(super) stop: watch::Sender<bool>,
}

/// One feed entry with the version as it is now; `None` when the version is gone.
pub(super) struct Change {
    pub(super) seq: i64,
    pub(super) version_id: i64,
    pub(super) document: Option<TantivyDocument>,
}

impl SearchIndex {
    /// Opens the index in `dir` (creating or rebuilding it as needed, in the background) and
    /// starts the indexer.
    pub async fn open(dir: &Path, db: &Db) -> Result<SearchIndex> {
        let dir = dir.to_owned();
        let (index, payload) = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || open_or_create(&dir)
        })
        .await
        .map_err(internal)??;
        let (_, fields) = schema();
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(internal)?;
        let writer = index.writer_with_num_threads(1, 50_000_000).map_err(|e| {
            VaultError::Internal(
                format!("the search index in {} is in use by another process: {e}", dir.display()).into(),
            )
        })?;
        let search = SearchIndex {
            inner: Arc::new(Inner {
                dir,
                index,
                reader,
                fields,
                writer: Mutex::new(Some(writer)),
                applied: watch::Sender::new(payload.as_ref().map_or(0, |p| p.seq)),
                wake: Notify::new(),
                stop: watch::Sender::new(false),
            }),
        };
        tokio::spawn(search.clone().run(db.clone(), payload));
        Ok(search)
    }

    /// Tells the indexer that the feed has grown.
    pub fn poke(&self) {
        self.inner.wake.notify_one();
    }

    /// Waits until the index holds every change the feed had when called.
    pub async fn caught_up(&self, db: &Db) -> Result<()> {
        let target = feed_end(db).await?;
        let mut applied = self.inner.applied.subscribe();
        self.poke();
        applied.wait_for(|seq| *seq >= target).await.map_err(internal)?;
        Ok(())
    }

    /// Stops the indexer and releases the index's lock, so the directory can be opened again.
    pub async fn close(&self) {
        self.inner.stop.send_replace(true);
        let inner = self.inner.clone();
        let closed = tokio::task::spawn_blocking(move || {
            let writer = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
            writer.map(IndexWriter::wait_merging_threads)
        })
        .await;
        if let Ok(Some(Err(error))) = closed {
            tracing::warn!(%error, "the search index did not close cleanly");
        }
    }

    /// The indexer: brings the index up to the feed, then follows it until stopped.
    pub(super) async fn run(self, db: Db, payload: Option<Payload>) {
        let mut stop = self.inner.stop.subscribe();
        let ready = match payload {
            Some(payload) => self.check_against(&db, payload.seq).await,
            None => self.rebuild(&db).await,
        };
        if let Err(error) = ready {
            tracing::error!(%error, "the search index could not be brought up to date");
        }
        loop {
            if let Err(error) = self.catch_up(&db).await {
                tracing::warn!(%error, "the search index could not apply the latest changes");
            }
            tokio::select! {
                _ = self.inner.wake.notified() => tokio::time::sleep(BATCH_WINDOW).await,
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    /// An index that is ahead of the database (another database, or one restored from a
    /// backup), or behind what the feed still holds, is rebuilt; otherwise it catches up.
    pub(super) async fn check_against(&self, db: &Db, applied: i64) -> Result<()> {
        let row = sqlx::query(
            "select coalesce(min(seq), 0) as first, coalesce(max(seq), 0) as last from version_changes",
        )
        .fetch_one(&db.read)
        .await?;
        let (first, last): (i64, i64) = (row.try_get("first")?, row.try_get("last")?);
        if applied > last || (first > 0 && applied < first - 1) {
            tracing::info!(applied, first, last, "the search index does not match the database");
            return self.rebuild(db).await;
        }
        Ok(())
    }

    /// Indexes every version again, from the versions table.
    pub(super) async fn rebuild(&self, db: &Db) -> Result<()> {
        let started = std::time::Instant::now();
        // Read first: changes made during the scan are in the feed after `seq`, and are
        // applied again by the next catch-up.
        let seq = feed_end(db).await?;
        self.with_writer(|writer| writer.delete_all_documents().map(drop)).await?;
        let mut after = 0_i64;
        let mut total = 0_usize;
        loop {
            let select = with_tags(DOCUMENT_SELECT, db.backend);
            let rows = sqlx::query(AssertSqlSafe(format!("{select} where v.id > $1 order by v.id limit $2")))
                .bind(after)
                .bind(BATCH_ROWS * 4)
                .fetch_all(&db.read)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            let documents = rows.iter().map(|row| self.document(row)).collect::<Result<Vec<_>>>()?;
            total += documents.len();
            self.with_writer(move |writer| {
                documents.into_iter().try_for_each(|d| writer.add_document(d).map(drop))
            })
            .await?;
        }
        self.commit(seq).await?;
        tracing::info!(
            versions = total,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
        Ok(())
    }

    /// Applies what the feed holds beyond the index, a batch per commit.
    pub(super) async fn catch_up(&self, db: &Db) -> Result<()> {
        loop {
            let applied = *self.inner.applied.borrow();
            let changes = self.changes_after(db, applied).await?;
            let Some(last) = changes.last().map(|c| c.seq) else { return Ok(()) };
            let full = changes.len() as i64 == BATCH_ROWS;
            let id = self.inner.fields.version_id;
            self.with_writer(move |writer| {
                for change in changes {
                    writer.delete_term(term(id, change.version_id));
                    if let Some(document) = change.document {
                        writer.add_document(document)?;
                    }
                }
                Ok(())
            })
            .await?;
            self.commit(last).await?;
            prune_feed(db, last).await?;
            if !full {
                return Ok(());
            }
        }
    }

    pub(super) async fn changes_after(&self, db: &Db, seq: i64) -> Result<Vec<Change>> {
        let select = "select c.seq, c.version_id, v.id, v.prompt_id, p.workspace_id, v.number, v.message, \
                 m.name as author_name, m.email as author_email, {TAGS} \
             from version_changes c \
             left join versions v on v.id = c.version_id \
             left join prompts p on p.id = v.prompt_id \
             left join accounts m on m.id = v.author_id \
             where c.seq > $1 order by c.seq limit $2";
        let rows = sqlx::query(AssertSqlSafe(with_tags(select, db.backend)))
            .bind(seq)
            .bind(BATCH_ROWS)
            .fetch_all(&db.read)
            .await?;
        rows.iter()
            .map(|row| {
                let exists = row.try_get::<Option<i64>, _>("id")?.is_some();
                Ok(Change {
                    seq: row.try_get("seq")?,
                    version_id: row.try_get("version_id")?,
                    document: if exists { Some(self.document(row)?) } else { None },
                })
            })
            .collect()
    }

    pub(super) fn document(&self, row: &sqlx::any::AnyRow) -> Result<TantivyDocument> {
        let f = &self.inner.fields;
        let id = |column: &str| -> Result<u64> {
            let value: i64 = row.try_get(column)?;
            u64::try_from(value).map_err(internal)
        };
        let mut document = TantivyDocument::default();
        document.add_u64(f.version_id, id("id")?);
        document.add_u64(f.workspace_id, id("workspace_id")?);
        document.add_u64(f.prompt_id, id("prompt_id")?);
        document.add_u64(f.number, id("number")?);
        document.add_text(f.message, row.try_get::<String, _>("message")?);
        document.add_text(f.author_name, row.try_get::<String, _>("author_name")?);
        document.add_text(f.author_email, row.try_get::<String, _>("author_email")?);
        document.add_text(f.tags, row.try_get::<Option<String>, _>("tags")?.unwrap_or_default());
        Ok(document)
    }

    /// Commits with the feed position it reaches, and makes the commit searchable at once.
    pub(super) async fn commit(&self, seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Payload { format: FORMAT, seq }).map_err(internal)?;
        self.with_writer(move |writer| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit().map(drop)
        })
        .await?;
        self.inner.reader.reload().map_err(internal)?;
        self.inner.applied.send_replace(seq);
        Ok(())
    }

    pub(super) async fn with_writer<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut IndexWriter) -> tantivy::Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let writer = writer.as_mut().ok_or_else(|| {
                VaultError::Internal(format!("the search index in {} is closed", inner.dir.display()).into())
            })?;
            work(writer).map_err(internal)
        })
        .await
        .map_err(internal)?
    }
}

pub(super) const DOCUMENT_SELECT: &str = "select v.id, v.prompt_id, p.workspace_id, v.number, v.message, \
     m.name as author_name, m.email as author_email, {TAGS} \
     from versions v join prompts p on p.id = v.prompt_id join accounts m on m.id = v.author_id";

/// The prompt's tags, one text: `{TAGS}` in the queries above, by backend (SQLite's
/// `group_concat` is PostgreSQL's `string_agg`).
fn with_tags(sql: &str, backend: crate::Backend) -> String {
    let aggregate = match backend {
        crate::Backend::Sqlite => "group_concat(t.tag, ' ')",
        crate::Backend::Postgres => "string_agg(t.tag, ' ')",
    };
    let tags = format!("(select {aggregate} from prompt_tags t where t.prompt_id = v.prompt_id) as tags");
    sql.replace("{TAGS}", &tags)
}

pub(super) async fn feed_end(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("select coalesce(max(seq), 0) from version_changes").fetch_one(&db.read).await?)
}

/// Forgets feed entries far behind the index: other instances whose index is further
/// behind than this rebuild theirs.
pub(super) async fn prune_feed(db: &Db, applied: i64) -> Result<()> {
    if applied > FEED_KEPT {
        sqlx::query("delete from version_changes where seq <= $1")
            .bind(applied - FEED_KEPT)
            .execute(&db.write)
            .await?;
    }
    Ok(())
}
