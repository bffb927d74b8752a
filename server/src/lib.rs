//! The process: wiring of the vault, the dashboard (Leptos) and the `/v1` REST API into one
//! axum router, and its start and graceful stop.

mod api;
pub mod cli;
mod clients;
mod config;
pub mod connections;
mod mcp;
mod quota_args;
mod tasks;
pub mod transfer;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, patch};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use vault::Vault;

pub use api::STREAM_HEARTBEAT;
pub use config::{AccountsCommand, Command, Config, PromptsCommand, RemoteArgs, WorkspaceCreators};
pub use connections::{MAX_STREAMS_PER_CONNECTION, listen};
pub use quota_args::QuotaArgs;

/// The largest form a server function reads: a 1 MiB source, percent-encoded, and the rest.
const FORM_LIMIT: usize = 3 * vault::MAX_SOURCE_BYTES + 64 * 1024;

/// What every handler may take. Axum clones it for each request, so each part is one
/// reference count: the SDK read path is counted in microseconds.
#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    pub vault: Vault,
    pub leptos_options: std::sync::Arc<LeptosOptions>,
}

/// The dashboard's handlers take the options themselves (pages only, not the read path).
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        (*state.leptos_options).clone()
    }
}

pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Opens the vault, seeds the demo if asked, and serves on `listener` until `shutdown`
/// completes. Tests call this with a listener on port 0.
pub async fn launch(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let storage = vault::Storage { database_url: config.database_url(), data_dir: config.data_dir.clone() };
    let vault = Vault::open(&storage)
        .await?
        .limit_password_checks(config.password_checks)
        .limit_attempts(config.attempts_per_minute)
        .limit_reads_per_key(config.reads_per_key_per_second)
        .with_quotas(config.quotas.quotas())
        .with_workspace_creators(config.workspace_creators.into())
        .limit_streams_per_key(config.streams_per_key)
        .limit_streams_per_workspace(config.streams_per_workspace);
    let addr = listener.local_addr()?;
    if config.demo && vault::demo::seed(&vault).await? {
        tracing::info!("seeded the demo workspace");
        println!(
            "Demo workspace ready: sign in at http://{addr}/sign-in as {} / {}",
            vault::demo::DEMO_EMAIL,
            vault::demo::DEMO_PASSWORD
        );
    } else if vault.needs_setup().await? {
        println!("No workspace yet: set one up at http://{addr}/setup (or POST /v1/setup)");
    }

    let clients = clients::Clients {
        vault: vault.clone(),
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        always_https: config.secure_cookies
            || config.public_url.as_ref().is_some_and(|url| url.scheme() == "https"),
        public_origin: config.public_url.as_ref().map(|url| url.origin().ascii_serialization().into()),
    };
    let request_timeout = std::time::Duration::from_millis(config.request_timeout_ms);
    let health = Health { vault: vault.clone(), revision: config.health_revision };
    let router = router(vault.clone(), leptos_options(addr), clients, request_timeout, health)?;
    let delivery_settings = config.delivery_settings();
    let client = webhooks::client(&delivery_settings).context("building the webhook client")?;
    let flusher = tokio::spawn(tasks::flush_key_usage(vault.clone()));
    let usage_kept_for = std::time::Duration::from_secs(config.usage_kept_days * 24 * 3600);
    let ramps = tokio::spawn(tasks::advance_rollouts(vault.clone(), usage_kept_for));
    let (stop_usage, stopping) = tokio::sync::watch::channel(false);
    let usage = tokio::spawn(tasks::write_usage(vault.clone(), stopping));
    // Other instances' changes, on a shared PostgreSQL (and a periodic check on either).
    let follower = tokio::spawn(vault.clone().follow_forever());
    let deliveries = tokio::spawn(webhooks::deliver_forever(vault.clone(), delivery_settings, client));
    tracing::info!(%addr, "PromptVault is listening");
    println!("PromptVault is listening on http://{addr}");
    // Open streams end when the server stops, so that stopping does not wait for them.
    let streams = vault.clone();
    let shutdown = async move {
        shutdown.await;
        streams.end_streams();
    };
    connections::serve(listener, router, config.connection_settings(), shutdown).await?;
    flusher.abort();
    ramps.abort();
    // Not aborted: a write cut short would lose what it had taken; it writes the rest itself.
    let _ = stop_usage.send(true);
    let _ = usage.await;
    follower.abort();
    deliveries.abort();
    vault.close().await;
    Ok(())
}

