//! The product's heart: every rule of PRODUCT.md, enforced once, over sqlx storage.
//!
//! `vault` knows nothing of HTTP or Leptos. The REST handlers of `server` and the server
//! functions of `app` parse their input, call one [`Vault`] operation and map its
//! [`VaultError`]; they hold no rules of their own.

/// `Debug` that shows only the fields named, for a value that also holds a secret (a
/// password, a token, a signing key) which must never reach a log.
macro_rules! debug_without_secrets {
    ($type:ident { $($shown:ident),* }) => {
        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($type))$(.field(stringify!($shown), &self.$shown))*.finish_non_exhaustive()
            }
        }
    };
}

mod access;
mod accounts;
mod activity;
mod attempts;
mod changes;
mod composition;
mod connections;
pub mod content;
mod credentials;
mod db;
mod deliveries;
pub mod demo;
pub mod diff;
mod error;
mod events;
mod from_langfuse;
mod history;
mod invitations;
mod labels;
mod langfuse;
mod limits;
mod members;
mod migrations;
mod names;
mod pages;
mod prompts;
mod push;
mod quotas;
pub mod references;
mod requests;
mod reviews;
mod rollout_requests;
mod search;
mod serving;
mod sessions;
mod settings;
mod tokens;
mod transfer;
mod usage;
mod version;
mod webhooks;
mod wire;
mod workspaces;

pub use access::{Actor, ChangeRight, ChangeRule, Credential, Permission, Role};
pub use accounts::{NewMember, SetUp};
pub use activity::{ActivityEntry, ActivityFilter, ActivityKind};
pub use attempts::{
    Attempt, DISABLE_AFTER_FAILURES, DeliveryState, DueDelivery, MAX_ATTEMPTS, Outcome, retry_delay,
    url_for_logs,
};
pub use changes::{CHECK_EVERY, FEED_KEPT_FOR};
pub use connections::{
    ConnectionLimits, ConnectionRefused, ConnectionShares, ConnectionSlot, DEFAULT_CONNECTIONS_PER_ADDRESS,
    DEFAULT_MAX_CONNECTIONS,
};
pub use content::{Body, ChatMessage, Config, DraftBody, MessageRole, PromptType};
pub use db::{Backend, Timestamp};
pub use deliveries::{IN_FLIGHT_PER_WORKSPACE, MANUAL_SENDS_PER_MINUTE};
pub use error::{Conflict, VaultError};
pub use events::EventKind;
pub use from_langfuse::ImportedPrompt;
pub use history::{Found, HistoryEntry, MAX_PAGE_CONTENT};
pub use invitations::{INVITATION_LIFETIME, Invitation, InvitationView, Joining, NewInvitation};
pub use labels::{Fallback, Label, LabelPatch, NewLabel};
pub use langfuse::{
    LangfuseCreate, LangfuseDelete, LangfuseListQuery, LangfuseVersion, check_langfuse_export,
};
pub use limits::DEFAULT_ATTEMPTS_PER_MINUTE;
pub use members::{Member, MemberOffered};
pub use names::{
    Email, LabelName, MAX_LABEL_CHARS, MAX_MESSAGE_BYTES, MAX_SOURCE_BYTES, PromptName, VersionNumber,
};
pub use pages::{Cursor, Page, PageRequest};
pub use prompts::{
    Channel, NewDraft, NewRollout, Offered, PointerMove, PromptState, PromptSummary, Rewrite, RollBack,
    offered,
};
pub use push::{MAX_ITEMS_PER_WRITE, PromptFile, Push, PushReport, PushStep, Pushed};
pub use quotas::{Quota, Quotas};
pub use requests::{ChangeRequest, RequestAction, RequestOffered, RequestState};
pub use search::Marks;
pub use serving::{
    AgentMessages, AgentPrompt, AgentRefused, AgentRole, ApiKey, Bundle, DEFAULT_STREAMS_PER_KEY,
    DEFAULT_STREAMS_PER_WORKSPACE, KeyKind, LangfuseRefused, MAX_AGENT_ARGUMENT_BYTES, MAX_AGENT_ARGUMENTS,
    NewApiKey, ReadRefused, Resume, Served, StreamEvent, StreamRefused, Subscription, prompt_filter,
};
pub use sessions::SessionCookie;
pub use settings::{Settings, SettingsPatch};
pub use tokens::{ACCESS_TOKEN_PREFIX, AccessToken, NewAccessToken, TokenScope};
pub use transfer::Export;
pub use usage::{ClientId, MAX_CLIENT_NAME_BYTES, MAX_REPORT_ITEMS};
pub use version::{Status, Version, VersionJson};
pub use webhooks::{NewWebhook, Webhook, WebhookPatch, WebhookSecret};
pub use workspaces::{WorkspaceCreators, WorkspaceMembership};

/// How many password hashes run at once unless configured: one per core of a small server.
pub const DEFAULT_PASSWORD_CHECKS: usize = 2;

pub type Result<T, E = VaultError> = std::result::Result<T, E>;

/// The registry: one handle, shared by every request. A clone is one reference count (the
/// web framework clones its state for every request, and reads are counted in
/// microseconds); what it holds is reached through it ([`VaultParts`]).
#[derive(Clone)]
pub struct Vault(std::sync::Arc<VaultParts>);

