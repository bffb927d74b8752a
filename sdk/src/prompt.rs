//! A prompt as the client returns it: its version, content and config, compiled with the
//! application's variables (and, for a chat prompt, the conversation so far).

use crate::{Body, Channel, ChatMessage, CompileError, Config, Mode, PromptType};

/// A prompt as the server serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub name: String,
    /// `v3`; empty for a fallback.
    pub version: String,
    /// 3; 0 for a fallback.
    pub number: i64,
    /// The text of a text prompt, or the messages of a chat prompt.
    pub body: Body,
    /// The model configuration saved with the version (`{}` when none).
    pub config: Config,
    /// The `{{variables}}` of the text or messages, each once, in order.
    pub variables: Vec<String>,
    /// The label that served it (`live`, `staging`, or a label of the workspace's own such
    /// as `eu`); `None` for a fallback.
    pub label: Option<String>,
    /// For a read through live or staging, which; `None` otherwise (and for a fallback).
    pub channel: Option<Channel>,
    pub message: String,
    pub author: String,
    pub created_at: String,
    /// While a rollout splits the label read: its versions, share and seed, from which
    /// [`crate::Client::prompt_for`] assigns a unit locally.
    pub rollout: Option<types::rollouts::SplitJson>,
}

/// The server's read (the version JSON with its name and channel), as applications use it.
impl From<types::ServedPrompt> for Prompt {
    fn from(served: types::ServedPrompt) -> Self {
        let version = served.version;
        let body = version.body().unwrap_or_else(|| Body::Text(String::new()));
        Prompt {
            name: served.name,
            version: version.version,
            number: version.number,
            body,
            config: version.config.unwrap_or_default(),
            variables: version.variables,
            // A server from before labels sends only the channel.
            label: Some(match (served.label.is_empty(), served.channel) {
                (true, Some(channel)) => channel.as_str().to_owned(),
                _ => served.label,
            }),
            channel: served.channel,
            message: version.message,
            author: version.author,
            created_at: version.created_at,
            rollout: served.rollout,
        }
    }
}

impl Prompt {
    pub(crate) fn fallback(name: &str, source: &str) -> Prompt {
        Prompt {
            name: name.to_owned(),
            version: String::new(),
            number: 0,
            body: Body::Text(source.to_owned()),
            config: Config::new(),
            variables: types::template::variables(source),
            label: None,
            channel: None,
            message: String::new(),
            author: String::new(),
            created_at: String::new(),
            rollout: None,
        }
    }

    /// True when this is the configured fallback text, not something the server sent.
    pub fn is_fallback(&self) -> bool {
        self.label.is_none()
    }

    pub fn kind(&self) -> PromptType {
        self.body.kind()
    }

    /// A text prompt's text, as written; `None` for a chat prompt.
    pub fn text(&self) -> Option<&str> {
        match &self.body {
            Body::Text(text) => Some(text),
            Body::Chat(_) => None,
        }
    }

    /// A chat prompt's messages and placeholders, as written; `None` for a text prompt.
    pub fn messages(&self) -> Option<&[ChatMessage]> {
        match &self.body {
            Body::Text(_) => None,
            Body::Chat(messages) => Some(messages),
        }
    }

    /// The prompt with its variables filled, strictly: a variable without a value, a value
    /// for no variable, or (for a chat prompt) a placeholder is an error that names it.
    pub fn compile(&self, values: &[(&str, &str)]) -> Result<Body, CompileError> {
        self.body.compile(values, &[], Mode::Strict)
    }

    /// A chat prompt compiled strictly, its placeholders replaced by the messages given
    /// for them (a conversation so far), in place.
    pub fn compile_with(
        &self,
        values: &[(&str, &str)],
        placeholders: &[(&str, &[ChatMessage])],
    ) -> Result<Body, CompileError> {
        self.body.compile(values, placeholders, Mode::Strict)
    }

    /// The prompt with the variables that have a value filled; the others, and unfilled
    /// placeholders, stay as written. Values for no variable are ignored. Refused only when
    /// the result would pass 4 MiB ([`CompileError::TooLarge`], before anything is built):
    /// never a silent half-compiled prompt.
    pub fn compile_lenient(
        &self,
        values: &[(&str, &str)],
        placeholders: &[(&str, &[ChatMessage])],
    ) -> Result<Body, CompileError> {
        self.body.compile(values, placeholders, Mode::Lenient)
    }

    /// The config read into the caller's own type.
    pub fn config_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(serde_json::Value::Object(self.config.clone()))
    }
}
