//! Prompts for AI agents (the Model Context Protocol's `prompts/list` and `prompts/get`):
//! what a read key reads, each prompt with its variables as the arguments an agent fills,
//! and compiled into messages. The protocol's wording is the server's; what is listed, how a
//! version becomes messages and what is refused is decided here.
//!
//! MCP messages have two roles, `user` and `assistant`. A text prompt is one `user` message;
//! a chat prompt's `system` messages are sent as `user` messages (an agent has no other
//! place for them, and they come first in a chat prompt anyway); a placeholder is left out:
//! the agent's own conversation is its history.

use std::collections::HashMap;

use crate::Vault;
use crate::content::{Body, ChatMessage, MessageRole};
use crate::serving::keys::hash_token;
use crate::serving::model::ReadRefused;
use types::template::Mode;

/// A prompt as an agent lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPrompt {
    pub name: String,
    /// The served version's message, or its label when it has none.
    pub description: String,
    /// Its `{{variables}}`: every one required.
    pub arguments: Vec<String>,
}

/// Who says an agent's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRole {
    User,
    Assistant,
}

/// A prompt compiled for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMessages {
    pub description: String,
    pub messages: Vec<(AgentRole, String)>,
}

/// The most arguments a `prompts/get` may send.
pub const MAX_AGENT_ARGUMENTS: usize = 256;

/// The longest argument, in bytes: as long as the longest source.
pub const MAX_AGENT_ARGUMENT_BYTES: usize = crate::MAX_SOURCE_BYTES;

/// Why a `prompts/get` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentRefused {
    /// The key is missing, unknown or revoked.
    Unauthorized,
    /// The key read more than its configured rate: try again after this.
    Limited(std::time::Duration),
    /// The key reads no prompt of that name.
    NotFound(String),
    /// A variable has no value: the argument it needs, named.
    MissingArgument(String),
    /// Too many arguments, one too long, or a compiled prompt over
    /// [`types::template::MAX_COMPILED_BYTES`]: why, in words.
    InvalidArguments(String),
}

impl Vault {
    /// Whether `token` is a read key that works now.
    pub fn read_key_is_valid(&self, token: &str) -> bool {
        self.serving.lock_read().keys.contains_key(&hash_token(token))
    }

    /// Every prompt the key reads now, by name. A listing counts as a read of the key's.
    pub fn agent_prompts(&self, token: &str) -> Result<Vec<AgentPrompt>, ReadRefused> {
        let model = self.serving.lock_read();
        let key = self.serving.reader(&model, token)?;
        let (workspace_id, reading) = (key.workspace_id, model.reading(key));
        let mut prompts: Vec<AgentPrompt> = model
            .prompts
            .get(&workspace_id)
            .into_iter()
            .flatten()
            .filter_map(|(name, entry)| {
                let served = entry.view(&reading).0?;
                let version = &served.version;
                Some(AgentPrompt {
                    name: name.clone(),
                    description: describe(&version.message, version.number.get()),
                    arguments: version.variables.clone(),
                })
            })
            .collect();
        prompts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(prompts)
    }

    /// Prompt `name` as the key reads it, compiled with `arguments` for its variables
    /// (values for names it does not use are ignored: agents may send more than asked).
    /// A get counts as a read of the key's.
    pub fn agent_prompt(
        &self,
        token: &str,
        name: &str,
        arguments: &HashMap<String, String>,
    ) -> Result<AgentMessages, AgentRefused> {
        self.agent_prompt_for(token, name, arguments, None)
    }

    /// [`Vault::agent_prompt`] for `unit` (the agent's user or session): under a rollout of
    /// the label read, the side the unit is assigned.
    pub fn agent_prompt_for(
        &self,
        token: &str,
        name: &str,
        arguments: &HashMap<String, String>,
        unit: Option<&str>,
    ) -> Result<AgentMessages, AgentRefused> {
        check_arguments(arguments)?;
        let version = {
            let model = self.serving.lock_read();
            let refused = |refused| match refused {
                ReadRefused::Limited(wait) => AgentRefused::Limited(wait),
                _ => AgentRefused::Unauthorized,
            };
            let key = self.serving.reader(&model, token).map_err(refused)?;
            let (workspace_id, reading) = (key.workspace_id, model.reading(key));
            let entry = model.prompts.get(&workspace_id).and_then(|prompts| prompts.get(name));
            let served = entry.and_then(|entry| entry.view_for(&reading, name, unit).0);
            served.ok_or_else(|| AgentRefused::NotFound(name.to_owned()))?.version.clone()
        };
        if let Some(missing) = version.variables.iter().find(|name| !arguments.contains_key(*name)) {
            return Err(AgentRefused::MissingArgument(missing.clone()));
        }
        let values: Vec<(&str, &str)> =
            arguments.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        // Every variable has its value: lenient only keeps the placeholders and ignores extras.
        let messages = match version.served_body().compile(&values, &[], Mode::Lenient) {
            Ok(Body::Text(text)) => vec![(AgentRole::User, text)],
            Ok(Body::Chat(messages)) => messages.into_iter().filter_map(agent_message).collect(),
            Err(error) => return Err(AgentRefused::InvalidArguments(error.to_string())),
        };
        Ok(AgentMessages { description: describe(&version.message, version.number.get()), messages })
    }
}

/// Refuses more arguments than [`MAX_AGENT_ARGUMENTS`], or one longer than
/// [`MAX_AGENT_ARGUMENT_BYTES`], before anything is compiled.
fn check_arguments(arguments: &HashMap<String, String>) -> Result<(), AgentRefused> {
    if arguments.len() > MAX_AGENT_ARGUMENTS {
        return Err(AgentRefused::InvalidArguments(format!(
            "{} arguments sent; at most {MAX_AGENT_ARGUMENTS} are accepted",
            arguments.len()
        )));
    }
    match arguments.iter().find(|(_, value)| value.len() > MAX_AGENT_ARGUMENT_BYTES) {
        Some((name, _)) => Err(AgentRefused::InvalidArguments(format!(
            "the argument {name:?} is longer than {MAX_AGENT_ARGUMENT_BYTES} bytes"
        ))),
        None => Ok(()),
    }
}

fn describe(message: &str, number: i64) -> String {
    if message.trim().is_empty() { types::label(number) } else { message.to_owned() }
}

/// A chat message as an agent gets it; a placeholder is left out. MCP knows two roles:
/// an assistant's message stays the assistant's, every other role (system, developer,
/// tool, …) is given as the user's.
fn agent_message(message: ChatMessage) -> Option<(AgentRole, String)> {
    match message {
        ChatMessage::Message { role: MessageRole::Assistant, content } => {
            Some((AgentRole::Assistant, content))
        }
        ChatMessage::Message { content, .. } => Some((AgentRole::User, content)),
        ChatMessage::Placeholder { .. } => None,
    }
}
