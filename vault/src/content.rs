//! The rules of what a version holds (PRODUCT.md "Structured prompts"): a text prompt's
//! source, a chat prompt's messages, and the config, each checked here and nowhere else,
//! and how they are stored — a chat's messages as their JSON in the `source` column, the
//! config as its JSON in `config` — so the database's frozen-version trigger covers both.

use serde_json::Value;
use types::template;

use sqlx::Row;

use crate::db::Db;
use crate::names::{self, no_nul};
use crate::references::{self, Reference};
use crate::{MAX_SOURCE_BYTES, Result, VaultError};

pub use types::{Body, ChatMessage, Config, MAX_CONFIG_BYTES, MessageRole, PromptType};

/// A version's content as a caller sends it: the source of a text prompt, or the messages
/// of a chat prompt (as JSON, so that a wrong one is named here, in words).
#[derive(Debug, Clone)]
pub enum DraftBody {
    Text(String),
    Chat(Value),
}

impl DraftBody {
    /// The content a request's fields give: `source` for a text prompt, or `messages` for a
    /// chat prompt; never both. `None` when neither is given.
    pub fn from_fields(source: Option<String>, messages: Option<Value>) -> Result<Option<DraftBody>> {
        match (source, messages) {
            (Some(_), Some(_)) => Err(VaultError::invalid(
                "messages",
                "send source (a text prompt) or messages (a chat prompt), not both",
            )),
            (Some(source), None) => Ok(Some(DraftBody::Text(source))),
            (None, Some(messages)) => Ok(Some(DraftBody::Chat(messages))),
            (None, None) => Ok(None),
        }
    }
}

/// A version's content offered again as a draft's (a push of content already checked).
impl From<Body> for DraftBody {
    fn from(body: Body) -> DraftBody {
        match body {
            Body::Text(text) => DraftBody::Text(text),
            Body::Chat(messages) => DraftBody::Chat(serde_json::to_value(messages).unwrap_or(Value::Null)),
        }
    }
}

/// A chat prompt's messages typed as JSON text (the dashboard's form), checked as JSON here
/// and as messages when saved.
pub fn chat_from_text(text: &str) -> Result<DraftBody> {
    serde_json::from_str(text)
        .map(DraftBody::Chat)
        .map_err(|e| VaultError::invalid("messages", format!("messages are not valid JSON: {e}")))
}

/// A prompt's type as a caller names it (`text` when not named).
pub fn prompt_type(raw: Option<&str>) -> Result<PromptType> {
    match raw {
        None => Ok(PromptType::Text),
        Some(raw) => PromptType::parse(raw).ok_or_else(|| {
            VaultError::invalid("type", format!("a prompt's type is text or chat, not {raw:?}"))
        }),
    }
}

/// The content of a draft for a prompt of type `kind`, checked.
pub(crate) fn body(kind: PromptType, prompt: &str, given: DraftBody) -> Result<Body> {
    let body = match (kind, given) {
        (PromptType::Text, DraftBody::Text(source)) => Body::Text(names::source(&source)?.to_owned()),
        (PromptType::Chat, DraftBody::Chat(messages)) => chat(messages)?,
        (PromptType::Text, DraftBody::Chat(_)) => {
            return Err(VaultError::invalid(
                "messages",
                format!("{prompt} is a text prompt: send its text as source, not messages"),
            ));
        }
        (PromptType::Chat, DraftBody::Text(_)) => {
            return Err(VaultError::invalid(
                "source",
                format!("{prompt} is a chat prompt: send its messages, not a source"),
            ));
        }
    };
    references_of(&body, prompt)?;
    Ok(body)
}

