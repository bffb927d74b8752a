//! What a version holds: a text, or chat messages; its model configuration; and compiling
//! either with values for its variables (and messages for its placeholders).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::template::{self, CompileError, Mode};

/// The largest config accepted, serialised: 64 KiB.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;

/// A version's model configuration: any JSON object (model, temperature, tools, …).
pub type Config = serde_json::Map<String, serde_json::Value>;

/// A prompt's type, chosen when it is created and never changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PromptType {
    /// One text.
    #[default]
    Text,
    /// A list of chat messages and placeholders.
    Chat,
}

impl PromptType {
    pub fn as_str(self) -> &'static str {
        match self {
            PromptType::Text => "text",
            PromptType::Chat => "chat",
        }
    }

    pub fn parse(raw: &str) -> Option<PromptType> {
        match raw {
            "text" => Some(PromptType::Text),
            "chat" => Some(PromptType::Chat),
            _ => None,
        }
    }
}

impl fmt::Display for PromptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest role a chat message may name, in bytes.
pub const MAX_ROLE_BYTES: usize = 64;

/// Who says a chat message. Any role is kept as written, as Langfuse keeps it (`developer`,
/// `tool`, `model`, …); the four most models know are named so that code can match them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum MessageRole {
    System,
    Developer,
    User,
    Assistant,
    /// Any other role: non-empty, printable, at most [`MAX_ROLE_BYTES`].
    Other(String),
}

impl MessageRole {
    /// The roles the editor offers; any other is kept where it is found.
    pub const NAMED: [MessageRole; 4] =
        [MessageRole::System, MessageRole::Developer, MessageRole::User, MessageRole::Assistant];

    pub fn as_str(&self) -> &str {
        match self {
            MessageRole::System => "system",
            MessageRole::Developer => "developer",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
            MessageRole::Other(role) => role,
        }
    }

    /// The role a string names, or why it cannot name one.
    pub fn parse(raw: &str) -> Result<MessageRole, String> {
        if let Some(named) = MessageRole::NAMED.into_iter().find(|role| role.as_str() == raw) {
            return Ok(named);
        }
        if raw.trim().is_empty() {
            return Err("a message's role cannot be empty (system, developer, user, assistant, …)".into());
        }
        if raw.len() > MAX_ROLE_BYTES {
            return Err(format!("a message's role is at most {MAX_ROLE_BYTES} bytes, not {}", raw.len()));
        }
        if raw.chars().any(char::is_control) {
            return Err("a message's role cannot hold control characters".into());
        }
        Ok(MessageRole::Other(raw.to_owned()))
    }
}

impl TryFrom<String> for MessageRole {
    type Error = String;

    fn try_from(raw: String) -> Result<MessageRole, String> {
        MessageRole::parse(&raw)
    }
}

impl From<MessageRole> for String {
    fn from(role: MessageRole) -> String {
        role.as_str().to_owned()
    }
}

impl fmt::Display for MessageRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a chat prompt: a message, or a placeholder where the application inserts
/// messages of its own (a conversation so far). On the wire, `{"role","content"}` or
/// `{"type":"placeholder","name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WireMessage", into = "WireMessage")]
pub enum ChatMessage {
    Message { role: MessageRole, content: String },
    Placeholder { name: String },
}

impl ChatMessage {
    pub fn new(role: MessageRole, content: impl Into<String>) -> ChatMessage {
        ChatMessage::Message { role, content: content.into() }
    }

    /// Its size as a compile counts it: the content's bytes, or the placeholder's name's.
    pub fn size(&self) -> usize {
        match self {
            ChatMessage::Message { content, .. } => content.len(),
            ChatMessage::Placeholder { name } => name.len(),
        }
    }
}

/// A chat message as JSON: every field optional, so that a wrong one is named in words.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ChatMessage))]
pub struct WireMessage {
    /// `placeholder` for a placeholder; absent (or `message`) for a message.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `system`, `developer`, `user`, `assistant`, or any other role (at most 64 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A placeholder's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl TryFrom<WireMessage> for ChatMessage {
    type Error = String;

