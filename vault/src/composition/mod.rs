//! Resolving a version's references against its workspace (PRODUCT.md "Composition").
//! When a version is published each reference is resolved once and pinned: it must name a
//! published version of a text prompt, whose content (its own includes already in place)
//! is copied in, and the version records which one (`version_pins`). A draft read through a
//! label resolves against the workspace as it is now, where a label may point at a draft
//! that includes more, so cycles are possible there and are refused. Reading and replacing
//! the tags is `references`'; finding what they name is this module's.

mod order;

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use crate::content::{self, Body, ChatMessage};
use crate::references::{self, Included, MAX_DEPTH, Reference, Target};
use crate::version::{Status, Version};
use crate::{MAX_SOURCE_BYTES, Result, VaultError};
pub(crate) use order::{included_first, included_names};

/// A resolution one level down (a draft that includes a draft) is a boxed future: the
/// recursion's depth is bounded by [`MAX_DEPTH`].
type Deeper<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What a publish pins, or a read resolves against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Each reference names a published version, pinned for ever.
    Publishing,
    /// A draft as it would ship now: references may name drafts, resolved in turn.
    Reading,
}

/// What one reference resolved to: the tag's inside as written and the version it
/// embeds (pinned for ever when the version including it was published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pin {
    pub reference: String,
    pub version_id: i64,
    pub prompt: String,
    pub number: i64,
}

/// A body with its references resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Composed {
    /// The content with the included texts in place; `None` when it includes nothing.
    pub resolved: Option<Body>,
    /// Levels of includes (0: none).
    pub depth: usize,
    /// What each distinct reference of its own resolved to (published versions only, when
    /// publishing).
    pub pins: Vec<Pin>,
}

impl Composed {
    /// Gives `version` its resolved content (and the variables and depth of it), if it
    /// includes anything; what it pins.
    pub(crate) fn into_version(self, version: &mut Version) -> Vec<Pin> {
        if let Some(resolved) = self.resolved {
            version.variables = resolved.variables();
            version.resolved = Some(resolved);
            version.depth = self.depth;
        }
        self.pins
    }
}

