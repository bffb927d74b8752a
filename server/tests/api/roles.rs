//! The permission matrix over HTTP: every `/v1/manage` call and every state-changing server
//! function of the dashboard, made by a viewer, an editor, an admin and an owner of one
//! workspace, and by a member of another workspace. A role that may not is refused with 403;
//! the other workspace's member never reaches this workspace's things (404), and where a call
//! acts on "the caller's workspace" it acts on their own.

use reqwest::Method;
use serde_json::{Value, json};

use crate::dashboard;
use crate::helpers::{TestApp, read, spawn_app_with};
use crate::team::invite_and_join;

mod management;
mod server_functions;

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Viewer,
    Editor,
    Admin,
    Owner,
    /// A member (owner) of another workspace only.
    Outsider,
}

const EVERYONE: [Who; 5] = [Who::Viewer, Who::Editor, Who::Admin, Who::Owner, Who::Outsider];

/// The least role a call needs.
#[derive(Debug, Clone, Copy)]
enum Need {
    Viewer,
    Editor,
    Admin,
    Owner,
}

impl Need {
    fn allows(self, who: Who) -> bool {
        let rank = |who: Who| match who {
            Who::Viewer => 0,
            Who::Editor => 1,
            Who::Admin => 2,
            Who::Owner | Who::Outsider => 3,
        };
        rank(who) >= self as usize
    }
}

/// What the other workspace's member gets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Away {
    /// The call names something of this workspace: 404.
    NotFound,
    /// The call acts on the caller's own workspace: allowed, and shows none of this one.
    Own,
}

struct Ctx {
    app: TestApp,
    /// Each one's personal access token and dashboard session cookie.
    credentials: Vec<(Who, String, String)>,
}

impl Ctx {
    fn token(&self, who: Who) -> &str {
        self.credentials.iter().find(|(w, _, _)| *w == who).map(|(_, t, _)| t.as_str()).unwrap_or_default()
    }

    /// The personal access token of the member whose session cookie this is.
    fn token_of(&self, cookie: &str) -> &str {
        self.credentials.iter().find(|(_, _, c)| c == cookie).map(|(_, t, _)| t.as_str()).unwrap_or_default()
    }

    /// The session cookie of the member whose personal access token this is.
    fn cookie_of(&self, token: &str) -> &str {
        self.credentials.iter().find(|(_, t, _)| t == token).map(|(_, _, c)| c.as_str()).unwrap_or_default()
    }

    /// The id of a new token `cookie`'s member makes in the dashboard (a token cannot make
    /// one), read back from their list, newest first.
    async fn token_from_dashboard(&self, cookie: &str, name: &str) -> i64 {
        let (status, made) = self
            .dashboard(
                cookie,
                <app::api::CreateAccessToken as leptos::server_fn::ServerFn>::PATH,
                &[("name", name)],
            )
            .await;
        assert_eq!(status, 200, "{made}");
        let (_, listed) = self.call(self.token_of(cookie), Method::GET, "/v1/manage/tokens", None).await;
        assert_eq!(listed["items"][0]["name"], name, "{listed}");
        listed["items"][0]["id"].as_i64().expect("id")
    }

    fn cookie(&self, who: Who) -> &str {
        self.credentials.iter().find(|(w, _, _)| *w == who).map(|(_, _, c)| c.as_str()).unwrap_or_default()
    }

    /// Server function `path` as `cookie`'s member, with a form body.
    async fn dashboard(&self, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        dashboard::call(&self.app, path, form, Some(cookie)).await
    }