    fn try_from(wire: WireMessage) -> Result<ChatMessage, String> {
        match wire.kind.as_deref() {
            Some("placeholder") => match wire.name {
                Some(name) if wire.role.is_none() && wire.content.is_none() => {
                    Ok(ChatMessage::Placeholder { name })
                }
                Some(_) => Err("a placeholder has a name only, no role or content".into()),
                None => Err("a placeholder needs a name".into()),
            },
            None | Some("message") => {
                let role =
                    wire.role.ok_or("a message needs a role: system, developer, user, assistant, …")?;
                let role = MessageRole::parse(&role)?;
                let content = wire.content.ok_or("a message needs its content (a string)")?;
                if wire.name.is_some() {
                    return Err("a message has a role and content, no name".into());
                }
                Ok(ChatMessage::Message { role, content })
            }
            Some(other) => {
                Err(format!("the type must be placeholder (or absent, for a message), not {other:?}"))
            }
        }
    }
}

impl From<ChatMessage> for WireMessage {
    fn from(message: ChatMessage) -> WireMessage {
        match message {
            ChatMessage::Message { role, content } => {
                WireMessage { role: Some(role.into()), content: Some(content), ..WireMessage::default() }
            }
            ChatMessage::Placeholder { name } => {
                WireMessage { kind: Some("placeholder".into()), name: Some(name), ..WireMessage::default() }
            }
        }
    }
}

/// A version's content: its text, or its chat messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Chat(Vec<ChatMessage>),
}

impl Body {
    pub fn kind(&self) -> PromptType {
        match self {
            Body::Text(_) => PromptType::Text,
            Body::Chat(_) => PromptType::Chat,
        }
    }

    /// Its variables, each once, in the order they first appear (across messages).
    pub fn variables(&self) -> Vec<String> {
        let mut names = template::Names::default();
        match self {
            Body::Text(text) => names.add_from(text),
            Body::Chat(messages) => {
                for message in messages {
                    if let ChatMessage::Message { content, .. } = message {
                        names.add_from(content);
                    }
                }
            }
        }
        names.into_list()
    }

    /// Its placeholders' names, in order (none for a text).
    pub fn placeholders(&self) -> Vec<String> {
        match self {
            Body::Text(_) => Vec::new(),
            Body::Chat(messages) => messages
                .iter()
                .filter_map(|m| match m {
                    ChatMessage::Placeholder { name } => Some(name.clone()),
                    ChatMessage::Message { .. } => None,
                })
                .collect(),
        }
    }

