//! Server-side helpers of the server functions: the context, the session cookie, and the
//! mapping of vault errors and values to what pages show.

use http::HeaderValue;
use http::header::{ACCEPT, COOKIE, RETRY_AFTER, SET_COOKIE};
use leptos::prelude::use_context;
use vault::{Actor, Timestamp, VaultError};

use super::{AppError, Member, When};

/// The session cookie's name over plain HTTP (a server on a laptop or a private network).
pub const SESSION_COOKIE: &str = "pv_session";
/// Its name over HTTPS: browsers take a `__Host-` cookie only when it is `Secure`, has
/// `Path=/` and names no domain, so a neighbouring subdomain cannot plant or overwrite it.
pub const HOST_SESSION_COOKIE: &str = "__Host-pv_session";

/// The session cookie's name for a request that reached this server as `reached` says.
fn session_cookie_name(reached: Option<&Reached>) -> &'static str {
    if reached.is_some_and(|reached| reached.https) { HOST_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// What the server functions need from the process.
#[derive(Clone)]
pub struct ServerContext {
    pub vault: vault::Vault,
}

/// How browsers reach this server, as far as it may believe: over HTTPS (as configured, or
/// as a trusted proxy says: the session cookie is then `Secure`), and at which public
/// origin when one is configured (links people pass on are made with it). The server puts
/// it on every request.
#[derive(Debug, Clone, Default)]
pub struct Reached {
    pub https: bool,
    pub public_origin: Option<std::sync::Arc<str>>,
    /// The client's address (the connection's, or a trusted proxy's word for it): the
    /// attempt limits count sign-ins and joins by it.
    pub client: Option<std::net::IpAddr>,
}

impl Reached {
    /// The address a sign-in, join or password change comes from; an unknown one counts
    /// as the unspecified address (only a server without connection info has none).
    pub fn client_of(reached: Option<&Reached>) -> std::net::IpAddr {
        reached
            .and_then(|reached| reached.client)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }
}

/// The address the current server function's request comes from ([`Reached::client_of`]).
pub fn client_address() -> std::net::IpAddr {
    let parts = use_context::<http::request::Parts>();
    Reached::client_of(parts.as_ref().and_then(|parts| parts.extensions.get::<Reached>()))
}

pub fn context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::new(503, "not_ready", "the server is not ready"))
}

/// Words for the page, with the vault's status and code; internal failures are logged and
/// shown generically. The response answers with the error's status.
pub fn app_error(error: VaultError) -> AppError {
    if let VaultError::Internal(source) = &error {
        tracing::error!(error = %source, "dashboard operation failed");
    }
    let message = match &error {
        // The page's advice: what was typed is kept, and how to see the other version.
        VaultError::Stale { current } => format!(
            "{} was changed by someone else since you opened it. Your text is still here: \
             copy it, then reload to see their version.",
            current.number
        ),
        other => other.public_message(),
    };
    let mut refused = AppError::new(error.status(), error.code(), message);
    refused.body.field = error.field().map(str::to_owned);
    refused.retry_after = error.retry_after().map(|wait| wait.as_secs().max(1));
    respond_with(&refused);
    refused
}

/// The largest text given back to a page without WASM: it travels in the URL of the
/// redirect back, and the server reads URLs of a few hundred KiB at most.
const MAX_KEPT_BYTES: usize = 64 * 1024;

/// [`app_error`], keeping what was typed into the form (`fields` by name) for a browser
/// without WASM, which reloads the page and would lose it. With WASM the page keeps it.
pub fn refused_keeping(error: VaultError, fields: &[(&str, &str)]) -> AppError {
    let mut refused = app_error(error);
    let size: usize = fields.iter().map(|(_, value)| value.len()).sum();
    if plain_form_post() && size <= MAX_KEPT_BYTES {
        refused.kept = fields.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
    }
    refused
}

/// A form posted by a browser without WASM (it asks for HTML): Leptos answers it with a
/// redirect back to the page, carrying the error, and that redirect must stay a redirect.
fn plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    })
}

/// Sets the response's status to the error's when answering a server function call (a
/// page that calls one while rendering keeps its own status), except for a plain form post
/// (see above).
pub fn respond_with(error: &AppError) {
    let server_function_call =
        use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path().starts_with("/api/"));
    if !server_function_call || plain_form_post() {
        return;
    }
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    if let Ok(status) = http::StatusCode::from_u16(error.status) {
        response.set_status(status);
    }
    if let Some(seconds) = error.retry_after {
        response.insert_header(RETRY_AFTER, HeaderValue::from(seconds));
    }
}

pub fn member(actor: Actor) -> Member {
    Member {
        can_edit: actor.can_edit(),
        can_administer: actor.can_administer(),
        name: actor.name,
        email: actor.email,
        workspace: actor.workspace,
        role: actor.role,
    }
}

pub fn when(at: Timestamp, now: Timestamp) -> When {
    let iso = at.to_rfc3339();
    let exact = format!("{} UTC", iso.get(..19).unwrap_or(&iso).replace('T', " "));
    let seconds = (now.0 - at.0).max(0) / 1000;
    let relative = match seconds {
        0..=44 => "just now".to_owned(),
        45..=3599 => format!("{} min ago", (seconds / 60).max(1)),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        86_400..=2_591_999 => format!("{} d ago", seconds / 86_400),
        _ => exact.get(..10).unwrap_or(&exact).to_owned(),
    };
    When { relative, exact, iso }
}

