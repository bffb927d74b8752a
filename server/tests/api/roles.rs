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

#[tokio::test]
async fn every_management_call_by_every_role_and_an_outsider() {
    let ctx = workspace().await;
    let c = &ctx;
    let get = async |path: &str, token: &str| c.call(token, Method::GET, path, None).await;

    // Prompts, versions, pointers.
    check(c, "list prompts", Need::Viewer, Away::Own, async |t| get("/v1/manage/prompts", t).await).await;
    check(c, "create a prompt", Need::Editor, Away::Own, async |t| {
        let name = format!("new/p{}", rand_suffix());
        c.call(t, Method::POST, "/v1/manage/prompts", Some(json!({"name": name}))).await
    })
    .await;
    check(c, "read a prompt", Need::Viewer, Away::NotFound, async |t| get(PROMPT, t).await).await;
    check(c, "list versions", Need::Viewer, Away::NotFound, async |t| {
        get(&format!("{PROMPT}/versions"), t).await
    })
    .await;
    check(c, "read a version", Need::Viewer, Away::NotFound, async |t| {
        get(&format!("{PROMPT}/versions/1"), t).await
    })
    .await;
    check(c, "diff", Need::Viewer, Away::NotFound, async |t| {
        get(&format!("{PROMPT}/diff?from=1&to=2"), t).await
    })
    .await;
    check(c, "deployments", Need::Viewer, Away::NotFound, async |t| {
        get(&format!("{PROMPT}/deployments"), t).await
    })
    .await;
    check(c, "save a draft", Need::Editor, Away::NotFound, async |t| {
        let draft = json!({"source": "s", "message": "m"});
        c.call(t, Method::POST, &format!("{PROMPT}/versions"), Some(draft)).await
    })
    .await;
    check(c, "rewrite a draft", Need::Editor, Away::NotFound, async |t| {
        let n = c.fresh_draft().await;
        c.call(t, Method::PATCH, &format!("{PROMPT}/versions/{n}"), Some(json!({"message": "rewritten"})))
            .await
    })
    .await;
    check(c, "delete a draft", Need::Editor, Away::NotFound, async |t| {
        let n = c.fresh_draft().await;
        c.call(t, Method::DELETE, &format!("{PROMPT}/versions/{n}"), None).await
    })
    .await;
    check(c, "promote", Need::Editor, Away::NotFound, async |t| {
        let n = c.fresh_draft().await;
        c.call(t, Method::POST, &format!("{PROMPT}/versions/{n}/promote"), None).await
    })
    .await;
    check(c, "roll back", Need::Editor, Away::NotFound, async |t| {
        let n = c.fresh_draft().await;
        c.owner(Method::POST, &format!("{PROMPT}/versions/{n}/promote"), None).await;
        c.call(t, Method::POST, &format!("{PROMPT}/rollback"), Some(json!({"version": 1}))).await
    })
    .await;
    check(c, "set staging", Need::Editor, Away::NotFound, async |t| {
        c.call(t, Method::PUT, &format!("{PROMPT}/staging"), Some(json!({"version": 1}))).await
    })
    .await;
    check(c, "push prompt files", Need::Editor, Away::Own, async |t| {
        let file = json!({"name": format!("pushed/p{}", rand_suffix()), "source": "s"});
        c.call(t, Method::POST, "/v1/manage/push", Some(json!({"message": "m", "prompts": [file]}))).await
    })
    .await;
    check(c, "import from Langfuse", Need::Editor, Away::Own, async |t| {
        let export = json!([{"name": format!("imported/p{}", rand_suffix()), "version": 1, "prompt": "s"}]);
        c.call(t, Method::POST, "/v1/manage/imports/langfuse", Some(export)).await
    })
    .await;
    check(c, "search", Need::Viewer, Away::Own, async |t| get("/v1/manage/search?q=fresh", t).await).await;
    check(c, "activity", Need::Viewer, Away::Own, async |t| get("/v1/manage/activity", t).await).await;

    // Settings, tokens, keys.
    check(c, "read settings", Need::Viewer, Away::Own, async |t| get("/v1/manage/settings", t).await).await;
    check(c, "change settings", Need::Admin, Away::Own, async |t| {
        c.call(t, Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await
    })
    .await;
    for who in EVERYONE {
        let (status, body) =
            c.call(c.token(who), Method::POST, "/v1/manage/tokens", Some(json!({"name": "ci"}))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{who:?} minting a token"
        );
    }
    check(c, "list tokens", Need::Viewer, Away::Own, async |t| get("/v1/manage/tokens", t).await).await;
    check(c, "revoke one's own token", Need::Viewer, Away::Own, async |t| {
        let made = c.token_from_dashboard(c.cookie_of(t), "short-lived").await;
        c.call(t, Method::DELETE, &format!("/v1/manage/tokens/{made}"), None).await
    })
    .await;
    let owners_token = c.token_from_dashboard(c.cookie(Who::Owner), "ada's").await;
    for who in [Who::Viewer, Who::Editor, Who::Admin, Who::Outsider] {
        let (status, _) =
            c.call(c.token(who), Method::DELETE, &format!("/v1/manage/tokens/{owners_token}"), None).await;
        assert_eq!(status, 404, "{who:?} revoking the owner's token");
    }
    check(c, "create an API key", Need::Admin, Away::Own, async |t| {
        c.call(t, Method::POST, "/v1/manage/keys", Some(json!({"kind": "live", "name": "app"}))).await
    })
    .await;
    check(c, "list API keys", Need::Admin, Away::Own, async |t| get("/v1/manage/keys", t).await).await;
    check(c, "revoke an API key", Need::Admin, Away::NotFound, async |t| {
        let key =
            c.owner(Method::POST, "/v1/manage/keys", Some(json!({"kind": "test", "name": "acme-key"}))).await;
        c.call(t, Method::DELETE, &format!("/v1/manage/keys/{}", key["id"]), None).await
    })
    .await;

    // Webhooks.
    check(c, "create a webhook", Need::Admin, Away::Own, async |t| {
        let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["version.promoted"]});
        c.call(t, Method::POST, "/v1/manage/webhooks", Some(hook)).await
    })
    .await;
    check(c, "list webhooks", Need::Admin, Away::Own, async |t| get("/v1/manage/webhooks", t).await).await;
    let hook = c.fresh_webhook().await;
    check(c, "read a webhook", Need::Admin, Away::NotFound, async |t| {
        get(&format!("/v1/manage/webhooks/{hook}"), t).await
    })
    .await;
    check(c, "change a webhook", Need::Admin, Away::NotFound, async |t| {
        c.call(t, Method::PATCH, &format!("/v1/manage/webhooks/{hook}"), Some(json!({"enabled": true}))).await
    })
    .await;
    check(c, "rotate a webhook's secret", Need::Admin, Away::NotFound, async |t| {
        c.call(t, Method::POST, &format!("/v1/manage/webhooks/{hook}/rotate-secret"), None).await
    })
    .await;
    check(c, "send a test event", Need::Admin, Away::NotFound, async |t| {
        c.call(t, Method::POST, &format!("/v1/manage/webhooks/{hook}/test"), None).await
    })
    .await;
    check(c, "read deliveries", Need::Admin, Away::NotFound, async |t| {
        get(&format!("/v1/manage/webhooks/{hook}/deliveries"), t).await
    })
    .await;
    check(c, "redeliver", Need::Admin, Away::NotFound, async |t| {
        let sent = c.owner(Method::POST, &format!("/v1/manage/webhooks/{hook}/test"), None).await;
        let event = sent["event_id"].as_str().expect("event id").to_owned();
        c.call(t, Method::POST, &format!("/v1/manage/webhooks/{hook}/deliveries/{event}/redeliver"), None)
            .await
    })
    .await;
    check(c, "delete a webhook", Need::Admin, Away::NotFound, async |t| {
        let id = c.fresh_webhook().await;
        c.call(t, Method::DELETE, &format!("/v1/manage/webhooks/{id}"), None).await
    })
    .await;

    // Reviews, in a workspace that reviews changes to live.
    c.review(true).await;
    let requester = invite_and_join(&c.app, "requester@example.com", "editor").await;
    let requester = requester.as_str();
    check(c, "request a change", Need::Editor, Away::NotFound, async |t| {
        let ask = json!({"action": "promote", "version": 1, "note": "n"});
        c.call(t, Method::POST, &format!("{PROMPT}/requests"), Some(ask)).await
    })
    .await;
    check(c, "list requests", Need::Viewer, Away::Own, async |t| {
        get("/v1/manage/requests?state=open", t).await
    })
    .await;
    check(c, "approve a request", Need::Editor, Away::NotFound, async |t| {
        let id = c.fresh_request(requester).await;
        c.call(t, Method::POST, &format!("/v1/manage/requests/{id}/approve"), None).await
    })
    .await;
    check(c, "reject a request", Need::Editor, Away::NotFound, async |t| {
        let id = c.fresh_request(requester).await;
        c.call(t, Method::POST, &format!("/v1/manage/requests/{id}/reject"), Some(json!({"note": "no"})))
            .await
    })
    .await;
    check(c, "cancel one's own request", Need::Editor, Away::NotFound, async |t| {
        let ask = json!({"action": "promote", "version": 1});
        let (status, made) = c.call(t, Method::POST, &format!("{PROMPT}/requests"), Some(ask)).await;
        if status != 201 {
            return (status, made);
        }
        c.call(t, Method::POST, &format!("/v1/manage/requests/{}/cancel", made["id"]), None).await
    })
    .await;
    c.review(false).await;

    // Members, invitations, workspaces.
    check(c, "list members", Need::Viewer, Away::Own, async |t| get("/v1/manage/members", t).await).await;
    check(c, "change a member's role", Need::Admin, Away::NotFound, async |t| {
        let id = c.fresh_member("viewer").await;
        c.call(t, Method::PATCH, &format!("/v1/manage/members/{id}"), Some(json!({"role": "editor"}))).await
    })
    .await;
    check(c, "make a member owner", Need::Owner, Away::NotFound, async |t| {
        let id = c.fresh_member("viewer").await;
        c.call(t, Method::PATCH, &format!("/v1/manage/members/{id}"), Some(json!({"role": "owner"}))).await
    })
    .await;
    check(c, "remove a member", Need::Admin, Away::NotFound, async |t| {
        let id = c.fresh_member("editor").await;
        c.call(t, Method::DELETE, &format!("/v1/manage/members/{id}"), None).await
    })
    .await;
    check(c, "remove an owner", Need::Owner, Away::NotFound, async |t| {
        let id = c.fresh_member("owner").await;
        c.call(t, Method::DELETE, &format!("/v1/manage/members/{id}"), None).await
    })
    .await;
    check(c, "invite", Need::Admin, Away::Own, async |t| {
        let email = format!("invitee{}@example.org", rand_suffix());
        c.call(t, Method::POST, "/v1/manage/invitations", Some(json!({"email": email, "role": "viewer"})))
            .await
    })
    .await;
    check(c, "invite an owner", Need::Owner, Away::Own, async |t| {
        let email = format!("owner{}@example.org", rand_suffix());
        c.call(t, Method::POST, "/v1/manage/invitations", Some(json!({"email": email, "role": "owner"})))
            .await
    })
    .await;
    check(c, "list invitations", Need::Admin, Away::Own, async |t| get("/v1/manage/invitations", t).await)
        .await;
    check(c, "revoke an invitation", Need::Admin, Away::NotFound, async |t| {
        let email = format!("revoked{}@example.org", rand_suffix());
        let made = c
            .owner(Method::POST, "/v1/manage/invitations", Some(json!({"email": email, "role": "viewer"})))
            .await;
        c.call(t, Method::DELETE, &format!("/v1/manage/invitations/{}", made["id"]), None).await
    })
    .await;
    check(c, "list workspaces", Need::Viewer, Away::Own, async |t| get("/v1/manage/workspaces", t).await)
        .await;
    check(c, "create a workspace", Need::Viewer, Away::Own, async |t| {
        c.call(t, Method::POST, "/v1/manage/workspaces", Some(json!({"name": "Side project"}))).await
    })
    .await;
}

