//! Every `/v1/manage` call, by every role and an outsider.

use reqwest::Method;
use serde_json::json;

use super::*;

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
    check(c, "move a label", Need::Editor, Away::NotFound, async |t| {
        c.call(t, Method::PUT, &format!("{PROMPT}/labels/live"), Some(json!({"version": 1}))).await
    })
    .await;

    check(c, "tag a prompt", Need::Editor, Away::NotFound, async |t| {
        c.call(t, Method::PUT, &format!("{PROMPT}/tags"), Some(json!({"tags": ["t"]}))).await
    })
    .await;

    // Labels.
    check(c, "list labels", Need::Viewer, Away::Own, async |t| get("/v1/manage/labels", t).await).await;
    check(c, "read a label", Need::Viewer, Away::Own, async |t| get("/v1/manage/labels/live", t).await).await;
    check(c, "create a label", Need::Admin, Away::Own, async |t| {
        let label = json!({"name": format!("l{}", rand_suffix()), "protected": false});
        c.call(t, Method::POST, "/v1/manage/labels", Some(label)).await
    })
    .await;
    check(c, "change a label", Need::Admin, Away::NotFound, async |t| {
        let name = c.fresh_label().await;
        c.call(t, Method::PATCH, &format!("/v1/manage/labels/{name}"), Some(json!({"rule": "admins"}))).await
    })
    .await;
    check(c, "delete a label", Need::Admin, Away::NotFound, async |t| {
        let name = c.fresh_label().await;
        c.call(t, Method::DELETE, &format!("/v1/manage/labels/{name}"), None).await
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
