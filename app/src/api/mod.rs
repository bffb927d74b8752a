//! Server functions: each checks the session itself, calls one `vault` operation and maps
//! its error to words a person can act on. No rule lives here. The types below travel
//! between the server and the browser.

mod integrations;
mod prompts;
mod session;
mod settings;
#[cfg(feature = "ssr")]
mod ssr;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub use integrations::*;
pub use prompts::*;
pub use session::*;
pub use settings::*;
#[cfg(feature = "ssr")]
pub use ssr::ServerContext;

/// The error every server function returns: a message for the page, and whether the
/// member must sign in (again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub message: String,
    pub signed_out: bool,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            // The browser could not reach the server at all.
            ServerFnErrorErr::Request(_) => "the server could not be reached; check your connection".into(),
            other => other.to_string(),
        };
        AppError { message, signed_out: false }
    }
}

/// The signed-in member, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub email: String,
    pub workspace: String,
    pub role: String,
    pub can_edit: bool,
    pub can_administer: bool,
}

/// A moment as pages show it: relative ("5 min ago") with the exact time on hover. Both
/// are computed on the server so the server-rendered and hydrated pages agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct When {
    pub relative: String,
    pub exact: String,
    pub iso: String,
}

/// Text with the words a search matched, as byte ranges into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub text: String,
    pub marks: Vec<(usize, usize)>,
}

impl Marked {
    /// The text cut into pieces, each marked or not, in order.
    pub fn pieces(&self) -> Vec<(&str, bool)> {
        let mut pieces = Vec::new();
        let mut at = 0;
        for &(start, end) in &self.marks {
            // Ranges come from the server's tokenizer; skip any that do not fit this text.
            let (Some(before), Some(word)) = (self.text.get(at..start), self.text.get(start..end)) else {
                continue;
            };
            if !before.is_empty() {
                pieces.push((before, false));
            }
            pieces.push((word, true));
            at = end;
        }
        if at < self.text.len() {
            pieces.push((&self.text[at..], false));
        }
        pieces
    }
}
