//! Configuration: flags, each with an environment fallback (`promptvault --help`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::connections;
use crate::quota_args::QuotaArgs;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "promptvault",
    version,
    about = "A self-hosted registry for the prompts your LLM applications run."
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "PROMPTVAULT_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Data directory: the SQLite database and the search index live here.
    #[arg(long, env = "PROMPTVAULT_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Database URL; SQLite in the data directory when unset.
    #[arg(long, env = "PROMPTVAULT_DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
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

    /// Show each instance's change-feed revision in `/healthz`, to check that several
    /// instances agree. Off by default: the revision counts every change of every workspace
    /// on the server, which is no tenant's business; turn it on where only operators reach
    /// `/healthz` (the instances' private network).
    #[arg(long, env = "PROMPTVAULT_HEALTH_REVISION")]
    pub health_revision: bool,

    /// How many password checks (argon2id hashes, about 19 MiB and tens of milliseconds
    /// each) run at once; more wait up to 2 s for a turn, then get 429.
    #[arg(long, env = "PROMPTVAULT_PASSWORD_CHECKS", default_value_t = vault::DEFAULT_PASSWORD_CHECKS)]
    pub password_checks: usize,

    /// Sign-in, setup and join attempts allowed a minute per client address, and at one
    /// account from one address; more get 429 with `Retry-After`.
    #[arg(long, env = "PROMPTVAULT_ATTEMPTS_PER_MINUTE", default_value_t = vault::DEFAULT_ATTEMPTS_PER_MINUTE)]
    pub attempts_per_minute: u32,

    /// How many days applications' usage reports (`POST /v1/reports`) are kept: what the
    /// rollouts' guards and the fleet view read. Older ones are deleted hourly.
    #[arg(long, env = "PROMPTVAULT_USAGE_KEPT_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=366))]
    pub usage_kept_days: u64,

    /// Who may create workspaces besides first-run setup: `everyone` with an account,
    /// only `owners` of a workspace, or `nobody`.
    #[arg(long, env = "PROMPTVAULT_WORKSPACE_CREATORS", value_enum, default_value = "everyone")]
    pub workspace_creators: WorkspaceCreators,

    #[command(flatten)]
    pub quotas: QuotaArgs,

    /// SDK reads allowed a second per API key; past it, 429 with `Retry-After`. 0: no limit.
    #[arg(long, env = "PROMPTVAULT_READS_PER_KEY_PER_SECOND", default_value_t = 0)]
    pub reads_per_key_per_second: u32,

    /// Live-update streams (`GET /v1/stream`) open at once per API key; more are refused
    /// with 429.
    #[arg(long, env = "PROMPTVAULT_STREAMS_PER_KEY", default_value_t = vault::DEFAULT_STREAMS_PER_KEY)]
    pub streams_per_key: usize,

    /// Live-update streams open at once over all of a workspace's keys; more are refused
    /// with 429.
    #[arg(long, env = "PROMPTVAULT_STREAMS_PER_WORKSPACE", default_value_t = vault::DEFAULT_STREAMS_PER_WORKSPACE)]
    pub streams_per_workspace: usize,

    /// Connections open at once; more are closed as they arrive. Keep it under the
    /// process's file limit (`ulimit -n`).
    #[arg(long, env = "PROMPTVAULT_MAX_CONNECTIONS", default_value_t = vault::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Connections one client address (an IPv6 one by its /64) may hold at once; the
    /// trusted proxies are held to --max-connections only.
    #[arg(long, env = "PROMPTVAULT_CONNECTIONS_PER_ADDRESS", default_value_t = vault::DEFAULT_CONNECTIONS_PER_ADDRESS)]
    pub connections_per_address: usize,

    /// How long a connection may stay open with no request in flight, in milliseconds
    /// (HTTP/1 and HTTP/2 alike).
    #[arg(long, env = "PROMPTVAULT_IDLE_TIMEOUT_MS", default_value_t = connections::IDLE_TIMEOUT.as_millis() as u64)]
    pub idle_timeout_ms: u64,

    /// The URL people reach PromptVault at (`https://prompts.example.com`), when a reverse
    /// proxy stands in front: the dashboard accepts its origin, and `https://` makes the
    /// session cookie `Secure`.
    #[arg(long, env = "PROMPTVAULT_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Reverse proxies whose `X-Forwarded-For` names the client (comma-separated IPs); the
    /// attempt limits count by that address instead of the proxy's.
    #[arg(long, env = "PROMPTVAULT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// How long a client has to send a request's headers, in milliseconds; a slower one is
    /// disconnected.
    #[arg(long, env = "PROMPTVAULT_HEADER_READ_TIMEOUT_MS", default_value_t = connections::HEADER_READ_TIMEOUT.as_millis() as u64)]
    pub header_read_timeout_ms: u64,

    /// How long a request may take before it is answered 503 and abandoned, in milliseconds
    /// (a database that hangs must not hold connections for ever).
    #[arg(long, env = "PROMPTVAULT_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// How long a webhook receiver has to answer, in milliseconds.
    #[arg(long, env = "PROMPTVAULT_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, hide = true)]
    pub webhook_timeout_ms: u64,

    /// The first gap before retrying a failed webhook delivery, in milliseconds; later gaps
    /// are multiples of it (about a day in all at the default). Lowered by the tests.
    #[arg(long, env = "PROMPTVAULT_WEBHOOK_RETRY_BASE_MS", default_value_t = 10_000, hide = true)]
    pub webhook_retry_base_ms: u64,
}

