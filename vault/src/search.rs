//! Keyword search over versions' messages and authors, with tantivy.
//!
//! The index lives in the data directory and is only ever a copy: the database is the truth.
//! Writes reach the index through the `version_changes` feed (filled by triggers in the same
//! transaction as the write), which a background indexer applies in batches: one commit for
//! a burst of saves, since a tantivy commit costs tens of milliseconds. The indexer is woken
//! by this instance's writes and also polls, so it sees other instances' writes too.
//!
//! Each commit carries the last feed sequence number it applied. At start-up an index that
//! is missing, unreadable, of another schema, or ahead of the database is rebuilt from the
//! versions table; one that is behind catches up from the feed.

use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Row};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TEXT, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use tokio::sync::{Notify, watch};

use crate::db::Db;
use crate::{Result, VaultError};

/// How long the indexer waits after being woken, so that a burst of saves shares a commit.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// How often the indexer looks at the feed without being woken (other instances' writes).
const POLL: Duration = Duration::from_millis(500);
/// Feed rows read and applied per commit.
const BATCH_ROWS: i64 = 5_000;
/// Rows of the feed kept behind the index, for other instances whose index is behind.
const FEED_KEPT: i64 = 100_000;
/// Longer queries are cut here: a person's search is a few words.
const MAX_QUERY_CHARS: usize = 200;
/// Bumped when the schema or what is indexed changes: an index of another format is rebuilt.
const FORMAT: u32 = 2;
/// Emails are indexed whole (lowercased): `grace@example.com` is one term, found by one
/// lookup, where split into words it would be a phrase over `example` and `com`, which
/// every version of a workspace shares.
const EMAIL_TOKENIZER: &str = "email";

/// What each commit records about itself.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    format: u32,
    /// The last `version_changes.seq` applied.
    seq: i64,
}

#[derive(Clone, Copy)]
struct Fields {
    version_id: Field,
    workspace_id: Field,
    prompt_id: Field,
    number: Field,
    message: Field,
    author_name: Field,
    author_email: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        version_id: builder.add_u64_field("version_id", INDEXED | FAST),
        workspace_id: builder.add_u64_field("workspace_id", INDEXED),
        prompt_id: builder.add_u64_field("prompt_id", INDEXED),
        number: builder.add_u64_field("number", INDEXED | FAST),
        message: builder.add_text_field("message", TEXT),
        author_name: builder.add_text_field("author_name", TEXT),
        author_email: builder.add_text_field("author_email", email_options()),
    };
    (builder.build(), fields)
}

fn email_options() -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(EMAIL_TOKENIZER)
        .set_index_option(IndexRecordOption::Basic);
    TextOptions::default().set_indexing_options(indexing)
}

/// Tokenizers are not stored in the index: every opening registers them again.
fn with_tokenizers(index: Index) -> Index {
    index
        .tokenizers()
        .register(EMAIL_TOKENIZER, TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build());
    index
}

/// Where a search looks, and where its page starts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope {
    /// One prompt's versions, ordered by number; the page starts below `before`.
    Prompt { prompt_id: i64, before: Option<i64> },
    /// Every version of a workspace, newest first; the page starts below version id `before`.
    Workspace { workspace_id: i64, before: Option<i64> },
}

/// One page of hits: version numbers (prompt scope) or version ids (workspace scope),
/// newest first, and whether more follow.
pub(crate) struct Hits {
    pub keys: Vec<i64>,
    pub more: bool,
    pub highlighter: Highlighter,
}

/// Byte ranges of the words a search matched, in each searched text of a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Marks {
    pub message: Vec<Range<usize>>,
    pub author: Vec<Range<usize>>,
    pub author_email: Vec<Range<usize>>,
}

/// Finds the query's words in a version's texts, with the index's own tokenizer.
pub(crate) struct Highlighter {
    message: SnippetGenerator,
    author: SnippetGenerator,
    author_email: SnippetGenerator,
}

impl Highlighter {
    pub fn marks(&self, message: &str, author: &str, author_email: &str) -> Marks {
        Marks {
            message: marks_in(&self.message, message),
            author: marks_in(&self.author, author),
            author_email: marks_in(&self.author_email, author_email),
        }
    }
}

