//! The PromptVault client for Rust applications.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = promptvault::Client::new("http://127.0.0.1:3000", "pv_live_…")?;
//! let prompt = client.prompt("support/triage").await?;
//! // A text prompt, its {{variables}} filled; strict: a missing or unknown one is an error.
//! let text = prompt.compile(&[("customer", "Ada"), ("plan", "pro")])?;
//! println!("{} says: {:?}", prompt.version, text);
//! // A chat prompt, its placeholders filled with the conversation so far, and its config.
//! let chat = client.prompt("support/reply").await?;
//! let history = [ChatMessage::new(MessageRole::User, "Hi")];
//! let messages = chat.compile_with(&[("tone", "warm")], &[("history", &history)])?;
//! #[derive(serde::Deserialize)]
//! struct Model { model: String }
//! let model: Model = chat.config_as()?;
//! # let _ = (messages, model.model);
//! # Ok(()) }
//! # use promptvault::{ChatMessage, MessageRole};
//! ```
//!
//! Prompts are cached in memory for a time to live (60 s by default). After that the
//! cached prompt is still returned at once while one background request per prompt
//! revalidates it with its ETag (a `304` costs the server almost nothing). When the server
//! cannot be reached the last good version keeps being served; for a prompt never fetched,
//! an optional fallback text is. A `404` evicts the prompt from the cache.
//!
//! With [`ClientBuilder::live_updates`] the client also follows the server's stream of
//! changes and keeps its cache current from it: a promote or a rollback reaches the
//! application at once, with no request of its own; while the stream is down, the TTL
//! revalidation above takes over until it is back.
//!
//! [`Client::warm`] fills the cache with every prompt the key reads in one request (the
//! bundle, `GET /v1/prompts`): warm at start-up, and with live updates the cache then stays
//! current with no request per prompt.

mod fetch;
mod live;
mod prompt;
mod usage;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fetch::Fetched;
pub use prompt::Prompt;
use reqwest::StatusCode;
pub use types::template::Mode;
pub use types::{Body, Channel, ChatMessage, Config, MessageRole, PromptType, template::CompileError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The prompt does not exist or has no live version (for this key).
    #[error("prompt {0:?} not found")]
    NotFound(String),
    /// The key is missing, unknown or revoked.
    #[error("the API key was refused")]
    Unauthorized,
    /// The server could not be reached, or answered something unexpected.
    #[error("PromptVault is unavailable: {0}")]
    Unavailable(String),
    /// The client cannot be set up as configured.
    #[error("the PromptVault client cannot be set up: {0}")]
    Config(String),
}

/// Settings of a [`Client`].
pub struct ClientBuilder {
    base_url: String,
    key: String,
    ttl: Duration,
    timeout: Duration,
    fallbacks: HashMap<String, String>,
    live_updates: bool,
    app: Option<String>,
}

impl ClientBuilder {
    /// Names the application (`support-bot`): its reads carry it, with an instance id made
    /// when the client is built (`PromptVault-App`, `PromptVault-Instance`), and its usage
    /// counts ([`Client::record_use`]) are sent every few seconds. Needs a Tokio runtime.
    pub fn app(mut self, name: impl Into<String>) -> Self {
        self.app = Some(name.into());
        self
    }

    /// How long a fetched prompt is served without revalidation (default 60 s).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long one request may take (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Text to serve for `name` when it has never been fetched and cannot be.
    pub fn fallback(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.fallbacks.insert(name.into(), source.into());
        self
    }

    /// Follows the server's stream of changes (`GET /v1/stream`) in the background and
    /// keeps the cache current from it (off by default). Needs a Tokio runtime.
    pub fn live_updates(mut self) -> Self {
        self.live_updates = true;
        self
    }

