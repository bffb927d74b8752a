//! Members, invitations and workspaces over HTTP: an invited person joins, roles change
//! and removals count on the next request, and every refusal says what is wrong.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message, read, spawn_app};

/// A call made with another bearer token than the app's.
pub async fn call_as(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut builder = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    read(builder.send().await.expect("request")).await
}

/// Invites `email` as `role` and joins through `/v1/join`; returns the joiner's token.
pub async fn invite_and_join(app: &TestApp, email: &str, role: &str) -> String {
    let (status, invitation) =
        app.post("/v1/manage/invitations", json!({"email": email, "role": role})).await;
    assert_eq!(status, 201, "{invitation}");
    let join = json!({"token": invitation["token"], "name": email, "password": "long enough"});
    let (status, joined) = call_as(app, "", Method::POST, "/v1/join", Some(join)).await;
    assert_eq!(status, 201, "{joined}");
    joined["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn an_invited_editor_joins_and_loses_access_when_removed() {
    let mut app = spawn_app().await;
    app.set_up().await;
    let (status, invitation) =
        app.post("/v1/manage/invitations", json!({"email": "bob@example.com", "role": "editor"})).await;
    assert_eq!(status, 201, "{invitation}");
    let token = invitation["token"].as_str().expect("token");
    assert_eq!(invitation["url"], format!("{}/join/{token}", app.base));
    assert_eq!((&invitation["email"], &invitation["role"]), (&json!("bob@example.com"), &json!("editor")));

    let (_, pending) = app.get("/v1/manage/invitations").await;
    assert_eq!(pending["items"].as_array().map(Vec::len), Some(1));
    assert!(pending["items"][0].get("token").is_none() && pending["items"][0].get("url").is_none());

    let join = json!({"token": token, "name": "Bob", "password": "long enough"});
    let (status, joined) = call_as(&app, "", Method::POST, "/v1/join", Some(join.clone())).await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!((&joined["workspace"], &joined["member"]["role"]), (&json!("Acme"), &json!("editor")));
    let bob = joined["token"].as_str().expect("token").to_owned();
    let bob_id = joined["member"]["id"].as_i64().expect("id");

    let (status, again) = call_as(&app, "", Method::POST, "/v1/join", Some(join)).await;
    assert_eq!(status, 410);
    assert!(error_message(&again, "gone").contains("already been used"));

    let (status, _) =
        call_as(&app, &bob, Method::POST, "/v1/manage/prompts", Some(json!({"name": "support/triage"})))
            .await;
    assert_eq!(status, 201);
    let (_, members) = call_as(&app, &bob, Method::GET, "/v1/manage/members", None).await;
    let emails: Vec<&Value> =
        members["items"].as_array().expect("items").iter().map(|m| &m["email"]).collect();
    assert_eq!(emails, [&json!("ada@example.com"), &json!("bob@example.com")]);

    // A lower role counts on the next request.
    let (status, changed) = app
        .call(Method::PATCH, &format!("/v1/manage/members/{bob_id}"), Some(json!({"role": "viewer"})))
        .await;
    assert_eq!((status, &changed["role"]), (200, &json!("viewer")));
    let draft = json!({"source": "s", "message": "m"});
    let (status, refused) =
        call_as(&app, &bob, Method::POST, "/v1/manage/prompts/support%2Ftriage/versions", Some(draft)).await;
    assert_eq!(status, 403);
    assert!(error_message(&refused, "forbidden").contains("viewers"));

    // Removal: the token stops working at once.
    let (status, _) = app.call(Method::DELETE, &format!("/v1/manage/members/{bob_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = call_as(&app, &bob, Method::GET, "/v1/manage/prompts", None).await;
    assert_eq!(status, 401);

    let (_, activity) = app.get("/v1/manage/activity").await;
    let kinds: Vec<&str> =
        activity["items"].as_array().expect("items").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds[..2], ["member.removed", "member.changed"]);
    assert!(kinds.contains(&"member.joined") && kinds.contains(&"member.invited"));
}

#[tokio::test]
async fn bad_invitations_roles_and_the_last_owner_are_refused_clearly() {
    let mut app = spawn_app().await;
    let setup = app.set_up().await;
    let owner_id = setup["member"]["id"].as_i64().expect("id");

    let (status, body) =
        app.post("/v1/manage/invitations", json!({"email": "bob@example.com", "role": "boss"})).await;
    assert_eq!(status, 422);
    assert!(error_message(&body, "invalid").contains("owner, admin, editor or viewer"));
    let (status, body) =
        app.post("/v1/manage/invitations", json!({"email": "ada@example.com", "role": "viewer"})).await;
    assert_eq!(status, 409);
    assert!(error_message(&body, "already_exists").contains("already a member"));
    let (status, body) = app.post("/v1/manage/invitations", json!({"email": "nope", "role": "viewer"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("email")));

    let (status, body) = app.call(Method::DELETE, &format!("/v1/manage/members/{owner_id}"), None).await;
    assert_eq!(status, 409);
    assert!(error_message(&body, "last_owner").contains("at least one owner"));
    let (status, body) = app
        .call(Method::PATCH, &format!("/v1/manage/members/{owner_id}"), Some(json!({"role": "admin"})))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = app.call(Method::DELETE, "/v1/manage/members/9999", None).await;
    assert_eq!(status, 404);

    let (status, body) = call_as(
        &app,
        "",
        Method::POST,
        "/v1/join",
        Some(json!({"token": "pv_inv_unknown", "name": "X", "password": "long enough"})),
    )
    .await;
    assert_eq!(status, 404);
    assert!(error_message(&body, "not_found").contains("not valid"));

    let (_, invitation) =
        app.post("/v1/manage/invitations", json!({"email": "carol@example.com", "role": "viewer"})).await;
    let id = invitation["id"].as_i64().expect("id");
    let (status, _) = app.call(Method::DELETE, &format!("/v1/manage/invitations/{id}"), None).await;
    assert_eq!(status, 204);
    let join = json!({"token": invitation["token"], "name": "Carol", "password": "long enough"});
    let (status, body) = call_as(&app, "", Method::POST, "/v1/join", Some(join)).await;
    assert_eq!(status, 410);
    assert!(error_message(&body, "gone").contains("revoked"));
}

#[tokio::test]
async fn a_new_workspace_is_owned_by_its_creator_and_kept_apart() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    let (status, created) = app.post("/v1/manage/workspaces", json!({"name": "Lab"})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((&created["name"], &created["role"]), (&json!("Lab"), &json!("owner")));
    assert_eq!(created.get("token"), None, "a token does not mint another");
    let lab = &crate::dashboard::token_in(&app, "ada@example.com", "correct horse", &created["id"]).await;

    let (_, prompts) = call_as(&app, lab, Method::GET, "/v1/manage/prompts", None).await;
    assert_eq!(prompts["items"], json!([]), "nothing crosses workspaces");
    let (_, workspaces) = call_as(&app, lab, Method::GET, "/v1/manage/workspaces", None).await;
    let listed: Vec<(&Value, &Value)> =
        workspaces["items"].as_array().expect("items").iter().map(|w| (&w["name"], &w["role"])).collect();
    assert_eq!(listed, [(&json!("Acme"), &json!("owner")), (&json!("Lab"), &json!("owner"))]);

    let (status, body) = app.post("/v1/manage/workspaces", json!({"name": ""})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("name")));
}

#[tokio::test]
async fn under_review_an_editor_requests_and_the_owner_approves() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    let prompt = "/v1/manage/prompts/support%2Ftriage";
    app.post(&format!("{prompt}/versions"), json!({"source": "s", "message": "m"})).await;
    let (status, settings) =
        app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": "review"}))).await;
    assert_eq!((status, &settings["live_changes"]), (200, &json!("review")), "{settings}");
    let (status, body) =
        app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": "nobody"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("live_changes")));

    let (status, body) = app.post(&format!("{prompt}/versions/1/promote"), json!({})).await;
    assert_eq!(status, 409);
    assert!(error_message(&body, "review_required").contains("reviews every change"));

    let bob = invite_and_join(&app, "bob@example.com", "editor").await;
    let ask = json!({"action": "promote", "version": "v1", "note": "ship it"});
    let (status, request) = call_as(&app, &bob, Method::POST, &format!("{prompt}/requests"), Some(ask)).await;
    assert_eq!(status, 201, "{request}");
    assert_eq!(
        (&request["state"], &request["version"], &request["requested_by"]),
        (&json!("open"), &json!("v1"), &json!("bob@example.com"))
    );
    let id = request["id"].as_i64().expect("id");

    let (status, body) =
        call_as(&app, &bob, Method::POST, &format!("/v1/manage/requests/{id}/approve"), None).await;
    assert_eq!(status, 403, "{body}");
    let (_, open) = app.get("/v1/manage/requests?state=open").await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(1));
    let (status, state) = app.post(&format!("/v1/manage/requests/{id}/approve"), json!({})).await;
    assert_eq!((status, &state["live"]), (200, &json!("v1")), "{state}");
    let (status, body) = app.post(&format!("/v1/manage/requests/{id}/approve"), json!({})).await;
    assert_eq!(status, 409);
    error_message(&body, "not_open");

    let (_, deployments) = app.get(&format!("{prompt}/deployments")).await;
    let moved = &deployments["items"][0];
    assert_eq!((&moved["actor"], &moved["requested_by"]), (&json!("Ada"), &json!("bob@example.com")));

    // Reject with a note; cancel one's own.
    app.post(&format!("{prompt}/versions"), json!({"source": "s2", "message": "m2"})).await;
    let ask = json!({"action": "promote", "version": 2});
    let (_, second) =
        call_as(&app, &bob, Method::POST, &format!("{prompt}/requests"), Some(ask.clone())).await;
    let (status, rejected) =
        app.post(&format!("/v1/manage/requests/{}/reject", second["id"]), json!({"note": "not yet"})).await;
    assert_eq!(
        (status, &rejected["state"], &rejected["decision_note"]),
        (200, &json!("rejected"), &json!("not yet"))
    );
    let (_, third) = call_as(&app, &bob, Method::POST, &format!("{prompt}/requests"), Some(ask)).await;
    let (status, _) = app.post(&format!("/v1/manage/requests/{}/cancel", third["id"]), json!({})).await;
    assert_eq!(status, 403, "only the requester cancels");
    let (status, cancelled) =
        call_as(&app, &bob, Method::POST, &format!("/v1/manage/requests/{}/cancel", third["id"]), None).await;
    assert_eq!((status, &cancelled["state"]), (200, &json!("cancelled")));
    let (status, body) = app.get("/v1/manage/requests?state=pending").await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("state")));
}
