//! The prompt file: one prompt per file, `NAME.prompt` (folders follow the `/` in the name:
//! `support/triage` is `support/triage.prompt`). A TOML front matter between two `+++` lines
//! holds the version it was pulled from, that version's message, the type, the prompt's
//! tags, the config and a chat prompt's messages; a text prompt's text follows the front matter as it is, so it
//! needs no escaping and diffs line by line.
//!
//! ```text
//! +++
//! version = "v3"
//! message = "Shorter greeting"
//!
//! [config]
//! model = "gpt-4o"
//! +++
//! Hello {{name}}!
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use types::content::WireMessage;
use types::{Body, ChatMessage, Config, PromptType};

pub const EXTENSION: &str = "prompt";

const FENCE: &str = "+++";

/// What a prompt file holds that a push sends: the content, the config and the prompt's
/// tags (`None` when the file names none: a push leaves the prompt's own).
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub body: Body,
    pub config: Config,
    pub tags: Option<Vec<String>>,
}

/// The pulled version a file names in its front matter (for the reader; a push ignores it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pulled {
    pub version: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// `text` (the default) or `chat`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// The prompt's tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<String>>,
    /// A table, or a string holding JSON (for a config TOML cannot hold: one with `null`s).
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<toml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<FileMessage>>,
}

/// A chat message (`role` and `content`) or a placeholder (`placeholder = "history"`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
}

/// Reads a prompt file's text. The error says what is wrong, in words (the caller names
/// the file).
pub fn parse(text: &str) -> Result<(Content, Pulled), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, rest) = split(text)?;
    let front: FrontMatter =
        toml::from_str(front).map_err(|e| format!("its front matter: {}", e.message()))?;
    let kind = vault::content::prompt_type(front.kind.as_deref()).map_err(|e| e.to_string())?;
    let body = match (kind, front.messages) {
        (PromptType::Text, None) => Body::Text(without_last_newline(rest).to_owned()),
        (PromptType::Text, Some(_)) => {
            return Err(
                "a text prompt has no [[messages]]: add type = \"chat\" to make it a chat prompt".into()
            );
        }
        (PromptType::Chat, Some(messages)) if rest.trim().is_empty() => Body::Chat(chat(messages)?),
        (PromptType::Chat, Some(_)) => {
            return Err(
                "a chat prompt's messages are its [[messages]]: nothing may follow the front matter".into()
            );
        }
        (PromptType::Chat, None) => {
            return Err("a chat prompt needs its [[messages]] in the front matter".into());
        }
    };
    let config = match front.config {
        None => Config::new(),
        Some(toml::Value::Table(table)) => match toml_to_json(toml::Value::Table(table))? {
            Value::Object(config) => config,
            _ => Config::new(),
        },
        Some(toml::Value::String(json)) => match serde_json::from_str(&json) {
            Ok(Value::Object(config)) => config,
            Ok(_) => return Err("config, given as a string, holds a JSON object".into()),
            Err(e) => return Err(format!("config, given as a string, is not JSON: {e}")),
        },
        Some(_) => return Err("config is a table ([config]) or a string holding a JSON object".into()),
    };
    let content = Content { body, config, tags: front.tags };
    Ok((content, Pulled { version: front.version, message: front.message }))
}

/// The front matter and what follows it; a file without one is all text.
fn split(text: &str) -> Result<(&str, &str), String> {
    let Some(after_open) = first_line_is_fence(text) else { return Ok(("", text)) };
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == FENCE {
            return Ok((&after_open[..offset], &after_open[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(format!("its front matter has no closing {FENCE} line"))
}

fn first_line_is_fence(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(FENCE)?;
    rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n'))
}

/// An editor ends a file with a newline; the prompt's text does not have it.
fn without_last_newline(text: &str) -> &str {
    text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text)
}

fn chat(messages: Vec<FileMessage>) -> Result<Vec<ChatMessage>, String> {
    messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let wire = match m.placeholder {
                Some(name) => WireMessage {
                    kind: Some("placeholder".into()),
                    name: Some(name),
                    role: m.role,
                    content: m.content,
                },
                None => WireMessage { role: m.role, content: m.content, ..WireMessage::default() },
            };
            ChatMessage::try_from(wire).map_err(|e| format!("message {}: {e}", i + 1))
        })
        .collect()
}

/// Writes a prompt file: the pulled version's number and message (when given), the type,
/// the config and the content.
pub fn render(content: &Content, pulled: &Pulled) -> String {
    let (kind, messages, text) = match &content.body {
        Body::Text(text) => (None, None, Some(text.as_str())),
        Body::Chat(messages) => {
            (Some("chat".to_owned()), Some(messages.iter().map(file_message).collect()), None)
        }
    };
    let config = (!content.config.is_empty()).then(|| config_to_toml(&content.config));
    let front = FrontMatter {
        version: pulled.version.clone(),
        message: pulled.message.clone(),
        kind,
        tags: content.tags.clone().filter(|tags| !tags.is_empty()),
        config,
        messages,
    };
    // Every part of it is representable: strings, tables, and numbers that came from JSON.
    let front = toml::to_string_pretty(&front).unwrap_or_default();
    let mut file = format!("{FENCE}\n{front}");
    if !file.ends_with('\n') {
        file.push('\n');
    }
    file.push_str(FENCE);
    file.push('\n');
    if let Some(text) = text {
        file.push_str(text);
        file.push('\n');
    }
    file
}

fn file_message(message: &ChatMessage) -> FileMessage {
    match message {
        ChatMessage::Message { role, content } => FileMessage {
            role: Some(role.as_str().into()),
            content: Some(content.clone()),
            placeholder: None,
        },
        ChatMessage::Placeholder { name } => {
            FileMessage { placeholder: Some(name.clone()), ..FileMessage::default() }
        }
    }
}

/// The config as a TOML table, or as a JSON string when TOML cannot hold it (a `null`, an
/// integer beyond 64 bits).
fn config_to_toml(config: &Config) -> toml::Value {
    json_to_toml(&Value::Object(config.clone()))
        .unwrap_or_else(|| toml::Value::String(Value::Object(config.clone()).to_string()))
}

fn json_to_toml(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None if n.is_u64() => return None,
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().map(json_to_toml).collect::<Option<_>>()?),
        Value::Object(map) => toml::Value::Table(
            map.iter().map(|(k, v)| Some((k.clone(), json_to_toml(v)?))).collect::<Option<_>>()?,
        ),
    })
}