    /// The client; refused when its HTTP client cannot be built with the timeout (no TLS
    /// backend, say), rather than running without one, and when live updates are asked for
    /// outside a Tokio runtime.
    pub fn build(self) -> Result<Client, Error> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        if (self.live_updates || self.app.is_some()) && tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Config(
                "live updates and usage reports need a Tokio runtime to run in".into(),
            ));
        }
        let inner = Arc::new(Inner {
            http,
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            key: self.key,
            ttl: self.ttl,
            fallbacks: self.fallbacks,
            cache: Mutex::new(HashMap::new()),
            pinned: Mutex::new(HashMap::new()),
            streaming: AtomicBool::new(false),
            identity: self.app.map(usage::Identity::new),
            usage: usage::Counts::default(),
        });
        let follower = self.live_updates.then(|| Arc::new(live::follow(Arc::downgrade(&inner))));
        let reporter = inner.identity.is_some().then(|| Arc::new(usage::report(Arc::downgrade(&inner))));
        Ok(Client { inner, _follower: follower, _reporter: reporter })
    }
}

/// Reads prompts with one API key. Cheap to clone; clones share the cache (and the live
/// updates, which stop when the last clone is dropped).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    _follower: Option<Arc<live::Follower>>,
    _reporter: Option<Arc<usage::Reporter>>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    key: String,
    ttl: Duration,
    fallbacks: HashMap<String, String>,
    cache: Mutex<HashMap<String, Entry>>,
    /// Rollouts' new versions, read by number (published: they never change): per prompt,
    /// that of the rollout it was last seen in, so a new rollout's replaces the last one's.
    pinned: Mutex<HashMap<String, Prompt>>,
    /// The application's name and instance id, when named.
    identity: Option<usage::Identity>,
    /// Uses and failures since the last report.
    usage: usage::Counts,
    /// The live-update stream is up: it keeps the cache current, so nothing is revalidated.
    streaming: AtomicBool,
}

struct Entry {
    prompt: Prompt,
    etag: Option<String>,
    fetched: Instant,
    refreshing: bool,
}

impl Client {
    /// A client with the default settings.
    pub fn new(base_url: impl Into<String>, key: impl Into<String>) -> Result<Client, Error> {
        Client::builder(base_url, key).build()
    }