    async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut builder =
            self.app.client.request(method, format!("{}{path}", self.app.base)).bearer_auth(token);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        read(builder.send().await.expect("request")).await
    }

    /// As the owner, for preparing what a call acts on.
    async fn owner(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(self.token(Who::Owner), method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    async fn fresh_draft(&self) -> i64 {
        let draft = json!({"source": "fresh", "message": "fresh draft"});
        self.owner(Method::POST, &format!("{PROMPT}/versions"), Some(draft)).await["number"]
            .as_i64()
            .expect("number")
    }

    /// A new preview label of the workspace's own: its name.
    async fn fresh_label(&self) -> String {
        let name = format!("l{}", rand_suffix());
        self.owner(Method::POST, "/v1/manage/labels", Some(json!({"name": name, "protected": false}))).await;
        name
    }

    async fn fresh_webhook(&self) -> i64 {
        let hook = json!({"url": "http://127.0.0.1:9/acme-hook", "events": ["version.promoted"]});
        self.owner(Method::POST, "/v1/manage/webhooks", Some(hook)).await["id"].as_i64().expect("id")
    }

    /// Puts the workspace under review (or back) for the request calls.
    async fn review(&self, on: bool) {
        let rule = if on { "review" } else { "editors" };
        self.owner(Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": rule}))).await;
    }

    /// A request opened by someone other than everyone in the matrix.
    async fn fresh_request(&self, requester: &str) -> i64 {
        let ask = json!({"action": "promote", "version": 1, "note": "please"});
        let (status, made) =
            self.call(requester, Method::POST, &format!("{PROMPT}/requests"), Some(ask)).await;
        assert_eq!(status, 201, "{made}");
        made["id"].as_i64().expect("id")
    }

    async fn fresh_member(&self, role: &str) -> i64 {
        let n =
            self.owner(Method::GET, "/v1/manage/members", None).await["items"].as_array().map_or(0, Vec::len);
        let token = invite_and_join(&self.app, &format!("member{n}@example.com"), role).await;
        let (_, me) = self.call(&token, Method::GET, "/v1/manage/members", None).await;
        let email = format!("member{n}@example.com");
        me["items"].as_array().expect("items").iter().find(|m| m["email"] == email.as_str()).expect("joined")
            ["id"]
            .as_i64()
            .expect("id")
    }
}

/// Makes `attempt` with everyone's token and checks each answer against `need` and `away`.
async fn check(ctx: &Ctx, call: &str, need: Need, away: Away, attempt: impl AsyncFn(&str) -> (u16, Value)) {
    check_with(ctx, Ctx::token, call, need, away, attempt).await
}

/// [`check`] for a server function: made with everyone's session cookie.
async fn check_fn(
    ctx: &Ctx,
    call: &str,
    need: Need,
    away: Away,
    attempt: impl AsyncFn(&str) -> (u16, Value),
) {
    check_with(ctx, Ctx::cookie, call, need, away, attempt).await
}

async fn check_with(
    ctx: &Ctx,
    credential: fn(&Ctx, Who) -> &str,
    call: &str,
    need: Need,
    away: Away,
    attempt: impl AsyncFn(&str) -> (u16, Value),
) {
    for who in EVERYONE {
        let (status, body) = attempt(credential(ctx, who)).await;
        // The API's errors are {"error": {"code"}}; a server function's are {"code"}.
        let code = body["error"]["code"].as_str().or(body["code"].as_str());
        let allowed = match who {
            Who::Outsider => away == Away::Own,
            _ => need.allows(who),
        };
        let context = format!("{call} as {who:?}: {status} {body}");
        if allowed {
            assert!((200..400).contains(&status), "{context}");
            if who == Who::Outsider {
                let text = body.to_string();
                assert!(!text.contains("support/triage") && !text.contains("acme"), "{context}");
            }
        } else if who == Who::Outsider {
            assert_eq!(status, 404, "{context}");
        } else {
            assert_eq!((status, code), (403, Some("forbidden")), "{context}");
        }
    }
}

async fn workspace() -> Ctx {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| config.allow_private_webhooks = true).await;
    let setup = app.set_up().await;
    let owner = setup["token"].as_str().expect("token").to_owned();
    let viewer = invite_and_join(&app, "viewer@example.com", "viewer").await;
    let editor = invite_and_join(&app, "editor@example.com", "editor").await;
    let admin = invite_and_join(&app, "admin@example.com", "admin").await;
    // Eve makes a workspace of her own, then leaves this one.
    let eve = invite_and_join(&app, "eve@example.com", "viewer").await;
    let (status, other) = read(
        app.client
            .post(format!("{}/v1/manage/workspaces", app.base))
            .bearer_auth(&eve)
            .json(&json!({"name": "Other"}))
            .send()
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let outsider = dashboard::token_in(&app, "eve@example.com", "long enough", &other["id"]).await;
    let (_, members) = app.get("/v1/manage/members").await;
    let eve_id = members["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["email"] == "eve@example.com")
        .expect("eve")["id"]
        .clone();
    app.call(Method::DELETE, &format!("/v1/manage/members/{eve_id}"), None).await;

    let mut credentials = Vec::new();
    for (who, token, email) in [
        (Who::Viewer, viewer, "viewer@example.com"),
        (Who::Editor, editor, "editor@example.com"),
        (Who::Admin, admin, "admin@example.com"),
        (Who::Owner, owner, "ada@example.com"),
        (Who::Outsider, outsider, "eve@example.com"),
    ] {
        let password = if who == Who::Owner { "correct horse" } else { "long enough" };
        let cookie = dashboard::sign_in_as(&app, email, password).await;
        credentials.push((who, token, cookie));
    }
    let ctx = Ctx { app, credentials };
    ctx.owner(Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    ctx.owner(Method::POST, "/v1/manage/prompts", Some(json!({"name": "support/triage"}))).await;
    let v1 = ctx.fresh_draft().await;
    ctx.owner(Method::POST, &format!("{PROMPT}/versions/{v1}/promote"), None).await;
    ctx.fresh_draft().await;
    ctx
}

/// A number that differs between calls, for names that must not repeat.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