fn toml_to_json(value: toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or("config holds nan or inf, which JSON cannot")?,
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => {
            return Err(format!("config holds the date {d}: quote it to make it a string"));
        }
        toml::Value::Array(items) => {
            Value::Array(items.into_iter().map(toml_to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => Value::Object(
            table.into_iter().map(|(k, v)| Ok((k, toml_to_json(v)?))).collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MessageRole;

    fn round_trip(content: Content) {
        let pulled = Pulled { version: Some("v3".into()), message: Some("A \"quoted\"\nmessage".into()) };
        let file = render(&content, &pulled);
        assert_eq!(parse(&file), Ok((content, pulled)), "{file}");
    }

    #[test]
    fn files_round_trip_text_chat_and_config() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "model": "gpt-4o", "temperature": 0.2, "max_tokens": 300, "stop": ["\n\n"], "tools": [{"name": "x"}]
        }))
        .expect("config");
        round_trip(Content {
            body: Body::Text("Hello {{name}}\n\nBye '''\"\"\"".into()),
            config: config.clone(),
            tags: Some(vec!["support".into(), "billing & refunds".into()]),
        });
        round_trip(Content { body: Body::Text(String::new()), config: Config::new(), tags: None });
        round_trip(Content {
            body: Body::Text("ends with a newline\n".into()),
            config: Config::new(),
            tags: None,
        });
        let messages = vec![
            ChatMessage::new(MessageRole::System, "You help {{customer}}.\nBe brief."),
            ChatMessage::Placeholder { name: "history".into() },
            ChatMessage::new(MessageRole::User, "{{question}}"),
        ];
        round_trip(Content { body: Body::Chat(messages), config, tags: None });
        let nulls: Config = serde_json::from_value(serde_json::json!({"stop": null})).expect("config");
        round_trip(Content { body: Body::Text("x".into()), config: nulls, tags: None });
    }

    #[test]
    fn a_text_prompts_text_is_written_as_it_is() {
        let content = Content {
            body: Body::Text("Line one\n+++\nLine three".into()),
            config: Config::new(),
            tags: None,
        };
        let file = render(&content, &Pulled::default());
        assert_eq!(file, "+++\n+++\nLine one\n+++\nLine three\n");
        assert_eq!(parse(&file).map(|(c, _)| c), Ok(content));
        assert_eq!(parse("Just text\n").map(|(c, _)| c.body), Ok(Body::Text("Just text".into())));
    }

    #[test]
    fn bad_files_are_refused_in_words() {
        let cases = [
            ("+++\nversion = \"v1\"\nHello", "no closing +++"),
            ("+++\ncolour = \"red\"\n+++\nx", "unknown field `colour`"),
            ("+++\ntype = \"image\"\n+++\nx", "text or chat, not \"image\""),
            ("+++\ntype = \"chat\"\n+++\nx", "needs its [[messages]]"),
            (
                "+++\n[[messages]]\nrole = \"user\"\ncontent = \"x\"\n+++\n",
                "a text prompt has no [[messages]]",
            ),
            (
                "+++\ntype = \"chat\"\n[[messages]]\nrole = \"\"\ncontent = \"x\"\n+++\n",
                "message 1: a message's role cannot be empty",
            ),
            ("+++\nconfig = 3\n+++\nx", "config is a table"),
            ("+++\nconfig = \"[1]\"\n+++\nx", "holds a JSON object"),
            ("+++\n[config]\nat = 1979-05-27\n+++\nx", "quote it"),
            ("+++\nversion = \n+++\nx", "front matter"),
        ];
        for (file, needle) in cases {
            match parse(file) {
                Err(error) => assert!(error.contains(needle), "{file:?}: {error}"),
                Ok(parsed) => panic!("{file:?} parsed as {parsed:?}"),
            }
        }
    }
}
