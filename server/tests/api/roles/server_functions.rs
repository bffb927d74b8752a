//! Every state-changing server function of the dashboard, by every role and an outsider.

use reqwest::Method;
use serde_json::json;

use super::*;

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
    check_fn(c, "add a label", Need::Admin, Away::Own, async |k| {
        let form = [
            ("name", format!("l{}", rand_suffix())),
            ("rule", "editors".into()),
            ("fallback", String::new()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.dashboard(k, CreateLabel::PATH, &form).await
    })
    .await;
    check_fn(c, "change a label", Need::Admin, Away::NotFound, async |k| {
        let label = c.fresh_label().await;
        c.dashboard(k, UpdateLabel::PATH, &[("name", &label), ("rule", "admins"), ("fallback", "live")]).await
    })
    .await;
    check_fn(c, "delete a label", Need::Admin, Away::NotFound, async |k| {
        let label = c.fresh_label().await;
        c.dashboard(k, DeleteLabel::PATH, &[("name", &label)]).await
    })
    .await;
    check_fn(c, "move a label", Need::Editor, Away::NotFound, async |k| {
        let label = c.fresh_label().await;
        c.dashboard(k, MoveLabel::PATH, &[("name", name), ("label", &label), ("number", "1"), ("back", back)])
            .await
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