    /// Compiled: variables filled from `values` and placeholders replaced by the messages in
    /// `fills`. Strict refuses a variable or placeholder without a value, and a value for a
    /// name the prompt does not use, naming it; lenient leaves what has no value as it is.
    pub fn compile(
        &self,
        values: &[(&str, &str)],
        fills: &[(&str, &[ChatMessage])],
        mode: Mode,
    ) -> Result<Body, CompileError> {
        if mode == Mode::Strict {
            let mut known = self.variables();
            known.extend(self.placeholders());
            let named: Vec<(&str, &str)> = fills.iter().map(|(name, _)| (*name, "")).collect();
            if let Some(unknown) = template::unknown_value(values, &known)
                .or_else(|| template::unknown_value(&named, &self.placeholders()))
            {
                return Err(unknown);
            }
        }
        let values = template::Values::new(values);
        // Looked up by name: no product of placeholders and fills.
        let fills: std::collections::HashMap<&str, &[ChatMessage]> = fills.iter().copied().collect();
        let mut budget = template::MAX_COMPILED_BYTES;
        match self {
            Body::Text(text) => Ok(Body::Text(template::fill(text, &values, mode, &mut budget)?)),
            Body::Chat(messages) => {
                let mut out = Vec::with_capacity(messages.len());
                for message in messages {
                    match message {
                        ChatMessage::Message { role, content } => {
                            out.push(ChatMessage::new(
                                role.clone(),
                                template::fill(content, &values, mode, &mut budget)?,
                            ));
                        }
                        ChatMessage::Placeholder { name } => match fills.get(name.as_str()) {
                            Some(inserted) => {
                                template::take(&mut budget, inserted.iter().map(ChatMessage::size).sum())?;
                                out.extend(inserted.iter().cloned());
                            }
                            None if mode == Mode::Lenient => out.push(message.clone()),
                            None => return Err(CompileError::MissingPlaceholder(name.clone())),
                        },
                    }
                }
                Ok(Body::Chat(out))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chat() -> Body {
        Body::Chat(vec![
            ChatMessage::new(MessageRole::System, "You help {{ name }} on the {{plan}} plan."),
            ChatMessage::Placeholder { name: "history".into() },
            ChatMessage::new(MessageRole::User, "{{question}} ({{name}})"),
        ])
    }

    #[test]
    fn chat_messages_have_the_documented_json() {
        let messages = match chat() {
            Body::Chat(messages) => messages,
            Body::Text(_) => unreachable!(),
        };
        let json = serde_json::to_value(&messages).unwrap_or_default();
        assert_eq!(
            json,
            json!([{"role":"system","content":"You help {{ name }} on the {{plan}} plan."},
                   {"type":"placeholder","name":"history"},
                   {"role":"user","content":"{{question}} ({{name}})"}])
        );
        let back: Vec<ChatMessage> = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(back, messages);
        let typed: Result<ChatMessage, _> =
            serde_json::from_value(json!({"type":"message","role":"user","content":"x"}));
        assert!(typed.is_ok());
    }

    #[test]
    fn any_role_langfuse_allows_is_kept_as_written() {
        let json = json!([{"role":"developer","content":"a"},{"role":"tool","content":"b"},
                          {"role":"model","content":"c"},{"role":"Narrator 2","content":"d"}]);
        let messages: Vec<ChatMessage> = serde_json::from_value(json.clone()).expect("every role");
        assert_eq!(messages[0], ChatMessage::new(MessageRole::Developer, "a"));
        assert_eq!(messages[1], ChatMessage::new(MessageRole::Other("tool".into()), "b"));
        assert_eq!(serde_json::to_value(&messages).expect("json"), json);
    }

    #[test]
    fn a_wrong_message_is_refused_in_words() {
        for (wrong, says) in [
            (json!({"role":"","content":"x"}), "role cannot be empty"),
            (json!({"role":"a\u{7}b","content":"x"}), "control characters"),
            (json!({"role":"r".repeat(65),"content":"x"}), "at most 64 bytes"),
            (json!({"role":"user"}), "needs its content"),
            (json!({"content":"x"}), "needs a role"),
            (json!({"type":"placeholder"}), "needs a name"),
            (json!({"type":"image","name":"x"}), "not \"image\""),
        ] {
            let error = serde_json::from_value::<ChatMessage>(wrong).err().map(|e| e.to_string());
            assert!(error.as_deref().is_some_and(|e| e.contains(says)), "{error:?}");
        }
    }

    #[test]
    fn variables_and_placeholders_of_a_chat() {
        assert_eq!(chat().variables(), ["name", "plan", "question"]);
        assert_eq!(chat().placeholders(), ["history"]);
        assert_eq!(Body::Text("{{a}} {{b}} {{a}}".into()).variables(), ["a", "b"]);
    }

    #[test]
    fn a_chat_compiles_with_values_and_inserted_messages() {
        let history =
            [ChatMessage::new(MessageRole::User, "hi"), ChatMessage::new(MessageRole::Assistant, "hello")];
        let values = [("name", "Ada"), ("plan", "pro"), ("question", "Refund?")];
        let compiled = chat().compile(&values, &[("history", &history)], Mode::Strict);
        let expected = Body::Chat(vec![
            ChatMessage::new(MessageRole::System, "You help Ada on the pro plan."),
            history[0].clone(),
            history[1].clone(),
            ChatMessage::new(MessageRole::User, "Refund? (Ada)"),
        ]);
        assert_eq!(compiled, Ok(expected));
        assert_eq!(
            chat().compile(&values, &[], Mode::Strict),
            Err(CompileError::MissingPlaceholder("history".into()))
        );
        assert_eq!(
            chat().compile(&values, &[("histories", &history)], Mode::Strict),
            Err(CompileError::Unknown("histories".into()))
        );
        let lenient = chat().compile(&[("name", "Ada")], &[], Mode::Lenient);
        let Ok(Body::Chat(lenient)) = lenient else { panic!("lenient compiles") };
        assert_eq!(lenient[0], ChatMessage::new(MessageRole::System, "You help Ada on the {{plan}} plan."));
        assert_eq!(lenient[1], ChatMessage::Placeholder { name: "history".into() });
    }
}