/// The references to other prompts a body holds (a text's, each message's), each of the
/// form Langfuse writes; at most [`references::MAX_REFERENCES`] in all.
pub(crate) fn references_of(body: &Body, prompt: &str) -> Result<Vec<Reference>> {
    let texts: Vec<&str> = match body {
        Body::Text(source) => vec![source],
        Body::Chat(messages) => messages
            .iter()
            .filter_map(|m| match m {
                ChatMessage::Message { content, .. } => Some(content.as_str()),
                ChatMessage::Placeholder { .. } => None,
            })
            .collect(),
    };
    let mut found = Vec::new();
    for text in texts {
        found.extend(references::references(text, prompt)?);
        if found.len() > references::MAX_REFERENCES {
            return Err(VaultError::invalid(
                "source",
                format!("a version includes at most {} prompts", references::MAX_REFERENCES),
            ));
        }
    }
    Ok(found)
}

fn chat(given: Value) -> Result<Body> {
    let Value::Array(items) = given else {
        return Err(VaultError::invalid("messages", "messages is a list of messages and placeholders"));
    };
    if items.is_empty() {
        return Err(VaultError::invalid("messages", "a chat prompt has at least one message"));
    }
    let mut messages = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let message: ChatMessage = serde_json::from_value(item)
            .map_err(|e| VaultError::invalid("messages", format!("message {}: {e}", i + 1)))?;
        match &message {
            ChatMessage::Message { content, .. } => no_nul("messages", content)?,
            ChatMessage::Placeholder { name } if !template::is_name(name) => {
                return Err(VaultError::invalid(
                    "messages",
                    format!(
                        "message {}: a placeholder's name is a letter followed by letters, digits or _, not {name:?}",
                        i + 1
                    ),
                ));
            }
            ChatMessage::Placeholder { .. } => {}
        }
        messages.push(message);
    }
    let body = Body::Chat(messages);
    if stored_source(&body).len() > MAX_SOURCE_BYTES {
        return Err(VaultError::TooLarge { field: "messages", limit: MAX_SOURCE_BYTES });
    }
    // A set: a chat may hold many placeholders and many variables (no product of the two).
    let variables: std::collections::HashSet<String> = body.variables().into_iter().collect();
    if let Some(shared) = body.placeholders().into_iter().find(|name| variables.contains(name)) {
        return Err(VaultError::invalid(
            "messages",
            format!("{shared:?} is both a variable and a placeholder; rename one of them"),
        ));
    }
    Ok(body)
}

/// A config as sent (a JSON object, or nothing for `{}`), checked.
pub(crate) fn config(given: Option<Value>) -> Result<Config> {
    let config = match given {
        None | Some(Value::Null) => Config::new(),
        Some(Value::Object(config)) => config,
        Some(_) => {
            return Err(VaultError::invalid(
                "config",
                r#"config is a JSON object, such as {"model": "gpt-4o"}"#,
            ));
        }
    };
    if stored_config(&config).len() > MAX_CONFIG_BYTES {
        return Err(VaultError::TooLarge { field: "config", limit: MAX_CONFIG_BYTES });
    }
    Ok(config)
}

/// A config typed as text (the dashboard's editor), checked: refused with the parser's
/// reason and position when it is not JSON.
pub fn parse_config(text: &str) -> Result<Config> {
    if text.trim().is_empty() {
        return Ok(Config::new());
    }
    if text.len() > MAX_CONFIG_BYTES {
        return Err(VaultError::TooLarge { field: "config", limit: MAX_CONFIG_BYTES });
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| VaultError::invalid("config", format!("config is not valid JSON: {e}")))?;
    config(Some(value))
}

/// What the `source` column holds: the text, or the messages' JSON.
pub(crate) fn stored_source(body: &Body) -> String {
    match body {
        Body::Text(text) => text.clone(),
        Body::Chat(messages) => serde_json::to_string(messages).unwrap_or_default(),
    }
}

/// What the `variables` column holds: the body's variables as a JSON list.
pub(crate) fn stored_variables(body: &Body) -> String {
    serde_json::to_string(&body.variables()).unwrap_or_else(|_| "[]".into())
}