/// [`vault::WorkspaceCreators`], as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkspaceCreators {
    Everyone,
    Owners,
    Nobody,
}

impl From<WorkspaceCreators> for vault::WorkspaceCreators {
    fn from(creators: WorkspaceCreators) -> vault::WorkspaceCreators {
        match creators {
            WorkspaceCreators::Everyone => vault::WorkspaceCreators::Everyone,
            WorkspaceCreators::Owners => vault::WorkspaceCreators::Owners,
            WorkspaceCreators::Nobody => vault::WorkspaceCreators::Nobody,
        }
    }
}

/// What the binary does; serving when none is named.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default).
    Serve,
    /// Write every workspace, or one, with all its history, members, keys and webhooks, to a
    /// JSON file (readable by its owner only: it holds password hashes and webhook secrets).
    Export {
        /// Only this workspace (by name).
        #[arg(long)]
        workspace: Option<String>,
        /// The file to write.
        file: PathBuf,
    },
    /// Read an export into the database, which must hold no workspace yet (SQLite or
    /// PostgreSQL, whichever `--database-url` names); or, with `--from-langfuse`, a Langfuse
    /// prompt export into a running server's workspace, over its API.
    Import {
        /// The file `export` wrote.
        #[arg(required_unless_present = "from_langfuse")]
        file: Option<PathBuf>,
        /// A Langfuse prompt export (a JSON array of prompt versions): its prompts, with their
        /// whole history, go into the workspace of `--token` on the server at `--url`.
        /// Importing the same file again changes nothing.
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        from_langfuse: Option<PathBuf>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Keep prompts as files next to the code: pull them into a folder, push the folder's
    /// changes back as drafts (staged or promoted if asked), or see what a push would change.
    /// Exit status: 0 nothing to do, 2 changed (or would change), 3 refused, 1 error.
    Prompts {
        #[command(subcommand)]
        command: PromptsCommand,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// The operator's account commands, on the configured database.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum AccountsCommand {
    /// Give the account of an email a new random password (printed once), end its
    /// sessions and revoke its access tokens: the way out when someone else made an account
    /// with an email that is not theirs (by inviting it into a workspace of their own).
    ResetPassword {
        /// The account's email.
        email: String,
    },
}

/// The server the client commands talk to, and the member they act as.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// The PromptVault server (`https://prompts.example.com`).
    #[arg(long, env = "PROMPTVAULT_URL", global = true)]
    pub url: Option<url::Url>,
    /// A personal access token (`pv_pat_…`); its member is the author of what the command
    /// does, with their role.
    #[arg(long, env = "PROMPTVAULT_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

impl RemoteArgs {
    /// The server and token, which the client commands need.
    pub fn remote(&self) -> Result<crate::cli::Remote, crate::cli::Failure> {
        use crate::cli::Failure;
        let url = self.url.clone().ok_or_else(|| {
            Failure::Refused(
                "name the server with --url or PROMPTVAULT_URL (https://prompts.example.com)".into(),
            )
        })?;
        let token = self.token.clone().ok_or_else(|| {
            Failure::Refused(
                "give a personal access token with --token or PROMPTVAULT_TOKEN (pv_pat_…)".into(),
            )
        })?;
        crate::cli::Remote::new(url, token)
    }
}

/// `promptvault prompts …`.
#[derive(Debug, Clone, Subcommand)]
pub enum PromptsCommand {
    /// Write one file per prompt into DIR (`support/triage` → `DIR/support/triage.prompt`).
    Pull {
        /// The folder to write the files into (made if missing).
        dir: PathBuf,
        /// Which version of each prompt to write.
        #[arg(long, value_enum, default_value = "live")]
        channel: crate::cli::PullChannel,
        /// Only prompts whose name starts with this (`support/`).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Save a draft for each file under DIR whose content differs from its prompt's newest
    /// version (creating new prompts); all files or none.
    Push {
        /// The folder of prompt files (`*.prompt`, in folders for names with `/`).
        dir: PathBuf,
        /// The message of the drafts saved.
        #[arg(long, short)]
        message: String,
        /// Point staging at each file's version.
        #[arg(long)]
        stage: bool,
        /// Make each file's version live (where the workspace reviews changes to live: request it).
        #[arg(long)]
        promote: bool,
        /// Move this label of the workspace's own to each file's version, under its rule (where
        /// it is reviewed: request it); repeat for several. The label must exist.
        #[arg(long = "label", value_name = "LABEL")]
        labels: Vec<String>,
        /// Say what the push would do, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print what a push of DIR would change, as a unified diff.
    Diff {
        /// The folder of prompt files.
        dir: PathBuf,
    },
    /// List the prompts that include prompt NAME (`@@@langfusePrompt:name=NAME|…@@@`), per
    /// label with the version of NAME each pins; with --update, make a new version of each
    /// one whose live version pins an older version of NAME.
    Dependents {
        /// The included prompt (`shared/tone`).
        name: String,
        /// Make the new versions (drafts unless --publish).
        #[arg(long)]
        update: bool,
        /// Make them live in one release, all or none, under the workspace's rule for live.
        #[arg(long, requires = "update")]
        publish: bool,
    },
    /// Show the rollout of a protected label of prompt NAME, or steer it: start one (of
    /// VERSION at --percent, with an optional ramp and guard), set its share, complete it (the
    /// label then points at the new version) or abort it (back to the old one).
    Rollout {
        /// The prompt (`support/triage`).
        name: String,
        /// The protected label split.
        #[arg(long, default_value = "live")]
        label: String,
        #[command(subcommand)]
        action: Option<crate::cli::RolloutAction>,
    },
    /// What the applications serve, from their reads and reports: per prompt and label, the
    /// versions served now and in the last hour, and the instances still on an older version.
    Fleet {
        /// Only this prompt.
        name: Option<String>,
    },
}

impl Config {
    /// The database to open: the configured URL, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| vault::Vault::sqlite_url(&self.data_dir))
    }

    pub fn connection_settings(&self) -> connections::ConnectionSettings {
        connections::ConnectionSettings {
            header_read_timeout: std::time::Duration::from_millis(self.header_read_timeout_ms),
            idle_timeout: std::time::Duration::from_millis(self.idle_timeout_ms),
            limits: vault::ConnectionLimits {
                max: self.max_connections,
                per_address: self.connections_per_address,
                proxies: self.trusted_proxies.clone(),
            },
        }
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
            command: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            log: "warn".into(),
            demo: false,
            secure_cookies: false,
            allow_private_webhooks: false,
            health_revision: false,
            password_checks: vault::DEFAULT_PASSWORD_CHECKS,
            // The suites sign in far more often than a person; the limit has tests of its own.
            attempts_per_minute: 10_000,
            trusted_proxies: Vec::new(),
            public_url: None,
            reads_per_key_per_second: 0,
            usage_kept_days: 7,
            workspace_creators: WorkspaceCreators::Everyone,
            quotas: QuotaArgs::default(),
            streams_per_key: vault::DEFAULT_STREAMS_PER_KEY,
            streams_per_workspace: vault::DEFAULT_STREAMS_PER_WORKSPACE,
            max_connections: vault::DEFAULT_MAX_CONNECTIONS,
            connections_per_address: vault::DEFAULT_CONNECTIONS_PER_ADDRESS,
            idle_timeout_ms: connections::IDLE_TIMEOUT.as_millis() as u64,
            header_read_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 10_000,
        }
    }
}