/// The health check: 200 once serving, with what the read model has applied of the change
/// feed, so that instances that drift apart can be seen (answered from memory: probing it
/// costs the database nothing).
/// What `/healthz` answers from: the vault, and whether to show its revision (a
/// server-wide count of changes, shown only when the operator says so).
#[derive(Clone)]
struct Health {
    vault: Vault,
    revision: bool,
}

impl Health {
    fn answer(&self) -> axum::Json<serde_json::Value> {
        let database = match self.vault.backend() {
            vault::Backend::Sqlite => "sqlite",
            vault::Backend::Postgres => "postgres",
        };
        let mut answer = serde_json::json!({ "status": "ok", "database": database });
        if self.revision {
            answer["revision"] = self.vault.revision().into();
        }
        axum::Json(answer)
    }
}

fn router(
    vault: Vault,
    leptos_options: LeptosOptions,
    clients: clients::Clients,
    request_timeout: std::time::Duration,
    health: Health,
) -> anyhow::Result<Router> {
    let mcp_vault = vault.clone();
    let state = AppState { vault: vault.clone(), leptos_options: std::sync::Arc::new(leptos_options) };
    let context = app::ServerContext { vault };
    let shell_options = (*state.leptos_options).clone();
    let dashboard = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(app::App),
            move || provide_context(context.clone()),
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        // The dashboard's forms: a 1 MiB source of any script fits once percent-encoded
        // (up to 3 bytes each); a larger body is refused with 413 before it is read. The
        // API has its own limit and answers it in its own error shape.
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(RequestBodyLimitLayer::new(FORM_LIMIT))
        .layer(middleware::from_fn(dashboard_headers));
    Ok(Router::new()
        .route("/healthz", get(move || std::future::ready(health.answer())))
        // Langfuse's prompt API: its list and its writes (its reads of one prompt, below, skip
        // the layers as the SDK reads do).
        .route("/api/public/v2/prompts", get(api::langfuse_list).post(api::langfuse_create))
        .route("/api/public/v2/prompts/{*name}", patch(api::langfuse_patch).delete(api::langfuse_delete))
        .nest("/v1", api::router()?)
        .merge(dashboard)
        .layer(middleware::from_fn(same_origin_server_functions))
        // Outside the same-origin check, which reads what this learns of the client.
        .layer(middleware::from_fn_with_state(clients, clients::identify))
        // A request the server cannot answer in time (a database that hangs) is answered
        // 503 and dropped, which rolls its transaction back.
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, request_timeout))
        // A 5xx answer is logged as the fault it is; refusals (4xx) are not failures. The span
        // names the path without its query or an invitation's token.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let path = traced_path(request.uri().path());
            tracing::debug_span!("request", method = %request.method(), path = %path)
        }))
        // The SDK read path, added after the layers so it skips their per-request cost
        // (see the read benchmark in the README). Documented in the OpenAPI document;
        // `{*name}` lets a raw `/` in the name through as well as `%2F`.
        .route("/v1/prompts/{*name}", get(api::read_prompt))
        .route("/v1/prompts", get(api::read_bundle))
        .route("/api/public/v2/prompts/{*name}", get(api::read_langfuse_prompt))
        .route("/api/public/{*rest}", any(api::langfuse_not_served))
        // Streams last as long as their client: past the request timeout too.
        .route("/v1/stream", get(api::stream))
        // MCP for agents: a read key, then the protocol SDK.
        .merge(
            Router::new()
                .route_service("/mcp", mcp::service(mcp_vault.clone()))
                .route_layer(middleware::from_fn_with_state(mcp_vault, mcp::require_read_key)),
        )
        .with_state(state))
}

/// The site assets cargo-leptos built: where they are and what they are called. The
/// `LEPTOS_*` variables keep their cargo-leptos meaning; the defaults match Cargo.toml.
fn leptos_options(addr: std::net::SocketAddr) -> LeptosOptions {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "promptvault"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .build()
}