/// Lists the variables of the versions saved before versions listed them (a database made
/// by an earlier release), in batches; once every version has them, one look at an empty
/// partial index (`versions_missing_variables`). The variables column is not part of what a
/// published version freezes: it is derived from its source.
pub(crate) async fn extract_missing_variables(db: &Db) -> Result<()> {
    loop {
        let rows = sqlx::query(
            "select v.id, coalesce(v.resolved, v.source) as source, p.kind from versions v \
             join prompts p on p.id = v.prompt_id where v.variables is null limit 500",
        )
        .fetch_all(&db.write)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = db.write.begin().await?;
        for row in &rows {
            let body = body_from_db(&row.try_get::<String, _>("kind")?, row.try_get("source")?)?;
            sqlx::query("update versions set variables = $1 where id = $2")
                .bind(stored_variables(&body))
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

pub(crate) fn variables_from_db(raw: Option<&str>) -> Vec<String> {
    raw.and_then(|raw| serde_json::from_str(raw).ok()).unwrap_or_default()
}

/// What a version's content takes in the database: its stored text (or messages) and config.
pub(crate) fn stored_bytes(body: &Body, config: &Config) -> usize {
    stored_source(body).len() + stored_config(config).len()
}

pub(crate) fn stored_config(config: &Config) -> String {
    serde_json::to_string(config).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn body_from_db(kind: &str, source: String) -> Result<Body> {
    match kind_from_db(kind)? {
        PromptType::Text => Ok(Body::Text(source)),
        PromptType::Chat => serde_json::from_str(&source).map(Body::Chat).map_err(|e| {
            VaultError::Internal(format!("unreadable chat messages in the database: {e}").into())
        }),
    }
}

pub(crate) fn kind_from_db(kind: &str) -> Result<PromptType> {
    PromptType::parse(kind)
        .ok_or_else(|| VaultError::Internal(format!("unknown prompt type {kind:?}").into()))
}

pub(crate) fn config_from_db(raw: &str) -> Result<Config> {
    serde_json::from_str(raw)
        .map_err(|e| VaultError::Internal(format!("unreadable config in the database: {e}").into()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(result: Result<Body>) -> String {
        match result {
            Err(VaultError::Invalid { field, message }) => format!("{field}: {message}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_chat_body_is_checked_and_named_in_words() {
        let chat = |v: Value| body(PromptType::Chat, "p", DraftBody::Chat(v));
        assert!(
            chat(json!([{"role":"system","content":"Hi {{name}}"},{"type":"placeholder","name":"history"}]))
                .is_ok()
        );
        assert!(refusal(chat(json!([]))).contains("at least one message"));
        assert!(refusal(chat(json!({"role":"user"}))).contains("a list"));
        assert!(
            refusal(chat(json!([{"role":"user","content":"x"},{"role":"","content":"x"}])))
                .contains("message 2")
        );
        assert!(refusal(chat(json!([{"type":"placeholder","name":"1x"}]))).contains("not \"1x\""));
        let shared = json!([{"role":"user","content":"{{history}}"},{"type":"placeholder","name":"history"}]);
        assert!(refusal(chat(shared)).contains("both a variable and a placeholder"));
        assert!(
            refusal(body(PromptType::Text, "p", DraftBody::Chat(json!([]))))
                .starts_with("messages: p is a text prompt")
        );
        assert!(
            refusal(body(PromptType::Chat, "p", DraftBody::Text("x".into())))
                .starts_with("source: p is a chat prompt")
        );
    }

    #[test]
    fn a_config_is_an_object_of_at_most_64_kib() {
        assert_eq!(config(None).ok(), Some(Config::new()));
        assert!(config(Some(json!({"model":"gpt-4o","temperature":0.2}))).is_ok());
        assert!(matches!(config(Some(json!([1]))), Err(VaultError::Invalid { field: "config", .. })));
        let big = json!({"x": "y".repeat(MAX_CONFIG_BYTES)});
        assert!(matches!(config(Some(big)), Err(VaultError::TooLarge { field: "config", .. })));
        let Err(VaultError::Invalid { message, .. }) = parse_config("{\"model\": }") else {
            panic!("refused")
        };
        assert!(message.contains("not valid JSON") && message.contains("column"), "{message}");
        assert_eq!(parse_config("  ").ok(), Some(Config::new()));
    }
}
