//! Server functions: each checks the session itself, calls one `vault` operation and maps
//! its error to words a person can act on. No rule lives here. The types below travel
//! between the server and the browser.

mod activity;
mod composition;
mod diff;
mod editor;
mod integrations;
mod labels;
mod prompts;
mod reviews;
mod rollouts;
mod session;
mod settings;
#[cfg(feature = "ssr")]
mod ssr;
mod team;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use types::ErrorBody;

pub use activity::*;
pub use composition::*;
pub use diff::*;
pub use editor::*;
pub use integrations::*;
pub use labels::*;
pub use prompts::*;
pub use reviews::*;
pub use rollouts::*;
pub use session::*;
pub use settings::*;
#[cfg(feature = "ssr")]
pub use ssr::{Reached, ServerContext, origin_of};
pub use team::*;

/// The error every server function returns: the API's error body (code, words, field),
/// with the HTTP status it answers with (a refusal is a 4xx; only a fault of ours is a 500).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", body.message)]
pub struct AppError {
    /// What the API would answer: `message` in plain words for the page, `code` for
    /// programs and tests (`stale`, `frozen`, `invalid`, …), the `field` where there is one.
    #[serde(flatten)]
    pub body: ErrorBody,
    pub status: u16,
    /// For a 429: how many seconds to wait before trying again.
    pub retry_after: Option<u64>,
    /// What was typed into the refused form, given back to a page that has no WASM (whose
    /// browser reloads it): the fields by name. Empty otherwise.
    pub kept: Vec<(String, String)>,
}

impl AppError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> AppError {
        AppError {
            body: ErrorBody { code: code.into(), message: message.into(), field: None },
            status,
            retry_after: None,
            kept: Vec::new(),
        }
    }

    /// The member must sign in (again).
    pub fn signed_out(&self) -> bool {
        self.status == 401
    }

    /// What was typed into field `name` of the refused form, if it was kept.
    pub fn kept(&self, name: &str) -> Option<&str> {
        self.kept.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            // The browser could not reach the server at all.
            ServerFnErrorErr::Request(_) => {
                AppError::new(0, "unreachable", "the server could not be reached; check your connection")
            }
            // The request was not what the server function takes: the caller's mistake.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                AppError::new(400, "malformed", format!("the request was malformed: {value}"))
            }
            other => AppError::new(500, "internal", other.to_string()),
        };
        #[cfg(feature = "ssr")]
        ssr::respond_with(&error);
        error
    }
}

/// The signed-in member, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub email: String,
    pub workspace: String,
    pub role: types::Role,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, marks: &[(usize, usize)]) -> Vec<(String, bool)> {
        let text = Marked { text: text.to_owned(), marks: marks.to_vec() };
        text.pieces().into_iter().map(|(piece, marked)| (piece.to_owned(), marked)).collect()
    }

    #[test]
    fn search_marks_cut_the_text_into_marked_and_plain_pieces() {
        let pieces = marked("fix the refund tone", &[(8, 14), (15, 19)]);
        let expected = [("fix the ", false), ("refund", true), (" ", false), ("tone", true)];
        assert_eq!(pieces, expected.map(|(p, m)| (p.to_owned(), m)));
        assert_eq!(marked("plain", &[]), vec![("plain".to_owned(), false)]);
        // Ranges that do not fit the text (or split a character) are skipped, never a panic.
        assert_eq!(marked("héllo", &[(1, 2), (3, 99)]), vec![("héllo".to_owned(), false)]);
    }
}