/// What a [`Vault`] holds, each part shared by its clones.
#[derive(Clone)]
pub struct VaultParts {
    db: db::Db,
    cookie_key: credentials::CookieKey,
    serving: serving::ReadModel,
    search_index: search::SearchIndex,
    outbox: attempts::Outbox,
    manual_sends: deliveries::ManualSends,
    passwords: credentials::PasswordChecks,
    attempts: limits::AttemptLimits,
    quotas: quotas::Quotas,
    workspace_creators: workspaces::WorkspaceCreators,
    /// The change feed is applied by one caller at a time (see `changes.rs`).
    following: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl std::ops::Deref for Vault {
    type Target = VaultParts;

    fn deref(&self) -> &VaultParts {
        &self.0
    }
}

/// Where the vault keeps its data.
#[derive(Debug, Clone)]
pub struct Storage {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The search index lives here (a copy, rebuilt from the database when needed).
    pub data_dir: std::path::PathBuf,
}

impl Storage {
    /// Makes the data directory readable by this user alone (0700), and the SQLite database
    /// file in it too (0600) — made empty before SQLite opens it, as SQLite gives its WAL and
    /// shared-memory files the database file's permissions. Whatever the umask, other users
    /// of the machine read neither the prompts nor the hashes.
    fn make_private(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            std::fs::set_permissions(&self.data_dir, std::fs::Permissions::from_mode(0o700))?;
            if self.database_url != Vault::sqlite_url(&self.data_dir) {
                return Ok(());
            }
            let database = self.data_dir.join("promptvault.db");
            std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(&database)?;
            std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }

    /// Everything in `data_dir`: the SQLite file, the default database, and the index.
    pub fn in_dir(data_dir: &std::path::Path) -> Storage {
        Storage { database_url: Vault::sqlite_url(data_dir), data_dir: data_dir.to_owned() }
    }

    /// For the test suites: SQLite in `data_dir`; or, when `PROMPTVAULT_TEST_DATABASE_URL`
    /// names a PostgreSQL server (`postgres://user@host:port`), a new database there
    /// (`pv_test_…`, which the test script drops when the run ends), remembered in
    /// `data_dir` so that a test reopening the directory finds the same database.
    #[doc(hidden)]
    pub async fn for_tests(data_dir: &std::path::Path) -> Result<Storage> {
        let Ok(server) = std::env::var("PROMPTVAULT_TEST_DATABASE_URL") else {
            return Ok(Storage::in_dir(data_dir));
        };
        let remembered = data_dir.join("database-url");
        if let Ok(url) = std::fs::read_to_string(&remembered) {
            return Ok(Storage { database_url: url, data_dir: data_dir.to_owned() });
        }
        use sqlx::Connection;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = format!(
            "pv_test_{}_{}_{}",
            std::process::id(),
            Timestamp::now().0,
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(&mut admin).await?;
        let url = format!("{server}/{name}");
        std::fs::write(&remembered, &url).map_err(|e| VaultError::Internal(Box::new(e)))?;
        Ok(Storage { database_url: url, data_dir: data_dir.to_owned() })
    }
}

impl Vault {
    /// Connects to the database, runs the migrations of its backend, loads the server-wide
    /// cookie signing key and the read model, and opens the search index (which catches up
    /// with the database in the background).
    /// Opens the vault on `storage`, making its data directory (and the SQLite database in
    /// it) private first: every command that opens storage (serving, importing, resetting a
    /// password) goes through here.
    pub async fn open(storage: &Storage) -> Result<Vault> {
        storage.make_private().map_err(|e| VaultError::Internal(Box::new(e)))?;
        let db = db::Db::connect(&storage.database_url).await?;
        let cookie_key = credentials::CookieKey::load_or_create(&db).await?;
        content::extract_missing_variables(&db).await?;
        let serving = serving::ReadModel::load(&db).await?;
        let search_index = search::SearchIndex::open(&storage.data_dir.join("search-index"), &db).await?;
        let passwords = credentials::PasswordChecks::new(DEFAULT_PASSWORD_CHECKS);
        Ok(Vault(std::sync::Arc::new(VaultParts {
            db,
            cookie_key,
            serving,
            search_index,
            outbox: attempts::Outbox::default(),
            manual_sends: deliveries::ManualSends::default(),
            passwords,
            attempts: limits::AttemptLimits::new(DEFAULT_ATTEMPTS_PER_MINUTE),
            quotas: quotas::Quotas::default(),
            workspace_creators: workspaces::WorkspaceCreators::default(),
            following: Default::default(),
        })))
    }

    /// The parts, to change one while the vault is being set up (before it is shared:
    /// afterwards the change would copy them for this handle alone).
    fn parts_mut(&mut self) -> &mut VaultParts {
        std::sync::Arc::make_mut(&mut self.0)
    }

    /// At most `at_once` password hashes run at the same time (each costs about 19 MiB and
    /// tens of milliseconds); more wait briefly for a turn, then are refused as busy.
    pub fn limit_password_checks(mut self, at_once: usize) -> Vault {
        self.parts_mut().passwords = credentials::PasswordChecks::new(at_once);
        self
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
        self.search_index.close().await;
        self.db.close().await;
    }
}