fn marks_in(generator: &SnippetGenerator, text: &str) -> Vec<Range<usize>> {
    let snippet = generator.snippet(text);
    let offset = snippet.fragment_range().start;
    snippet.highlighted().iter().map(|r| r.start + offset..r.end + offset).collect()
}

/// The search index: cheap to clone, shared by the vault's clones and its indexer task.
#[derive(Clone)]
pub(crate) struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// `None` once closed.
    writer: Mutex<Option<IndexWriter>>,
    /// The last feed sequence number the index holds.
    applied: watch::Sender<i64>,
    wake: Notify,
    stop: watch::Sender<bool>,
}

/// One feed entry with the version as it is now; `None` when the version is gone.
struct Change {
    seq: i64,
    version_id: i64,
    document: Option<TantivyDocument>,
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

    /// Runs a person's query (leniently: whatever they type gives hits or none) in `scope`.
    pub async fn search(&self, scope: Scope, text: &str, limit: usize) -> Result<Hits> {
        let this = self.clone();
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        tokio::task::spawn_blocking(move || this.search_now(scope, &text, limit)).await.map_err(internal)?
    }

    fn search_now(&self, scope: Scope, text: &str, limit: usize) -> Result<Hits> {
        let Inner { index, reader, fields: f, .. } = &*self.inner;
        let mut parser = QueryParser::for_index(index, vec![f.message, f.author_name, f.author_email]);
        parser.set_conjunction_by_default();
        let (typed, _ignored_errors) = query_grammar::parse_query_lenient(text);
        let (typed, _ignored_errors) = parser.build_query_from_user_input_ast_lenient(words_only(typed));
        let (scope_field, scope_id, order_field, before) = match scope {
            Scope::Prompt { prompt_id, before } => (f.prompt_id, prompt_id, f.number, before),
            Scope::Workspace { workspace_id, before } => (f.workspace_id, workspace_id, f.version_id, before),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, typed.box_clone()),
            (Occur::Must, Box::new(TermQuery::new(term(scope_field, scope_id), IndexRecordOption::Basic))),
        ];
        if let Some(before) = before {
            let below = RangeQuery::new(Bound::Unbounded, Bound::Excluded(term(order_field, before)));
            clauses.push((Occur::Must, Box::new(below)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = reader.searcher();
        let order_name = index.schema().get_field_name(order_field).to_owned();
        let top = TopDocs::with_limit(limit + 1).order_by_fast_field::<u64>(order_name, Order::Desc);
        let found = searcher.search(&query, &top).map_err(internal)?;
        let mut keys: Vec<i64> =
            found.into_iter().filter_map(|(key, _)| key.and_then(|k| i64::try_from(k).ok())).collect();
        let more = keys.len() > limit;
        keys.truncate(limit);
        let generator = |field| -> Result<SnippetGenerator> {
            let mut generator = SnippetGenerator::create(&searcher, &*typed, field).map_err(internal)?;
            generator.set_max_num_chars(crate::MAX_MESSAGE_BYTES);
            Ok(generator)
        };
        let highlighter = Highlighter {
            message: generator(f.message)?,
            author: generator(f.author_name)?,
            author_email: generator(f.author_email)?,
        };
        Ok(Hits { keys, more, highlighter })
    }

    /// The indexer: brings the index up to the feed, then follows it until stopped.
    async fn run(self, db: Db, payload: Option<Payload>) {
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
    async fn check_against(&self, db: &Db, applied: i64) -> Result<()> {
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
    async fn rebuild(&self, db: &Db) -> Result<()> {
        let started = std::time::Instant::now();
        // Read first: changes made during the scan are in the feed after `seq`, and are
        // applied again by the next catch-up.
        let seq = feed_end(db).await?;
        self.with_writer(|writer| writer.delete_all_documents().map(drop)).await?;
        let mut after = 0_i64;
        let mut total = 0_usize;
        loop {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "{DOCUMENT_SELECT} where v.id > $1 order by v.id limit $2"
            )))
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
    async fn catch_up(&self, db: &Db) -> Result<()> {
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

    async fn changes_after(&self, db: &Db, seq: i64) -> Result<Vec<Change>> {
        let rows = sqlx::query(
            "select c.seq, c.version_id, v.id, v.prompt_id, p.workspace_id, v.number, v.message, \
                 m.name as author_name, m.email as author_email \
             from version_changes c \
             left join versions v on v.id = c.version_id \
             left join prompts p on p.id = v.prompt_id \
             left join accounts m on m.id = v.author_id \
             where c.seq > $1 order by c.seq limit $2",
        )
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

    fn document(&self, row: &sqlx::any::AnyRow) -> Result<TantivyDocument> {
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
        Ok(document)
    }

    /// Commits with the feed position it reaches, and makes the commit searchable at once.
    async fn commit(&self, seq: i64) -> Result<()> {
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

    async fn with_writer<T: Send + 'static>(
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

const DOCUMENT_SELECT: &str = "select v.id, v.prompt_id, p.workspace_id, v.number, v.message, \
     m.name as author_name, m.email as author_email \
     from versions v join prompts p on p.id = v.prompt_id join accounts m on m.id = v.author_id";

/// Opens the index in `dir`, or starts an empty one there when it is missing or unusable
/// (then the payload is `None`, and the indexer rebuilds it).
fn open_or_create(dir: &Path) -> Result<(Index, Option<Payload>)> {
    let (schema, _) = schema();
    if dir.exists() {
        match open_existing(dir, &schema) {
            Ok(opened) => return Ok(opened),
            Err(reason) => {
                tracing::warn!(dir = %dir.display(), %reason, "rebuilding the search index");
                std::fs::remove_dir_all(dir).map_err(internal)?;
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(internal)?;
    let index = Index::create_in_dir(dir, schema).map_err(internal)?;
    Ok((with_tokenizers(index), None))
}

fn open_existing(dir: &Path, schema: &Schema) -> std::result::Result<(Index, Option<Payload>), String> {
    let index = with_tokenizers(Index::open_in_dir(dir).map_err(|e| format!("unreadable: {e}"))?);
    if index.schema() != *schema {
        return Err("built with another schema".into());
    }
    let metas = index.load_metas().map_err(|e| format!("unreadable: {e}"))?;
    let payload = metas.payload.as_deref().and_then(|p| serde_json::from_str::<Payload>(p).ok());
    match payload {
        Some(p) if p.format == FORMAT => {
            // Read every segment once: a damaged file fails here rather than in a search.
            let reader = index.reader().map_err(|e| format!("unreadable: {e}"))?;
            let searcher = reader.searcher();
            for segment in searcher.segment_readers() {
                segment.get_store_reader(0).map_err(|e| format!("damaged segment: {e}"))?;
            }
            Ok((index, Some(p)))
        }
        Some(_) => Err("of another format".into()),
        None => Err("never completed".into()),
    }
}

async fn feed_end(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("select coalesce(max(seq), 0) from version_changes").fetch_one(&db.read).await?)
}

/// Forgets feed entries far behind the index: other instances whose index is further
/// behind than this rebuild theirs.
async fn prune_feed(db: &Db, applied: i64) -> Result<()> {
    if applied > FEED_KEPT {
        sqlx::query("delete from version_changes where seq <= $1")
            .bind(applied - FEED_KEPT)
            .execute(&db.write)
            .await?;
    }
    Ok(())
}

fn term(field: Field, value: i64) -> Term {
    Term::from_field_u64(field, u64::try_from(value).unwrap_or(0))
}

fn internal(error: impl std::fmt::Display) -> VaultError {
    VaultError::Internal(format!("search index: {error}").into())
}

/// A person's parsed query with every "does this field exist" question (`name:*`) read as
/// the word `name` instead: tantivy checks that field only when searching, and fails there
/// for a name the index lacks, while a person typing it meant the word.
fn words_only(typed: UserInputAst) -> UserInputAst {
    match typed {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses.into_iter().map(|(occur, clause)| (occur, words_only(clause))).collect(),
        ),
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(words_only(*inner)), boost),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Exists { field } => {
                UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(UserInputLiteral {
                    field_name: None,
                    phrase: field,
                    delimiter: Delimiter::None,
                    slop: 0,
                    prefix: false,
                })))
            }
            other => UserInputAst::Leaf(Box::new(other)),
        },
    }
}
