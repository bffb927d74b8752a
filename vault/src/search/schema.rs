//! The index's shape: its fields and tokenizers, the format number its commits carry, and
//! opening it (or starting an empty one, which the indexer then rebuilds).

use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TEXT, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, Term};

use crate::Result;
use crate::error::VaultError;

/// Bumped when the schema or what is indexed changes: an index of another format is rebuilt.
pub(super) const FORMAT: u32 = 3;

/// Emails are indexed whole (lowercased): `grace@example.com` is one term, found by one
/// lookup, where split into words it would be a phrase over `example` and `com`, which
/// every version of a workspace shares.
pub(super) const EMAIL_TOKENIZER: &str = "email";

/// What each commit records about itself.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Payload {
    pub(super) format: u32,
    /// The last `version_changes.seq` applied.
    pub(super) seq: i64,
}

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) version_id: Field,
    pub(super) workspace_id: Field,
    pub(super) prompt_id: Field,
    pub(super) number: Field,
    pub(super) message: Field,
    pub(super) author_name: Field,
    pub(super) author_email: Field,
    /// The prompt's tags, on each of its versions.
    pub(super) tags: Field,
}

pub(super) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        version_id: builder.add_u64_field("version_id", INDEXED | FAST),
        workspace_id: builder.add_u64_field("workspace_id", INDEXED),
        prompt_id: builder.add_u64_field("prompt_id", INDEXED),
        number: builder.add_u64_field("number", INDEXED | FAST),
        message: builder.add_text_field("message", TEXT),
        author_name: builder.add_text_field("author_name", TEXT),
        author_email: builder.add_text_field("author_email", email_options()),
        tags: builder.add_text_field("tags", TEXT),
    };
    (builder.build(), fields)
}

pub(super) fn email_options() -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(EMAIL_TOKENIZER)
        .set_index_option(IndexRecordOption::Basic);
    TextOptions::default().set_indexing_options(indexing)
}

/// Tokenizers are not stored in the index: every opening registers them again.
pub(super) fn with_tokenizers(index: Index) -> Index {
    index
        .tokenizers()
        .register(EMAIL_TOKENIZER, TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build());
    index
}

/// Opens the index in `dir`, or starts an empty one there when it is missing or unusable
/// (then the payload is `None`, and the indexer rebuilds it).
pub(super) fn open_or_create(dir: &Path) -> Result<(Index, Option<Payload>)> {
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

pub(super) fn open_existing(
    dir: &Path,
    schema: &Schema,
) -> std::result::Result<(Index, Option<Payload>), String> {
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

pub(super) fn term(field: Field, value: i64) -> Term {
    Term::from_field_u64(field, u64::try_from(value).unwrap_or(0))
}

pub(super) fn internal(error: impl std::fmt::Display) -> VaultError {
    VaultError::Internal(format!("search index: {error}").into())
}