    pub fn builder(base_url: impl Into<String>, key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            key: key.into(),
            ttl: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            fallbacks: HashMap::new(),
            live_updates: false,
            app: None,
        }
    }

    /// Counts one use of `prompt` (as this client served it), and whether it failed — what
    /// a failure is, the application decides. Sent with the next report when the client
    /// names its application ([`ClientBuilder::app`]); a fallback is not counted.
    pub fn record_use(&self, prompt: &Prompt, failed: bool) {
        if self.inner.identity.is_some() && !prompt.version.is_empty() {
            self.inner.usage.add(&prompt.name, &prompt.version, failed);
        }
    }

    /// Sends the usage counts now rather than at the next report (at shutdown, say);
    /// `false` when they could not be sent (they are kept for the next).
    pub async fn flush_usage(&self) -> bool {
        usage::send(&self.inner).await
    }

    /// The prompt `name` as the key's channel serves it (see the crate docs for caching).
    pub async fn prompt(&self, name: &str) -> Result<Prompt, Error> {
        if let Some(cached) = self.cached(name) {
            return Ok(cached);
        }
        match self.inner.fetch(name, None).await {
            Fetched::Prompt(prompt, etag) => {
                self.inner.store(name, (*prompt).clone(), etag);
                Ok(*prompt)
            }
            Fetched::NotFound => self.fallback(name).ok_or_else(|| Error::NotFound(name.to_owned())),
            Fetched::Unauthorized => self.fallback(name).ok_or(Error::Unauthorized),
            Fetched::Failed(why) => self.fallback(name).ok_or(Error::Unavailable(why)),
            // Only a revalidation sends an ETag, so a 304 here is the server's mistake.
            Fetched::NotModified => self.fallback(name).ok_or(Error::Unavailable("unexpected 304".into())),
        }
    }

    /// The prompt `name` as it is served to `unit` (a user, session or tenant id): while a
    /// rollout splits the label, the side the unit is assigned — decided here, from the split
    /// the cached prompt carries, by the server's own rule (`types::rollouts::reads_new`),
    /// so the same unit gets the same version for the whole rollout. The new version is
    /// fetched once (a published version, by number) and kept: published versions never
    /// change. Without a rollout, what [`Client::prompt`] serves.
    pub async fn prompt_for(&self, name: &str, unit: &str) -> Result<Prompt, Error> {
        let current = self.prompt(name).await?;
        let Some(split) = current.rollout.clone() else { return Ok(current) };
        let share = types::rollouts::basis_points(split.percent).unwrap_or(0);
        if !types::rollouts::reads_new(&split.seed, name, unit, share) {
            return Ok(current);
        }
        if let Some(pinned) = self.inner.pinned().get(name).filter(|p| p.version == split.to) {
            return Ok(pinned.clone());
        }
        let number = split.to.trim_start_matches('v');
        match self.inner.fetch_version(name, number).await {
            Fetched::Prompt(prompt, _) => {
                // Served through the label, carrying the split, as the server serves it.
                let prompt = Prompt { label: current.label.clone(), rollout: Some(split), ..*prompt };
                self.inner.pinned().insert(name.to_owned(), prompt.clone());
                Ok(prompt)
            }
            // The new version cannot be read: the unit reads the label's current one.
            _ => Ok(current),
        }
    }

    /// Fills the cache with every prompt the key reads, in one request (`GET /v1/prompts`,
    /// the bundle): a service warms its cache at start-up, then live updates (or the TTL)
    /// keep it current. Returns how many prompts it holds.
    pub async fn warm(&self) -> Result<usize, Error> {
        let url = format!("{}/v1/prompts", self.inner.base_url);
        let response = self
            .inner
            .http
            .get(url)
            .bearer_auth(&self.inner.key)
            .send()
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => return Err(Error::Unauthorized),
            other => return Err(Error::Unavailable(format!("unexpected status {other}"))),
        }
        let bundle: types::Items<types::ServedPrompt> =
            response.json().await.map_err(|e| Error::Unavailable(e.to_string()))?;
        let count = bundle.items.len();
        for served in bundle.items {
            let name = served.name.clone();
            // The bundle carries no ETag per prompt: its first revalidation reads it whole.
            self.inner.store(&name, Prompt::from(served), None);
        }
        Ok(count)
    }

    /// The cached prompt, if any; a stale one starts its background revalidation.
    fn cached(&self, name: &str) -> Option<Prompt> {
        let mut cache = self.inner.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = cache.get_mut(name)?;
        let stale =
            entry.fetched.elapsed() >= self.inner.ttl && !self.inner.streaming.load(Ordering::Relaxed);
        if stale && !entry.refreshing {
            entry.refreshing = true;
            let inner = self.inner.clone();
            let (name, etag) = (name.to_owned(), entry.etag.clone());
            tokio::spawn(async move { inner.revalidate(&name, etag).await });
        }
        Some(entry.prompt.clone())
    }

    fn fallback(&self, name: &str) -> Option<Prompt> {
        self.inner.fallbacks.get(name).map(|source| Prompt::fallback(name, source))
    }
}

impl Inner {
    fn pinned(&self) -> std::sync::MutexGuard<'_, HashMap<String, Prompt>> {
        self.pinned.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn store(&self, name: &str, prompt: Prompt, etag: Option<String>) {
        let entry = Entry { prompt, etag, fetched: Instant::now(), refreshing: false };
        self.lock().insert(name.to_owned(), entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The background refresh of a stale entry.
    async fn revalidate(&self, name: &str, etag: Option<String>) {
        let fetched = self.fetch(name, etag.as_deref()).await;
        let mut cache = self.lock();
        match fetched {
            Fetched::Prompt(prompt, etag) => {
                cache.insert(
                    name.to_owned(),
                    Entry { prompt: *prompt, etag, fetched: Instant::now(), refreshing: false },
                );
            }
            Fetched::NotModified => {
                if let Some(entry) = cache.get_mut(name) {
                    entry.fetched = Instant::now();
                    entry.refreshing = false;
                }
            }
            Fetched::NotFound => {
                cache.remove(name);
            }
            // Keep serving the last good version; try again on the next call.
            Fetched::Unauthorized | Fetched::Failed(_) => {
                if let Some(entry) = cache.get_mut(name) {
                    entry.refreshing = false;
                }
                tracing::warn!(prompt = name, "could not revalidate; serving the last good version");
            }
        }
    }
}