/// `body` of prompt `prompt_id` (named `name`) with its references resolved `when`.
/// Refuses (422, naming the reference) a missing prompt, label or version, a chat prompt
/// included, a draft pinned, a cycle, more than [`MAX_DEPTH`] levels, and a result over the
/// source limit.
pub(crate) async fn compose(
    conn: &mut AnyConnection,
    prompt_id: i64,
    name: &str,
    body: &Body,
    when: When,
) -> Result<Composed> {
    let found = content::references_of(body, name)?;
    if found.is_empty() {
        return Ok(Composed { resolved: None, depth: 0, pins: Vec::new() });
    }
    let workspace_id: i64 = sqlx::query_scalar("select workspace_id from prompts where id = $1")
        .bind(prompt_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut resolver = Resolver { workspace_id, when, found: HashMap::new(), pins: Vec::new() };
    let visiting = vec![name.to_owned()];
    let (resolved, depth) = resolver.body(conn, name, body, &visiting).await?;
    Ok(Composed { resolved: Some(resolved), depth, pins: resolver.pins })
}

/// What one resolution has found so far.
struct Resolver {
    workspace_id: i64,
    when: When,
    /// By prompt and target: each distinct reference is looked up once.
    found: HashMap<(String, Target), Included>,
    pins: Vec<Pin>,
}

impl Resolver {
    /// `body` (of prompt `name`) resolved, with its levels of includes; `visiting` holds the
    /// prompts whose drafts are being resolved around it, itself last.
    fn body<'a>(
        &'a mut self,
        conn: &'a mut AnyConnection,
        name: &'a str,
        body: &'a Body,
        visiting: &'a [String],
    ) -> Deeper<'a, Result<(Body, usize)>> {
        Box::pin(async move {
            match body {
                Body::Text(text) => {
                    let resolved = self.text(conn, name, text, visiting).await?;
                    Ok((Body::Text(resolved.text), resolved.depth))
                }
                Body::Chat(messages) => {
                    let mut depth = 0;
                    let mut resolved = Vec::with_capacity(messages.len());
                    for message in messages {
                        resolved.push(match message {
                            ChatMessage::Message { role, content } => {
                                let text = self.text(conn, name, content, visiting).await?;
                                depth = depth.max(text.depth);
                                ChatMessage::Message { role: role.clone(), content: text.text }
                            }
                            placeholder => placeholder.clone(),
                        });
                    }
                    let resolved = Body::Chat(resolved);
                    if content::stored_source(&resolved).len() > MAX_SOURCE_BYTES {
                        return Err(VaultError::TooLarge { field: "messages", limit: MAX_SOURCE_BYTES });
                    }
                    Ok((resolved, depth))
                }
            }
        })
    }

    async fn text(
        &mut self,
        conn: &mut AnyConnection,
        name: &str,
        text: &str,
        visiting: &[String],
    ) -> Result<references::Resolved> {
        let found = references::references(text, name)?;
        let mut included = HashMap::new();
        // Bytes of the included texts fetched so far: refused once past the limit, before
        // more is fetched.
        let mut size = 0;
        for reference in &found {
            let key = (reference.name.as_str().to_owned(), reference.target.clone());
            if included.contains_key(&key) {
                continue;
            }
            let content = match self.found.get(&key) {
                Some(content) => content.clone(),
                None => {
                    let content = self.include(conn, reference, visiting).await?;
                    self.found.insert(key.clone(), content.clone());
                    content
                }
            };
            size += content.text.len();
            if size > MAX_SOURCE_BYTES {
                return Err(references::too_large(reference, size, MAX_SOURCE_BYTES));
            }
            included.insert(key, content);
        }
        references::resolve(text, &found, MAX_SOURCE_BYTES, |reference| {
            let key = (reference.name.as_str().to_owned(), reference.target.clone());
            included
                .get(&key)
                .cloned()
                .ok_or_else(|| VaultError::Internal("a reference not looked up".into()))
        })
    }

    /// What `reference` includes: a published version's pinned content, or (reading) a
    /// draft resolved in turn.
    async fn include(
        &mut self,
        conn: &mut AnyConnection,
        reference: &Reference,
        visiting: &[String],
    ) -> Result<Included> {
        let tag = reference.tag();
        let refused = |why: String| VaultError::invalid("source", format!("{tag} cannot be included: {why}"));
        let prompt = sqlx::query("select id, kind from prompts where workspace_id = $1 and name = $2")
            .bind(self.workspace_id)
            .bind(reference.name.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| refused(format!("there is no prompt named {}", reference.name)))?;
        let prompt_id: i64 = prompt.try_get("id")?;
        if content::kind_from_db(&prompt.try_get::<String, _>("kind")?)? != content::PromptType::Text {
            return Err(refused(format!(
                "{} is a chat prompt, and only text prompts are included",
                reference.name
            )));
        }
        let number = target_number(conn, prompt_id, &reference.target)
            .await?
            .ok_or_else(|| refused(format!("{} has no version there", reference.name)))?;
        let version = sqlx::query(
            "select id, status, source, resolved, depth from versions where prompt_id = $1 and number = $2",
        )
        .bind(prompt_id)
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| refused(format!("{} has no v{number}", reference.name)))?;
        let version_id: i64 = version.try_get("id")?;
        let source: String = version.try_get("source")?;
        if visiting.len() == 1 {
            let inside = tag.trim_start_matches(references::OPEN).trim_end_matches("@@@").to_owned();
            let prompt = reference.name.as_str().to_owned();
            self.pins.push(Pin { reference: inside, version_id, prompt, number });
        }
        if version.try_get::<String, _>("status")? == "live" {
            let embedded = embedded_prompts(conn, version_id).await?;
            if let Some(cycle) = visiting.iter().find(|name| embedded.contains(*name)) {
                return Err(refused(format!("v{number} of {} includes {cycle} already", reference.name)));
            }
            let text = version.try_get::<Option<String>, _>("resolved")?.unwrap_or(source);
            let depth = usize::try_from(version.try_get::<i64, _>("depth")?).unwrap_or(MAX_DEPTH);
            return Ok(Included { text, depth });
        }
        if self.when == When::Publishing {
            return Err(refused(format!(
                "v{number} of {} is a draft, and a published version includes only published ones: publish it first",
                reference.name
            )));
        }
        if visiting.iter().any(|name| name == reference.name.as_str()) {
            return Err(refused(format!("{} includes this prompt in turn (a cycle)", reference.name)));
        }
        if visiting.len() > MAX_DEPTH {
            return Err(refused(format!("prompts are included at most {MAX_DEPTH} levels deep")));
        }
        let mut deeper = visiting.to_vec();
        deeper.push(reference.name.as_str().to_owned());
        let (body, depth) = self.body(conn, reference.name.as_str(), &Body::Text(source), &deeper).await?;
        let Body::Text(text) = body else { unreachable!("a text prompt's body is a text") };
        Ok(Included { text, depth })
    }
}

