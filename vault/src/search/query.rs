//! Searching: a person's words, parsed leniently (whatever is typed gives results or none),
//! in one prompt's history or across a workspace, newest first, with the matched words
//! marked.

use std::ops::{Bound, Range};

use serde::Serialize;
use tantivy::Order;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;

use crate::Result;
use crate::search::indexer::{Inner, SearchIndex};
use crate::search::schema::{internal, term};

/// Longer queries are cut here: a person's search is a few words.
pub(super) const MAX_QUERY_CHARS: usize = 200;

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
    pub(super) message: SnippetGenerator,
    pub(super) author: SnippetGenerator,
    pub(super) author_email: SnippetGenerator,
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

pub(super) fn marks_in(generator: &SnippetGenerator, text: &str) -> Vec<Range<usize>> {
    let snippet = generator.snippet(text);
    let offset = snippet.fragment_range().start;
    snippet.highlighted().iter().map(|r| r.start + offset..r.end + offset).collect()
}

impl SearchIndex {
    /// Runs a person's query (leniently: whatever they type gives hits or none) in `scope`.
    pub async fn search(&self, scope: Scope, text: &str, limit: usize) -> Result<Hits> {
        let this = self.clone();
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        tokio::task::spawn_blocking(move || this.search_now(scope, &text, limit)).await.map_err(internal)?
    }

    fn search_now(&self, scope: Scope, text: &str, limit: usize) -> Result<Hits> {
        let Inner { index, reader, fields: f, .. } = &*self.inner;
        let mut parser =
            QueryParser::for_index(index, vec![f.message, f.author_name, f.author_email, f.tags]);
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
}

/// A person's parsed query with every "does this field exist" question (`name:*`) read as
/// the word `name` instead: tantivy checks that field only when searching, and fails there
/// for a name the index lacks, while a person typing it meant the word.
pub(super) fn words_only(typed: UserInputAst) -> UserInputAst {
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