/// A number that differs between calls, for names that must not repeat.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn every_state_changing_server_function_by_every_role_and_an_outsider() {
    use app::api::*;
    use leptos::server_fn::ServerFn;

    let ctx = workspace().await;
    let c = &ctx;
    let name = "support/triage";
    let back = "/prompts/support/triage";

    check_fn(c, "create a prompt", Need::Editor, Away::Own, async |k| {
        c.dashboard(k, CreatePrompt::PATH, &[("name", &format!("new/p{}", rand_suffix()))]).await
    })
    .await;
    check_fn(c, "save a draft", Need::Editor, Away::NotFound, async |k| {
        c.dashboard(k, SaveDraft::PATH, &[("name", name), ("source", "s"), ("message", "m")]).await
    })
    .await;
    check_fn(c, "rewrite a draft", Need::Editor, Away::NotFound, async |k| {
        let n = c.fresh_draft().await.to_string();
        let form = [("name", name), ("number", &n), ("revision", "1"), ("source", "x"), ("message", "y")];
        c.dashboard(k, RewriteDraft::PATH, &form).await
    })
    .await;
    check_fn(c, "delete a draft", Need::Editor, Away::NotFound, async |k| {
        let n = c.fresh_draft().await.to_string();
        c.dashboard(k, DeleteDraft::PATH, &[("name", name), ("number", &n), ("back", back)]).await
    })
    .await;
    check_fn(c, "promote", Need::Editor, Away::NotFound, async |k| {
        let n = c.fresh_draft().await.to_string();
        c.dashboard(k, Promote::PATH, &[("name", name), ("number", &n), ("back", back)]).await
    })
    .await;
    check_fn(c, "roll back", Need::Editor, Away::NotFound, async |k| {
        let n = c.fresh_draft().await;
        c.owner(Method::POST, &format!("{PROMPT}/versions/{n}/promote"), None).await;
        c.dashboard(k, RollBack::PATH, &[("name", name), ("number", "1")]).await
    })
    .await;
    check_fn(c, "set staging", Need::Editor, Away::NotFound, async |k| {
        c.dashboard(k, SetStaging::PATH, &[("name", name), ("number", "1"), ("back", back)]).await
    })
    .await;
    check_fn(c, "enable staging", Need::Admin, Away::Own, async |k| {
        c.dashboard(k, SetStagingEnabled::PATH, &[("enabled", "true")]).await
    })
    .await;
    check_fn(c, "create a token", Need::Viewer, Away::Own, async |k| {
        c.dashboard(k, CreateAccessToken::PATH, &[("name", "from the dashboard")]).await
    })
    .await;
    check_fn(c, "revoke one's own token", Need::Viewer, Away::Own, async |k| {
        let made = c.token_from_dashboard(k, "short-lived").await;
        c.dashboard(k, RevokeAccessToken::PATH, &[("id", &made.to_string())]).await
    })
    .await;
    check_fn(c, "rename oneself", Need::Viewer, Away::Own, async |k| {
        c.dashboard(k, RenameSelf::PATH, &[("name", "Renamed")]).await
    })
    .await;
    check_fn(c, "create an API key", Need::Admin, Away::Own, async |k| {
        c.dashboard(k, CreateApiKey::PATH, &[("kind", "live"), ("name", "app")]).await
    })
    .await;
    check_fn(c, "revoke an API key", Need::Admin, Away::NotFound, async |k| {
        let key =
            c.owner(Method::POST, "/v1/manage/keys", Some(json!({"kind": "test", "name": "acme-key"}))).await;
        c.dashboard(k, RevokeApiKey::PATH, &[("id", &key["id"].to_string())]).await
    })
    .await;
    check_fn(c, "add a webhook", Need::Admin, Away::Own, async |k| {
        let form = [("url", "http://127.0.0.1:9/hook"), ("events[version_promoted]", "on")];
        c.dashboard(k, AddWebhook::PATH, &form).await
    })
    .await;
    let hook = c.fresh_webhook().await.to_string();
    let hook = hook.as_str();
    check_fn(c, "edit a webhook", Need::Admin, Away::NotFound, async |k| {
        let form = [("id", hook), ("url", "http://127.0.0.1:9/acme-hook"), ("events[draft_deleted]", "on")];
        c.dashboard(k, EditWebhook::PATH, &form).await
    })
    .await;
    check_fn(c, "enable a webhook", Need::Admin, Away::NotFound, async |k| {
        c.dashboard(k, SetWebhookEnabled::PATH, &[("id", hook), ("enabled", "true")]).await
    })
    .await;
    check_fn(c, "rotate a webhook's secret", Need::Admin, Away::NotFound, async |k| {
        c.dashboard(k, RotateSecret::PATH, &[("id", hook)]).await
    })
    .await;
    check_fn(c, "send a test event", Need::Admin, Away::NotFound, async |k| {
        c.dashboard(k, SendTestEvent::PATH, &[("id", hook)]).await
    })
    .await;
    check_fn(c, "redeliver", Need::Admin, Away::NotFound, async |k| {
        let sent = c.owner(Method::POST, &format!("/v1/manage/webhooks/{hook}/test"), None).await;
        let event = sent["event_id"].as_str().expect("event id").to_owned();
        c.dashboard(k, Redeliver::PATH, &[("id", hook), ("event_id", &event)]).await
    })
    .await;
    check_fn(c, "remove a webhook", Need::Admin, Away::NotFound, async |k| {
        let id = c.fresh_webhook().await.to_string();
        c.dashboard(k, RemoveWebhook::PATH, &[("id", &id)]).await
    })
    .await;
    check_fn(c, "invite", Need::Admin, Away::Own, async |k| {
        let email = format!("fn-invitee{}@example.org", rand_suffix());
        c.dashboard(k, Invite::PATH, &[("email", &email), ("role", "viewer")]).await
    })
    .await;
    check_fn(c, "invite an owner", Need::Owner, Away::Own, async |k| {
        let email = format!("fn-owner{}@example.org", rand_suffix());
        c.dashboard(k, Invite::PATH, &[("email", &email), ("role", "owner")]).await
    })
    .await;
    check_fn(c, "revoke an invitation", Need::Admin, Away::NotFound, async |k| {
        let email = format!("fn-revoked{}@example.org", rand_suffix());
        let made = c
            .owner(Method::POST, "/v1/manage/invitations", Some(json!({"email": email, "role": "viewer"})))
            .await;
        c.dashboard(k, RevokeInvitation::PATH, &[("id", &made["id"].to_string())]).await
    })
    .await;
    check_fn(c, "change a member's role", Need::Admin, Away::NotFound, async |k| {
        let id = c.fresh_member("viewer").await.to_string();
        c.dashboard(k, ChangeRole::PATH, &[("member", &id), ("role", "editor")]).await
    })
    .await;
    check_fn(c, "make a member owner", Need::Owner, Away::NotFound, async |k| {
        let id = c.fresh_member("viewer").await.to_string();
        c.dashboard(k, ChangeRole::PATH, &[("member", &id), ("role", "owner")]).await
    })
    .await;
    check_fn(c, "remove a member", Need::Admin, Away::NotFound, async |k| {
        let id = c.fresh_member("editor").await.to_string();
        c.dashboard(k, RemoveMember::PATH, &[("member", &id)]).await
    })
    .await;
    check_fn(c, "remove an owner", Need::Owner, Away::NotFound, async |k| {
        let id = c.fresh_member("owner").await.to_string();
        c.dashboard(k, RemoveMember::PATH, &[("member", &id)]).await
    })
    .await;
    check_fn(c, "set who can change live", Need::Admin, Away::Own, async |k| {
        c.dashboard(k, SetLiveChanges::PATH, &[("rule", "editors")]).await
    })
    .await;
    c.review(true).await;
    let requester = invite_and_join(&c.app, "fn-requester@example.com", "editor").await;
    let requester = requester.as_str();
    check_fn(c, "request a change", Need::Editor, Away::NotFound, async |k| {
        let form = [("name", name), ("action", "promote"), ("number", "1"), ("note", "n"), ("back", back)];
        c.dashboard(k, RequestChange::PATH, &form).await
    })
    .await;
    check_fn(c, "approve a request", Need::Editor, Away::NotFound, async |k| {
        let id = c.fresh_request(requester).await.to_string();
        c.dashboard(k, ApproveRequest::PATH, &[("id", &id)]).await
    })
    .await;
    check_fn(c, "reject a request", Need::Editor, Away::NotFound, async |k| {
        let id = c.fresh_request(requester).await.to_string();
        c.dashboard(k, RejectRequest::PATH, &[("id", &id), ("note", "no")]).await
    })
    .await;
    check_fn(c, "cancel one's own request", Need::Editor, Away::NotFound, async |k| {
        let ask = json!({"action": "promote", "version": 1});
        let (status, made) =
            c.call(c.token_of(k), Method::POST, &format!("{PROMPT}/requests"), Some(ask)).await;
        if status != 201 {
            return (status, made);
        }
        c.dashboard(k, CancelRequest::PATH, &[("id", &made["id"].to_string())]).await
    })
    .await;
    c.review(false).await;
    let acme = c.owner(Method::GET, "/v1/manage/workspaces", None).await["items"][0]["id"].to_string();
    check_fn(c, "switch to this workspace", Need::Viewer, Away::NotFound, async |k| {
        c.dashboard(k, SwitchWorkspace::PATH, &[("workspace", &acme)]).await
    })
    .await;
    // Not walked here, as they act on one's own account and end sessions the matrix needs:
    // ChangePassword and SignOutEverywhere (vault/tests/rules.rs and the browser journey).
    // Last: a new workspace becomes the session's.
    check_fn(c, "create a workspace", Need::Viewer, Away::Own, async |k| {
        c.dashboard(k, CreateWorkspace::PATH, &[("name", "Side project")]).await
    })
    .await;
}
