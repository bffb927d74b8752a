//! A PromptVault server's management API, as the command line reaches it.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Failure;

/// The server and the personal access token the commands act with.
#[derive(Debug, Clone)]
pub struct Remote {
    client: reqwest::Client,
    base: url::Url,
    token: String,
}

impl Remote {
    pub fn new(base: url::Url, token: String) -> Result<Remote, Failure> {
        if !token.starts_with(vault::ACCESS_TOKEN_PREFIX) {
            return Err(Failure::Refused(
                "the token is a personal access token (pv_pat_…); create one under Settings → Personal access tokens"
                    .into(),
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Failure::Error(format!("cannot make an HTTP client: {e}")))?;
        if in_the_clear(&base) {
            eprintln!(
                "warning: {base} is plain http: the access token and the prompts cross the network unencrypted; use https"
            );
        }
        Ok(Remote { client, base, token })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.send(self.client.get(self.url(path)?)).await
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, Failure> {
        self.send(self.client.post(self.url(path)?).json(body)).await
    }

    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, Failure> {
        self.send(self.client.patch(self.url(path)?).json(body)).await
    }

    fn url(&self, path: &str) -> Result<url::Url, Failure> {
        let base = self.base.as_str().trim_end_matches('/');
        url::Url::parse(&format!("{base}/v1{path}")).map_err(|e| Failure::Refused(format!("--url: {e}")))
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Failure> {
        let response = request.bearer_auth(&self.token).send().await.map_err(|e| {
            Failure::Error(format!("cannot reach PromptVault at {}: {}", self.base, error_chain(&e)))
        })?;
        let status = response.status();
        let bytes = self.read_bounded(response).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                Failure::Error(format!("{} answered something that is not PromptVault's API: {e}", self.base))
            });
        }
        let reason = serde_json::from_slice::<types::ErrorJson>(&bytes)
            .map(|body| body.error.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(200).collect());
        let reason = format!("{reason} ({} {})", status.as_u16(), status.canonical_reason().unwrap_or(""));
        if status.is_client_error() { Err(Failure::Refused(reason)) } else { Err(Failure::Error(reason)) }
    }
}

impl Remote {
    /// The answer's body, refused once it passes [`MAX_ANSWER_BYTES`] (before it is all read).
    async fn read_bounded(&self, mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Failure::Error(format!("the answer from {} broke off: {e}", self.base)))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Failure::Error(format!(
                    "{} answered with more than {MAX_ANSWER_BYTES} bytes; nothing was written",
                    self.base
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// A prompt name (or any text) as one path segment, every byte but letters, digits and
/// `-_.~` percent-encoded (`support/triage` → `support%2Ftriage`): what a server sends
/// cannot add segments or a query to the next request.
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The largest answer the command line reads: 64 MiB (a version is at most a few).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Whether `url` sends the token in the clear to another machine: plain `http://` to a
/// host that is not this one.
fn in_the_clear(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    url.scheme() == "http" && !loopback
}

/// reqwest's error and its causes ("connection refused" is a cause).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}
