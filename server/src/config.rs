//! Configuration: flags, each with an environment fallback (`promptvault --help`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "promptvault",
    version,
    about = "A self-hosted registry for the prompts your LLM applications run."
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PROMPTVAULT_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Data directory: the SQLite database and the search index live here.
    #[arg(long, env = "PROMPTVAULT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL; SQLite in the data directory when unset.
    #[arg(long, env = "PROMPTVAULT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Seed a demo workspace into an empty database.
    #[arg(long, env = "PROMPTVAULT_DEMO")]
    pub demo: bool,

    /// Mark the session cookie `Secure` (set it when PromptVault is served over HTTPS).
    #[arg(long, env = "PROMPTVAULT_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Let webhooks reach loopback, private and link-local addresses. Off by default, so a
    /// webhook cannot be aimed at services inside your network.
    #[arg(long, env = "PROMPTVAULT_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,

    /// How many password checks (argon2id hashes, about 19 MiB and tens of milliseconds
    /// each) run at once; more wait up to 2 s for a turn, then get 429.
    #[arg(long, env = "PROMPTVAULT_PASSWORD_CHECKS", default_value_t = vault::DEFAULT_PASSWORD_CHECKS)]
    pub password_checks: usize,

    /// How long a webhook receiver has to answer, in milliseconds.
    #[arg(long, env = "PROMPTVAULT_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, hide = true)]
    pub webhook_timeout_ms: u64,

    /// The first gap before retrying a failed webhook delivery, in milliseconds; later gaps
    /// are multiples of it (about a day in all at the default). Lowered by the tests.
    #[arg(long, env = "PROMPTVAULT_WEBHOOK_RETRY_BASE_MS", default_value_t = 10_000, hide = true)]
    pub webhook_retry_base_ms: u64,
}

impl Config {
    /// The database to open: the configured URL, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| vault::Vault::sqlite_url(&self.data_dir))
    }

    pub fn delivery_settings(&self) -> crate::webhooks::DeliverySettings {
        crate::webhooks::DeliverySettings {
            allow_private: self.allow_private_webhooks,
            timeout: std::time::Duration::from_millis(self.webhook_timeout_ms),
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms),
        }
    }

    /// A configuration for tests: a data directory, an ephemeral port, everything else default.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            log: "warn".into(),
            demo: false,
            secure_cookies: false,
            allow_private_webhooks: false,
            password_checks: vault::DEFAULT_PASSWORD_CHECKS,
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 10_000,
        }
    }
}