/// The version number `target` names on prompt `prompt_id`, if it names one.
async fn target_number(conn: &mut AnyConnection, prompt_id: i64, target: &Target) -> Result<Option<i64>> {
    let number = match target {
        Target::Version(number) => Some(number.get()),
        Target::Latest => {
            sqlx::query_scalar("select max(number) from versions where prompt_id = $1 and status = 'live'")
                .bind(prompt_id)
                .fetch_one(&mut *conn)
                .await?
        }
        Target::Label(label) if label.as_str() == crate::names::LabelName::LIVE => {
            sqlx::query_scalar("select live_number from prompts where id = $1")
                .bind(prompt_id)
                .fetch_one(&mut *conn)
                .await?
        }
        Target::Label(label) if label.as_str() == crate::names::LabelName::STAGING => {
            sqlx::query_scalar("select staging_number from prompts where id = $1")
                .bind(prompt_id)
                .fetch_one(&mut *conn)
                .await?
        }
        Target::Label(label) => {
            sqlx::query_scalar(
                "select pl.number from prompt_labels pl join labels l on l.id = pl.label_id \
                 where pl.prompt_id = $1 and l.name = $2",
            )
            .bind(prompt_id)
            .bind(label.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    Ok(number)
}

/// The prompts whose versions published version `version_id` embeds, at every level (at
/// most [`MAX_DEPTH`]): each version is visited once.
async fn embedded_prompts(conn: &mut AnyConnection, version_id: i64) -> Result<HashSet<String>> {
    let mut names = HashSet::new();
    let mut seen = HashSet::from([version_id]);
    let mut frontier = vec![version_id];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for id in frontier {
            let rows = sqlx::query(
                "select vp.included_id, p.name from version_pins vp join versions v on v.id = vp.included_id \
                 join prompts p on p.id = v.prompt_id where vp.version_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            for row in &rows {
                names.insert(row.try_get::<String, _>("name")?);
                let included: i64 = row.try_get("included_id")?;
                if seen.insert(included) {
                    next.push(included);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(names)
}

/// `version` of prompt `prompt_id` (named `name`) as a reader sees it, and what each of its
/// references resolves to: a published version as it was pinned; a draft resolved against
/// the workspace as it is now (left as written where a reference no longer resolves).
pub(crate) async fn as_read(
    conn: &mut AnyConnection,
    prompt_id: i64,
    name: &str,
    version: &mut Version,
) -> Result<Vec<Pin>> {
    if version.status == Status::Published {
        return pinned(conn, prompt_id, version.number.get()).await;
    }
    match compose(conn, prompt_id, name, &version.body, When::Reading).await {
        Ok(composed) => Ok(composed.into_version(version)),
        // A refusal: shown as written, with nothing resolved.
        Err(refused) if refused.status() < 500 => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

/// What published version `number` of prompt `prompt_id` pins, by reference.
pub(crate) async fn pinned(conn: &mut AnyConnection, prompt_id: i64, number: i64) -> Result<Vec<Pin>> {
    let rows = sqlx::query(
        "select vp.reference, vp.included_id, p.name, iv.number from version_pins vp \
         join versions v on v.id = vp.version_id join versions iv on iv.id = vp.included_id \
         join prompts p on p.id = iv.prompt_id where v.prompt_id = $1 and v.number = $2 order by vp.reference",
    )
    .bind(prompt_id)
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Pin {
                reference: row.try_get("reference")?,
                version_id: row.try_get("included_id")?,
                prompt: row.try_get("name")?,
                number: row.try_get("number")?,
            })
        })
        .collect()
}

/// Pins `composed` to published version `version_id` (in the publishing transaction).
pub(crate) async fn write_pins(conn: &mut AnyConnection, version_id: i64, composed: &Composed) -> Result<()> {
    for pin in &composed.pins {
        sqlx::query("insert into version_pins (version_id, reference, included_id) values ($1, $2, $3)")
            .bind(version_id)
            .bind(&pin.reference)
            .bind(pin.version_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
