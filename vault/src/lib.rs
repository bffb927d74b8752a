//! The product's heart: every rule of PRODUCT.md, enforced once, over sqlx storage.
//!
//! `vault` knows nothing of HTTP or Leptos. The REST handlers of `server` and the server
//! functions of `app` parse their input, call one [`Vault`] operation and map its
//! [`VaultError`]; they hold no rules of their own.

mod credentials;
mod db;
pub mod demo;
pub mod diff;
mod error;
mod members;
mod names;
mod prompts;
mod serving;
mod settings;

pub use db::{Backend, Timestamp};
pub use error::VaultError;
pub use members::{AccessToken, Actor, NewAccessToken, NewMember, Role, SessionCookie, SetUp};
pub use names::{Email, MAX_MESSAGE_BYTES, MAX_SOURCE_BYTES, PromptName, VersionNumber};
pub use prompts::{
    Cursor, NewDraft, Page, PageRequest, PointerMove, PromptState, PromptSummary, Rewrite, RollBack, Status,
    Version,
};
pub use serving::{ApiKey, KeyKind, NewApiKey, ReadRefused, Served};
pub use settings::{Settings, SettingsPatch};

pub type Result<T, E = VaultError> = std::result::Result<T, E>;

/// The registry: one handle, cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Vault {
    db: db::Db,
    cookie_key: credentials::CookieKey,
    serving: serving::ReadModel,
}

impl Vault {
    /// Connects to `database_url` (`sqlite://…` or `postgres://…`), runs the migrations of
    /// that backend, and loads the server-wide cookie signing key.
    pub async fn open(database_url: &str) -> Result<Vault> {
        let db = db::Db::connect(database_url).await?;
        let cookie_key = credentials::CookieKey::load_or_create(&db).await?;
        let serving = serving::ReadModel::load(&db).await?;
        Ok(Vault { db, cookie_key, serving })
    }

    /// The URL of the SQLite file inside `data_dir`, the default database.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("promptvault.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// Flushes what is kept in memory and closes every connection; used by graceful
    /// shutdown and the restart tests.
    pub async fn close(&self) {
        if let Err(error) = self.flush_key_usage().await {
            tracing::warn!(%error, "could not record the API keys' last use");
        }
        self.db.close().await;
    }
}
