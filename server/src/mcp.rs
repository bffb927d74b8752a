//! `POST /mcp`: the Model Context Protocol for AI agents, over Streamable HTTP (stateless,
//! JSON answers), with a read key as Bearer token. Built on `rmcp`, the protocol's Rust SDK:
//! it speaks JSON-RPC and the protocol's versions; this names the prompts and maps refusals
//! to the protocol's errors. What a key lists and how a version becomes messages is the
//! vault's (`vault::AgentPrompt`). An agent that holds `subscriptions/listen` open (protocol
//! 2026-07-28) hears `notifications/prompts/list_changed` each time what its key serves
//! changes: the same changes `/v1/stream` reports, so any instance can hold it.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::SubscriptionFilter;
use rmcp::model::{
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult,
    PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use vault::{AgentRefused, AgentRole, Resume, StreamRefused, Vault};

use crate::api::{ApiError, bearer};

/// The prompts of the key an agent sends.
#[derive(Clone)]
pub(crate) struct Prompts {
    vault: Vault,
}

/// The MCP endpoint's service. Stateless: any instance answers any request, and nothing is
/// kept between them. `Host` is not checked (the protocol SDK's guard against DNS rebinding
/// of unauthenticated local servers): every request must carry a read key.
pub(crate) fn service(vault: Vault) -> StreamableHttpService<Prompts, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts();
    StreamableHttpService::new(move || Ok(Prompts { vault: vault.clone() }), Default::default(), config)
}

/// A request without a working read key is refused before the protocol reads it (401).
pub(crate) async fn require_read_key(State(vault): State<Vault>, request: Request, next: Next) -> Response {
    match bearer(request.headers()) {
        Some(token) if vault.read_key_is_valid(token) => next.run(request).await,
        _ => ApiError::unauthorized(
            "send a read key: Authorization: Bearer pv_live_… or pv_test_… (it may be unknown or revoked)",
        )
        .into_response(),
    }
}

/// A key over its read rate, in words: JSON-RPC errors carry no `Retry-After`.
fn rate_exceeded(wait: std::time::Duration) -> String {
    format!("this key read more than its rate allows: try again in {} s", wait.as_secs().max(1))
}

impl Prompts {
    fn key(context: &RequestContext<RoleServer>) -> Result<&str, ErrorData> {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| bearer(&parts.headers))
            .ok_or_else(|| ErrorData::invalid_request("no read key", None))
    }

    /// The session's unit (its `PromptVault-Unit` header: the agent's user or session), for
    /// the side of a rollout it is assigned.
    fn unit(context: &RequestContext<RoleServer>) -> Result<Option<String>, ErrorData> {
        let Some(parts) = context.extensions.get::<http::request::Parts>() else { return Ok(None) };
        crate::api::unit(None, &parts.headers).map_err(|_| {
            ErrorData::invalid_request(
                "the PromptVault-Unit header is at most 256 bytes of printable ASCII",
                None,
            )
        })
    }
}

impl ServerHandler for Prompts {
    fn get_info(&self) -> ServerConfig {
        let capabilities =
            ServerCapabilities::builder().enable_prompts().enable_prompts_list_changed().build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("promptvault", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The prompts this key reads (live, or staging for a test key). Get one with its \
                 arguments (its {{variables}}, all required) to receive its messages, compiled.",
            )
    }

    /// Of what an agent may listen to, the prompts' list changing.
    fn accepted_subscription_filter(&self, _requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().prompts_list_changed().build())
    }

    /// Tells the agent each time what its key serves changes, until it stops listening, the
    /// key is revoked or the server stops. It holds one of the key's streams.
    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let key = Self::key(context.request_context())?.to_owned();
        let (mut changes, _now) =
            self.vault.subscribe(&key, None, Resume::Fresh).await.map_err(|refused| {
                let why = match refused {
                    StreamRefused::TooMany | StreamRefused::TooManyInWorkspace => {
                        "this key (or its workspace) has as many streams open as allowed".to_owned()
                    }
                    StreamRefused::Limited(wait) => rate_exceeded(wait),
                    StreamRefused::Unauthorized | StreamRefused::UnknownPrompt(_) => {
                        "the read key was refused".to_owned()
                    }
                };
                ErrorData::invalid_request(why, None)
            })?;
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = changes.next() => {
                    if changed.is_none() || context.sink().notify_prompt_list_changed().await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompts = self.vault.agent_prompts(Self::key(&context)?).map_err(|refused| match refused {
            vault::ReadRefused::Limited(wait) => ErrorData::invalid_request(rate_exceeded(wait), None),
            _ => ErrorData::invalid_request("the read key was refused", None),
        })?;
        let prompts = prompts
            .into_iter()
            .map(|prompt| {
                let arguments = prompt
                    .arguments
                    .into_iter()
                    .map(|name| {
                        let mut argument = PromptArgument::new(name.clone());
                        argument.description = Some(format!("the value of {{{{{name}}}}}"));
                        argument.required = Some(true);
                        argument
                    })
                    .collect();
                Prompt::new(prompt.name, Some(prompt.description), Some(arguments))
            })
            .collect();
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let arguments: HashMap<String, String> = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(text) => (name, text),
                other => (name, other.to_string()),
            })
            .collect();
        let unit = Self::unit(&context)?;
        let compiled = self
            .vault
            .agent_prompt_for(Self::key(&context)?, &request.name, &arguments, unit.as_deref())
            .map_err(|refused| {
                let message = match refused {
                    AgentRefused::Unauthorized => "the read key was refused".to_owned(),
                    AgentRefused::Limited(wait) => rate_exceeded(wait),
                    AgentRefused::NotFound(name) => format!("no prompt {name:?} for this key"),
                    AgentRefused::MissingArgument(name) => format!("missing required argument {name:?}"),
                    AgentRefused::InvalidArguments(why) => why,
                };
                ErrorData::invalid_params(message, None)
            })?;
        let messages = compiled
            .messages
            .into_iter()
            .map(|(role, text)| {
                let role = match role {
                    AgentRole::User => Role::User,
                    AgentRole::Assistant => Role::Assistant,
                };
                PromptMessage::new_text(role, text)
            })
            .collect();
        Ok(GetPromptResult::new(messages).with_description(compiled.description).into())
    }
}