pub async fn session_cookie() -> Option<String> {
    let parts: http::request::Parts = leptos_axum::extract().await.ok()?;
    let name = session_cookie_name(parts.extensions.get::<Reached>());
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

/// The member whose session cookie came with the request, if any: for pages that anyone
/// may see.
pub async fn visitor(ctx: &ServerContext) -> Option<Actor> {
    let cookie = session_cookie().await?;
    ctx.vault.session_actor(&cookie).await.ok()
}

/// The server context and the member signed in on this request: how every server function
/// that acts for someone starts.
pub async fn acting() -> Result<(ServerContext, Actor), AppError> {
    let ctx = context()?;
    let actor = signed_in(&ctx).await?;
    Ok((ctx, actor))
}

/// Every server function answers a vault refusal with `?`: the words, status and code of
/// [`app_error`].
impl From<VaultError> for AppError {
    fn from(error: VaultError) -> AppError {
        app_error(error)
    }
}

/// A word a field does not take (a role, a kind…): the vault's 422.
impl From<types::UnknownWord> for AppError {
    fn from(wrong: types::UnknownWord) -> AppError {
        app_error(VaultError::from(wrong))
    }
}

/// The member whose session cookie came with the request.
pub async fn signed_in(ctx: &ServerContext) -> Result<Actor, AppError> {
    let cookie = session_cookie().await.ok_or_else(|| {
        let refused = AppError::new(401, "unauthorized", "please sign in");
        respond_with(&refused);
        refused
    })?;
    Ok(ctx.vault.session_actor(&cookie).await?)
}

pub async fn open_session(ctx: &ServerContext, email: &str, password: &str) -> Result<(), AppError> {
    let (_, cookie) = ctx.vault.sign_in(email, password, client_address()).await?;
    replace_session(ctx, &cookie).await;
    Ok(())
}

/// Signs `actor` in, in their workspace (after joining one).
pub async fn start_session(ctx: &ServerContext, actor: &Actor) -> Result<(), AppError> {
    let cookie = ctx.vault.open_session(actor).await?;
    replace_session(ctx, &cookie).await;
    Ok(())
}

/// Gives the browser its new session and ends the one it came with, if any: a session
/// someone planted in the browser before the sign-in (fixation) is worth nothing after it.
async fn replace_session(ctx: &ServerContext, cookie: &vault::SessionCookie) {
    if let Some(old) = session_cookie().await
        && let Err(error) = ctx.vault.sign_out(&old).await
    {
        tracing::warn!(%error, "could not end the session a sign-in replaced");
    }
    set_session_cookie(cookie);
}

fn set_session_cookie(cookie: &vault::SessionCookie) {
    let max_age = (cookie.expires_at.0 - Timestamp::now().0) / 1000;
    set_cookie(&cookie.value, max_age);
}

/// `scheme://host` as the browser reached this server (a proxy's `X-Forwarded-Proto`
/// says whether that was HTTPS), for links people pass on.
pub async fn origin() -> String {
    let parts: Option<http::request::Parts> = leptos_axum::extract().await.ok();
    parts.map_or_else(
        || "http://localhost".to_owned(),
        |parts| origin_of(&parts.headers, parts.extensions.get::<Reached>()),
    )
}

/// [`origin`] from a request's headers; the REST API builds its links with it too.
pub fn origin_of(headers: &http::HeaderMap, reached: Option<&Reached>) -> String {
    if let Some(public) = reached.and_then(|reached| reached.public_origin.as_deref()) {
        return public.to_owned();
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if reached.is_some_and(|reached| reached.https) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// HttpOnly so scripts cannot read it, SameSite=Lax so other sites cannot send it with
/// their requests, `__Host-` and Secure over HTTPS; `max_age` 0 removes it.
pub fn set_cookie(value: &str, max_age: i64) {
    let parts = use_context::<http::request::Parts>();
    let reached = parts.as_ref().and_then(|parts| parts.extensions.get::<Reached>());
    let name = session_cookie_name(reached);
    let secure = if name == HOST_SESSION_COOKIE { "; Secure" } else { "" };
    let header = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    if let (Some(response), Ok(header)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&header))
    {
        response.append_header(SET_COOKIE, header);
    }
}

/// Where to go after an action on prompt `name`: the page the form said, when it is that
/// prompt's page (never another site), else the prompt's page itself.
pub fn back_to_prompt(name: &str, back: &str) -> String {
    let page = types::prompt_page(name);
    let same_page = back == page || back.strip_prefix(&page).is_some_and(|rest| rest.starts_with('?'));
    if same_page && !back.contains(['\\', '\n', '\r']) { back.to_owned() } else { page }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_an_action_only_the_same_prompts_page_is_a_place_to_go_back_to() {
        let page = "/prompts/support/triage";
        assert_eq!(
            back_to_prompt("support/triage", "/prompts/support/triage?edit=2&q=x"),
            format!("{page}?edit=2&q=x")
        );
        assert_eq!(back_to_prompt("support/triage", page), page);
        for elsewhere in [
            "https://evil.example/prompts/support/triage",
            "//evil.example",
            "/prompts/support/triage-other",
            "/prompts/support/triage/../../settings",
            "/prompts/support/triage?x=\r\nLocation: https://evil.example",
            "/prompts/support/triage?\\evil",
            "",
        ] {
            assert_eq!(back_to_prompt("support/triage", elsewhere), page, "{elsewhere:?}");
        }
    }
}
