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

    /// Data directory: the SQLite database (and later the search index) live here.
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
}

impl Config {
    /// The database to open: the configured URL, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| vault::Vault::sqlite_url(&self.data_dir))
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
        }
    }
}
