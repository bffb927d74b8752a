//! Server functions: each checks the session itself, calls one `vault` operation and maps
//! its error to words a person can act on. No rule lives here.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The error every server function returns: a message for the page, and whether the
/// member must sign in (again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub message: String,
    pub signed_out: bool,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError { message: value.to_string(), signed_out: false }
    }
}

/// The signed-in member, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub email: String,
    pub workspace: String,
    pub role: String,
}

/// Where a visitor stands: is the server set up, and who are they.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    pub needs_setup: bool,
    pub member: Option<Member>,
}

/// One row of the prompts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRow {
    pub name: String,
    pub live: Option<String>,
    pub staging: Option<String>,
    pub versions: i64,
    pub updated_at: String,
}

#[server]
pub async fn current_visitor() -> Result<Visitor, AppError> {
    let ctx = ServerContext::get()?;
    let needs_setup = ctx.vault.needs_setup().await.map_err(ssr::app_error)?;
    let member = match ssr::signed_in(&ctx).await {
        Ok(actor) => Some(ssr::member(actor)),
        Err(_) => None,
    };
    Ok(Visitor { needs_setup, member })
}

/// First-run setup: creates the workspace and its owner, and signs the owner in.
#[server]
pub async fn set_up(
    workspace: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    let ctx = ServerContext::get()?;
    let input = vault::SetUp { workspace, email: email.clone(), password: password.clone(), name };
    ctx.vault.set_up(input).await.map_err(ssr::app_error)?;
    ssr::open_session(&ctx, &email, &password).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let ctx = ServerContext::get()?;
    ssr::open_session(&ctx, &email, &password).await?;
    leptos_axum::redirect("/prompts");
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    let ctx = ServerContext::get()?;
    if let Some(cookie) = ssr::session_cookie().await {
        ctx.vault.sign_out(&cookie).await.map_err(ssr::app_error)?;
    }
    ssr::set_cookie(&ctx, "", 0);
    leptos_axum::redirect("/sign-in");
    Ok(())
}

#[server]
pub async fn list_prompts() -> Result<Vec<PromptRow>, AppError> {
    let ctx = ServerContext::get()?;
    let actor = ssr::signed_in(&ctx).await?;
    let prompts = ctx.vault.prompts(&actor).await.map_err(ssr::app_error)?;
    Ok(prompts
        .into_iter()
        .map(|p| PromptRow {
            name: p.state.name,
            live: p.state.live.map(|n| n.label()),
            staging: p.state.staging.map(|n| n.label()),
            versions: p.state.versions,
            updated_at: p.updated_at.to_rfc3339(),
        })
        .collect())
}

/// What the server functions need from the process: the vault and how to set cookies.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct ServerContext {
    pub vault: vault::Vault,
    /// Add `Secure` to the session cookie (when served over HTTPS).
    pub secure_cookies: bool,
}

#[cfg(feature = "ssr")]
impl ServerContext {
    fn get() -> Result<ServerContext, AppError> {
        use_context::<ServerContext>()
            .ok_or_else(|| AppError { message: "the server is not ready".into(), signed_out: false })
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use http::HeaderValue;
    use http::header::{COOKIE, SET_COOKIE};
    use vault::{Actor, VaultError};

    use super::{AppError, Member, ServerContext};

    pub const SESSION_COOKIE: &str = "pv_session";

    /// Words for the page; internal failures are logged and shown generically.
    pub fn app_error(error: VaultError) -> AppError {
        let signed_out = matches!(error, VaultError::Unauthorized(_));
        let message = match &error {
            VaultError::Internal(source) => {
                tracing::error!(error = %source, "dashboard operation failed");
                "something went wrong on our side; please try again".to_owned()
            }
            other => other.to_string(),
        };
        AppError { message, signed_out }
    }

    pub fn member(actor: Actor) -> Member {
        Member {
            name: actor.name,
            email: actor.email,
            workspace: actor.workspace,
            role: actor.role.as_str().into(),
        }
    }

    pub async fn session_cookie() -> Option<String> {
        let parts: http::request::Parts = leptos_axum::extract().await.ok()?;
        parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned())
    }

    pub async fn signed_in(ctx: &ServerContext) -> Result<Actor, AppError> {
        let cookie = session_cookie()
            .await
            .ok_or_else(|| AppError { message: "please sign in".into(), signed_out: true })?;
        ctx.vault.session_actor(&cookie).await.map_err(app_error)
    }

    pub async fn open_session(ctx: &ServerContext, email: &str, password: &str) -> Result<(), AppError> {
        let (_, cookie) = ctx.vault.sign_in(email, password).await.map_err(app_error)?;
        let max_age = (cookie.expires_at.0 - vault::Timestamp::now().0) / 1000;
        set_cookie(ctx, &cookie.value, max_age);
        Ok(())
    }

    /// HttpOnly so scripts cannot read it, SameSite=Lax so other sites cannot send it
    /// with their requests; `max_age` 0 removes it.
    pub fn set_cookie(ctx: &ServerContext, value: &str, max_age: i64) {
        let secure = if ctx.secure_cookies { "; Secure" } else { "" };
        let header =
            format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
        if let (Some(response), Ok(header)) =
            (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&header))
        {
            response.append_header(SET_COOKIE, header);
        }
    }
}
