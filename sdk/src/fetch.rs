//! The client's requests: a prompt by name (revalidated with its ETag), a published version
//! by number, each naming the application and instance when the client names them.

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};

use crate::{Inner, Prompt};

/// What one request to the server brought back.
pub(crate) enum Fetched {
    /// Boxed: a prompt is large beside the other answers.
    Prompt(Box<Prompt>, Option<String>),
    NotModified,
    NotFound,
    Unauthorized,
    Failed(String),
}

impl Inner {
    pub(crate) async fn fetch(&self, name: &str, etag: Option<&str>) -> Fetched {
        let url = format!("{}/v1/prompts/{}", self.base_url, encode_name(name));
        self.fetch_url(url, etag).await
    }

    /// Published version `number` of prompt `name`.
    pub(crate) async fn fetch_version(&self, name: &str, number: &str) -> Fetched {
        let number: String = number.chars().filter(char::is_ascii_digit).collect();
        let url = format!("{}/v1/prompts/{}?version={number}", self.base_url, encode_name(name));
        self.fetch_url(url, None).await
    }

    /// `request` naming this client's application and instance, when it names them: the
    /// server's fleet view sees what it was served.
    pub(crate) fn identified(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.identity {
            Some(identity) => request
                .header("PromptVault-App", &identity.app)
                .header("PromptVault-Instance", &identity.instance),
            None => request,
        }
    }

    async fn fetch_url(&self, url: String, etag: Option<&str>) -> Fetched {
        let mut request = self.identified(self.http.get(url).bearer_auth(&self.key));
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Fetched::Failed(error.to_string()),
        };
        match response.status() {
            StatusCode::OK => {
                let etag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
                match response.json::<types::ServedPrompt>().await.map(Prompt::from) {
                    Ok(prompt) => Fetched::Prompt(Box::new(prompt), etag),
                    Err(error) => Fetched::Failed(error.to_string()),
                }
            }
            StatusCode::NOT_MODIFIED => Fetched::NotModified,
            StatusCode::NOT_FOUND => Fetched::NotFound,
            StatusCode::UNAUTHORIZED => Fetched::Unauthorized,
            other => Fetched::Failed(format!("unexpected status {other}")),
        }
    }
}

/// Percent-encodes a prompt name for the path (`support/triage` → `support%2Ftriage`).
fn encode_name(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(encode_name("support/triage-v2"), "support%2Ftriage-v2");
        assert_eq!(encode_name("a b"), "a%20b");
    }
}