/// Server functions change state with the member's cookie; a request another site made
/// is refused, so no other page can act for them (see [`from_this_site`]).
async fn same_origin_server_functions(request: Request, next: Next) -> Response {
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Langfuse's API (`/api/public/`) takes credentials, never the member's cookie.
    let path = request.uri().path();
    if changes_state && path.starts_with("/api/") && !path.starts_with("/api/public/") {
        let reached = request.extensions().get::<app::Reached>();
        let public_origin = reached.and_then(|r| r.public_origin.as_deref());
        let https = reached.is_some_and(|r| r.https);
        if !from_this_site(request.headers(), public_origin, https) {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    next.run(request).await
}

/// Whether the browser says a request came from one of this site's pages: its
/// `Sec-Fetch-Site` (every current browser sends it, and a page cannot forge it) is
/// `same-origin`; without it, its `Origin`, else its `Referer`, names this site: the scheme
/// the browser came over (`https` when the server or a trusted proxy says so) and the `Host`
/// it reached, or `--public-url` behind a proxy that rewrites `Host`. A request with none of
/// the three is refused: a browser always sends one, and a script has no cookie to lose.
fn from_this_site(headers: &HeaderMap, public_origin: Option<&str>, https: bool) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let host = header("host");
    let scheme = if https { "https" } else { "http" };
    let ours = |origin: &str| {
        public_origin == Some(origin)
            || origin.split_once("://").is_some_and(|(s, authority)| s == scheme && Some(authority) == host)
    };
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    if let Some(origin) = header("origin") {
        return ours(origin);
    }
    header("referer").and_then(origin_of_url).is_some_and(ours)
}

/// `scheme://authority` of an absolute URL: the origin a `Referer` names.
fn origin_of_url(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    (!scheme.is_empty() && !authority.is_empty()).then(|| &url[..scheme.len() + 3 + authority.len()])
}

/// What every dashboard answer tells the browser: take its type as given, show it in no
/// other site's frame, name only this site's pages in a `Referer` (a join link's token
/// never leaves), and, but for the built assets, keep no copy of a page that shows a
/// member's prompts.
async fn dashboard_headers(request: Request, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A request's path as traces show it: an invitation link's token (`/join/pv_inv_…`) is a
/// credential, and logs are read by more people than may join.
fn traced_path(path: &str) -> &str {
    if path.starts_with("/join/") { "/join/…" } else { path }
}

/// Completes on Ctrl-C or SIGTERM, for a graceful stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (header::HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn a_request_is_from_this_site_only_when_the_browser_says_so() {
        let host = ("host", "prompts.local:3000");
        let ours = |pairs: &[(&'static str, &'static str)]| from_this_site(&headers(pairs), None, false);
        assert!(ours(&[host, ("sec-fetch-site", "same-origin")]));
        for site in ["same-site", "cross-site", "none"] {
            assert!(
                !ours(&[host, ("sec-fetch-site", site), ("origin", "http://prompts.local:3000")]),
                "{site}"
            );
        }
        assert!(ours(&[host, ("origin", "http://prompts.local:3000")]));
        assert!(!ours(&[host, ("origin", "http://evil.example")]));
        assert!(!ours(&[host, ("origin", "null")]));
        assert!(ours(&[host, ("referer", "http://prompts.local:3000/prompts/a?x=1")]));
        assert!(!ours(&[host, ("referer", "http://prompts.local:3000.evil.example/")]));
        assert!(!ours(&[host, ("referer", "not a url")]));
        assert!(!ours(&[host]), "nothing said is refused");
        // The scheme counts: another origin on the same host and port is another site.
        assert!(!ours(&[host, ("origin", "https://prompts.local:3000")]));
        assert!(!ours(&[host, ("referer", "ftp://prompts.local:3000/")]));
        let over_https = |pairs: &[(&'static str, &'static str)]| from_this_site(&headers(pairs), None, true);
        assert!(over_https(&[host, ("origin", "https://prompts.local:3000")]));
        assert!(!over_https(&[host, ("origin", "http://prompts.local:3000")]));
        let public = Some("https://prompts.example.com");
        assert!(from_this_site(&headers(&[host, ("origin", "https://prompts.example.com")]), public, false));
        assert!(from_this_site(
            &headers(&[host, ("referer", "https://prompts.example.com/")]),
            public,
            false
        ));
    }

    #[test]
    fn traces_never_show_an_invitation_token() {
        assert_eq!(traced_path("/join/pv_inv_secret"), "/join/…");
        assert_eq!(traced_path("/prompts/a"), "/prompts/a");
    }

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(origin_of_url("https://a.example:8443/x?y#z"), Some("https://a.example:8443"));
        assert_eq!(origin_of_url("https://a.example?q"), Some("https://a.example"));
        assert_eq!(origin_of_url("https://"), None);
        assert_eq!(origin_of_url("/relative"), None);
    }
}
