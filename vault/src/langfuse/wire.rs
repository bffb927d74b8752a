//! Langfuse's shapes of PromptVault's values: a body as Langfuse's `prompt` and back, and
//! a version as the Langfuse API answers it. Shared by the reads (`serving`), the writes,
//! and the import of a Langfuse export.

use serde_json::Value;
use types::LangfusePromptJson;

use crate::content::{Body, ChatMessage, DraftBody, PromptType};
use crate::version::Version;
use crate::{Result, VaultError};

/// Langfuse's `prompt`: the text, or the chat messages as Langfuse writes them (a message
/// with `"type":"chatmessage"`, a placeholder with `"type":"placeholder"`).
pub(crate) fn langfuse_prompt(body: &Body) -> Value {
    match body {
        Body::Text(text) => Value::String(text.clone()),
        Body::Chat(messages) => messages
            .iter()
            .map(|message| match message {
                ChatMessage::Message { role, content } => {
                    serde_json::json!({"type": "chatmessage", "role": role.as_str(), "content": content})
                }
                ChatMessage::Placeholder { name } => serde_json::json!({"type": "placeholder", "name": name}),
            })
            .collect(),
    }
}

/// A Langfuse `prompt` of a prompt of type `kind` as a draft's content: a text, or a list
/// of messages (each `{"type":"chatmessage","role","content"}`, the older `{"role","content"}`,
/// or a placeholder); the messages' own rules are the draft's.
pub(crate) fn draft_body(kind: PromptType, prompt: Value) -> Result<DraftBody> {
    match (kind, prompt) {
        (PromptType::Text, Value::String(text)) => Ok(DraftBody::Text(text)),
        (PromptType::Chat, Value::Array(messages)) => {
            Ok(DraftBody::Chat(Value::Array(messages.into_iter().map(from_langfuse_message).collect())))
        }
        (kind, _) => {
            let wanted = if kind == PromptType::Text { "a string" } else { "a list of messages" };
            Err(VaultError::invalid("prompt", format!("a {kind} prompt's prompt is {wanted}")))
        }
    }
}

/// A Langfuse chat message (`{"type":"chatmessage","role","content"}` or the older
/// `{"role","content"}`) or placeholder (`{"type":"placeholder","name"}`) as PromptVault's.
fn from_langfuse_message(mut message: Value) -> Value {
    if let Some(object) = message.as_object_mut()
        && object.get("type").and_then(Value::as_str) == Some("chatmessage")
    {
        object.remove("type");
    }
    message
}

/// Version `version` of prompt `name` (of id `prompt_id`, in workspace `workspace_id`) as
/// the Langfuse API answers it, with `labels` (Langfuse's names, in order) and `tags`; its
/// text with the prompts it includes in place when `resolved`, or as written (`resolve=false`).
pub(crate) fn prompt_json(
    workspace_id: i64,
    prompt_id: i64,
    name: &str,
    (version, resolved): (&Version, bool),
    labels: Vec<String>,
    tags: Vec<String>,
) -> LangfusePromptJson {
    let created = version.created_at.to_rfc3339();
    let n = version.number.get();
    LangfusePromptJson {
        id: format!("pv-{prompt_id}-v{n}"),
        name: name.to_owned(),
        version: n,
        kind: version.body.kind().as_str().to_owned(),
        prompt: langfuse_prompt(if resolved { version.served_body() } else { &version.body }),
        config: version.config.clone(),
        labels,
        tags,
        commit_message: Some(version.message.clone()).filter(|m| !m.is_empty()),
        updated_at: created.clone(),
        created_at: created,
        created_by: version.author.clone(),
        project_id: workspace_id.to_string(),
        resolution_graph: None,
    }
}
