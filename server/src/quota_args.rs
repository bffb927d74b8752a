//! The server's quota settings: one option (and environment variable) per quota of the vault.

/// How much one account or workspace may hold ([`vault::Quotas`]; the defaults are its).
#[derive(Debug, Clone, clap::Args)]
pub struct QuotaArgs {
    /// Workspaces one account may own.
    #[arg(long, env = "PROMPTVAULT_MAX_WORKSPACES_PER_ACCOUNT", default_value_t = vault::Quotas::default().workspaces_per_account)]
    pub max_workspaces_per_account: u64,
    /// Prompts one workspace may hold.
    #[arg(long, env = "PROMPTVAULT_MAX_PROMPTS_PER_WORKSPACE", default_value_t = vault::Quotas::default().prompts_per_workspace)]
    pub max_prompts_per_workspace: u64,
    /// Versions (drafts and published) of all of one workspace's prompts.
    #[arg(long, env = "PROMPTVAULT_MAX_VERSIONS_PER_WORKSPACE", default_value_t = vault::Quotas::default().versions_per_workspace)]
    pub max_versions_per_workspace: u64,
    /// API keys (not revoked) one workspace may hold.
    #[arg(long, env = "PROMPTVAULT_MAX_API_KEYS_PER_WORKSPACE", default_value_t = vault::Quotas::default().api_keys_per_workspace)]
    pub max_api_keys_per_workspace: u64,
    /// Personal access tokens (not revoked) of one workspace's members.
    #[arg(long, env = "PROMPTVAULT_MAX_ACCESS_TOKENS_PER_WORKSPACE", default_value_t = vault::Quotas::default().access_tokens_per_workspace)]
    pub max_access_tokens_per_workspace: u64,
    /// Webhooks one workspace may hold.
    #[arg(long, env = "PROMPTVAULT_MAX_WEBHOOKS_PER_WORKSPACE", default_value_t = vault::Quotas::default().webhooks_per_workspace)]
    pub max_webhooks_per_workspace: u64,
    /// Invitations one workspace may have waiting (not used, revoked or expired).
    #[arg(long, env = "PROMPTVAULT_MAX_INVITATIONS_PER_WORKSPACE", default_value_t = vault::Quotas::default().invitations_per_workspace)]
    pub max_invitations_per_workspace: u64,
    /// Requests to change live one workspace may have open.
    #[arg(long, env = "PROMPTVAULT_MAX_OPEN_REQUESTS_PER_WORKSPACE", default_value_t = vault::Quotas::default().open_requests_per_workspace)]
    pub max_open_requests_per_workspace: u64,
    /// Bytes of all of one workspace's versions (texts or messages, and configs, as stored).
    #[arg(long, env = "PROMPTVAULT_MAX_BYTES_PER_WORKSPACE", default_value_t = vault::Quotas::default().bytes_per_workspace)]
    pub max_bytes_per_workspace: u64,
    /// Labels of one workspace's own (live and staging are not counted).
    #[arg(long, env = "PROMPTVAULT_MAX_LABELS_PER_WORKSPACE", default_value_t = vault::Quotas::default().labels_per_workspace)]
    pub max_labels_per_workspace: u64,
}

impl QuotaArgs {
    pub fn quotas(&self) -> vault::Quotas {
        vault::Quotas {
            workspaces_per_account: self.max_workspaces_per_account,
            prompts_per_workspace: self.max_prompts_per_workspace,
            versions_per_workspace: self.max_versions_per_workspace,
            api_keys_per_workspace: self.max_api_keys_per_workspace,
            access_tokens_per_workspace: self.max_access_tokens_per_workspace,
            webhooks_per_workspace: self.max_webhooks_per_workspace,
            invitations_per_workspace: self.max_invitations_per_workspace,
            open_requests_per_workspace: self.max_open_requests_per_workspace,
            bytes_per_workspace: self.max_bytes_per_workspace,
            labels_per_workspace: self.max_labels_per_workspace,
        }
    }
}

impl Default for QuotaArgs {
    fn default() -> QuotaArgs {
        let quotas = vault::Quotas::default();
        QuotaArgs {
            max_workspaces_per_account: quotas.workspaces_per_account,
            max_prompts_per_workspace: quotas.prompts_per_workspace,
            max_versions_per_workspace: quotas.versions_per_workspace,
            max_api_keys_per_workspace: quotas.api_keys_per_workspace,
            max_access_tokens_per_workspace: quotas.access_tokens_per_workspace,
            max_webhooks_per_workspace: quotas.webhooks_per_workspace,
            max_invitations_per_workspace: quotas.invitations_per_workspace,
            max_open_requests_per_workspace: quotas.open_requests_per_workspace,
            max_bytes_per_workspace: quotas.bytes_per_workspace,
            max_labels_per_workspace: quotas.labels_per_workspace,
        }
    }
}
