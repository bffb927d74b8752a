//! The management API: setup, tokens, prompts, versions, pointers, settings, bad input.

use app::api::CreateAccessToken;
use leptos::server_fn::ServerFn;
use reqwest::Method;
use reqwest::header::{ETAG, IF_MATCH};
use serde_json::{Value, json};

use crate::helpers::{error_message, read, spawn_app};

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

#[tokio::test]
async fn health_answers_once_ready_and_shows_the_revision_only_when_told() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/healthz", app.base)).send().await.expect("healthz");
    assert_eq!(response.status(), 200);
    let health: Value = response.json().await.expect("json");
    assert_eq!(health["status"], "ok");
    assert!(
        health.get("revision").is_none(),
        "the server-wide change count is no tenant's business: {health}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = crate::helpers::spawn_app_with(dir, |config| config.health_revision = true).await;
    let (_, health) = app.get("/healthz").await;
    let revision = health["revision"].as_i64().expect("the instance's revision");
    // A change to what is served moves the revision on.
    app.set_up().await;
    app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    let (_, health) = app.get("/healthz").await;
    assert!(health["revision"].as_i64().expect("revision") > revision, "{health}");
}

#[tokio::test]
async fn setup_works_once_and_checks_its_input() {
    let mut app = spawn_app().await;
    let (status, body) = app
        .post(
            "/v1/setup",
            json!({"workspace": "Acme", "email": "nope", "password": "correct horse", "name": "Ada"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(error_message(&body, "invalid").contains("email"));

    let body = app.set_up().await;
    assert!(body["token"].as_str().is_some_and(|t| t.starts_with("pv_pat_")));
    assert_eq!(body["member"]["role"], "owner");

    let (status, body) = app
        .post(
            "/v1/setup",
            json!({"workspace": "B", "email": "b@example.com", "password": "correct horse", "name": "B"}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(error_message(&body, "already_set_up").contains("already set up"));
}

#[tokio::test]
async fn management_calls_need_a_valid_token() {
    let mut app = spawn_app().await;
    let (status, body) = app.get("/v1/manage/prompts").await;
    assert_eq!(status, 401);
    assert!(error_message(&body, "unauthorized").contains("Bearer"));

    app.set_up().await;
    let real = app.token.clone();
    app.token = Some("pv_pat_not-a-real-token".into());
    assert_eq!(app.get("/v1/manage/prompts").await.0, 401);

    // A token cannot make another; one made in the dashboard works until it is revoked.
    app.token = real;
    let (status, refused) = app.post("/v1/manage/tokens", json!({"name": "ci"})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("forbidden")), "{refused}");
    let cookie = crate::dashboard::sign_in_as(&app, "ada@example.com", "correct horse").await;
    let (status, created) =
        crate::dashboard::call(&app, CreateAccessToken::PATH, &[("name", "ci")], Some(&cookie)).await;
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().expect("token shown once").to_owned();
    let (_, listed) = app.get("/v1/manage/tokens").await;
    let items = listed["items"].as_array().expect("items");
    assert!(items.iter().all(|t| t.get("token").is_none()));
    let owner = app.token.replace(secret.clone());
    assert_eq!(app.get("/v1/manage/prompts").await.0, 200);
    app.token = owner;
    let id = items[0]["id"].as_i64().expect("id");
    assert_eq!(items[0]["name"], "ci");
    assert_eq!(app.call(Method::DELETE, &format!("/v1/manage/tokens/{id}"), None).await.0, 204);
    app.token = Some(secret);
    assert_eq!(app.get("/v1/manage/prompts").await.0, 401);
}

#[tokio::test]
async fn the_whole_version_lifecycle_over_http() {
    let mut app = spawn_app().await;
    app.set_up().await;

    let (status, prompt) = app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    assert_eq!(
        (status, prompt),
        (
            201,
            json!({"name": "support/triage", "type": "text", "live": null, "staging": null, "labels": {}, "tags": [],
                   "versions": 0})
        )
    );

    // Save v1 and v2.
    let (status, v1) =
        app.post(&format!("{PROMPT}/versions"), json!({"source": "Hello", "message": "first"})).await;
    assert_eq!(status, 201);
    assert_eq!(
        (&v1["version"], &v1["number"], &v1["status"], &v1["author"]),
        (&json!("v1"), &json!(1), &json!("draft"), &json!("Ada"))
    );
    assert!(v1["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    app.post(&format!("{PROMPT}/versions"), json!({"source": "Hello there", "message": "second"})).await;

    // Rewrite v2 with If-Match; a stale tag is 412 and changes nothing.
    let response = app.request(Method::GET, &format!("{PROMPT}/versions/v2")).send().await.expect("get");
    let tag = response.headers().get(ETAG).expect("etag").to_str().expect("ascii").to_owned();
    let rewrite = |tag: &str| {
        app.request(Method::PATCH, &format!("{PROMPT}/versions/2"))
            .header(IF_MATCH, tag)
            .json(&json!({"source": "Hello there!"}))
            .send()
    };
    let (status, body) = read(rewrite(&tag).await.expect("patch")).await;
    assert_eq!((status, &body["source"]), (200, &json!("Hello there!")));
    let (status, body) = read(rewrite(&tag).await.expect("stale patch")).await;
    assert_eq!(status, 412);
    error_message(&body, "stale");

    // Promote v1: frozen, live.
    let (status, state) = app.post(&format!("{PROMPT}/versions/v1/promote"), json!({})).await;
    assert_eq!((status, &state["live"]), (200, &json!("v1")));
    let (status, body) =
        app.call(Method::PATCH, &format!("{PROMPT}/versions/1"), Some(json!({"message": "x"}))).await;
    assert_eq!(status, 409);
    assert!(error_message(&body, "frozen").contains("frozen"));
    assert_eq!(app.call(Method::DELETE, &format!("{PROMPT}/versions/1"), None).await.0, 409);

    // Staging: refused while disabled, then pointed at the v2 draft.
    let (status, _) = app.call(Method::PUT, &format!("{PROMPT}/staging"), Some(json!({"version": 2}))).await;
    assert_eq!(status, 409);
    let (status, settings) =
        app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    assert_eq!((status, settings), (200, json!({"staging_enabled": true, "live_changes": "editors"})));
    let (status, state) =
        app.call(Method::PUT, &format!("{PROMPT}/staging"), Some(json!({"version": "v2"}))).await;
    assert_eq!((status, &state["staging"]), (200, &json!("v2")));

    // Promote v2, roll back to v1: the editor gets v1's source, v2 stays.
    app.post(&format!("{PROMPT}/versions/2/promote"), json!({})).await;
    let (status, rolled) = app.post(&format!("{PROMPT}/rollback"), json!({"version": 1})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&rolled["live"], &rolled["editor"]),
        (&json!("v1"), &json!({"based_on": "v1", "source": "Hello", "config": {}}))
    );
    let (_, page) = app.get(&format!("{PROMPT}/versions")).await;
    let labels: Vec<_> =
        page["items"].as_array().expect("items").iter().map(|v| v["version"].clone()).collect();
    assert_eq!(labels, [json!("v2"), json!("v1")]);

    // A new draft, staged, then deleted: staging is cleared with it.
    app.post(&format!("{PROMPT}/versions"), json!({"source": "v3 text"})).await;
    app.call(Method::PUT, &format!("{PROMPT}/staging"), Some(json!({"version": 3}))).await;
    assert_eq!(app.call(Method::DELETE, &format!("{PROMPT}/versions/v3"), None).await.0, 204);
    let (_, state) = app.get(PROMPT).await;
    assert_eq!(
        state,
        json!({"name": "support/triage", "type": "text", "live": "v1", "staging": null, "labels": {"live": "v1"},
               "tags": [], "versions": 2})
    );

    // Every pointer move is in the deployment history, newest first.
    let (_, history) = app.get(&format!("{PROMPT}/deployments")).await;
    let moves: Vec<_> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["channel"].as_str().unwrap_or(""), m["from"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            ("staging", json!("v3"), json!(null)),
            ("staging", json!("v2"), json!("v3")),
            ("live", json!("v2"), json!("v1")),
            ("live", json!("v1"), json!("v2")),
            ("staging", json!(null), json!("v2")),
            ("live", json!(null), json!("v1")),
        ]
    );
    assert!(history["items"][0]["event_id"].as_str().is_some_and(|id| id.starts_with("evt_")));
    assert_eq!(history["items"][0]["actor"], "Ada");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;

    let cases = [
        (app.post("/v1/manage/prompts", json!({"name": "Support | Triage"})).await, 422, "invalid"),
        (app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await, 409, "already_exists"),
        (app.post("/v1/manage/prompts", json!({"nom": "x"})).await, 400, "bad_request"),
        (app.post(&format!("{PROMPT}/versions"), json!({"source": ""})).await, 422, "invalid"),
        (app.post(&format!("{PROMPT}/versions"), json!({"source": 3})).await, 400, "bad_request"),
        (
            app.post(&format!("{PROMPT}/versions"), json!({"source": "x".repeat(1024 * 1024 + 1)})).await,
            413,
            "too_large",
        ),
        (app.post("/v1/manage/prompts/no-such/versions", json!({"source": "x"})).await, 404, "not_found"),
        (app.get(&format!("{PROMPT}/versions/v9")).await, 404, "not_found"),
        (app.get(&format!("{PROMPT}/versions/abc")).await, 422, "invalid"),
        (app.get(&format!("{PROMPT}/versions?cursor=tampered")).await, 400, "malformed"),
        (app.get(&format!("{PROMPT}/versions?limit=lots")).await, 400, "bad_request"),
        (app.get(&format!("{PROMPT}/versions?limit=0")).await, 422, "invalid"),
        (app.post(&format!("{PROMPT}/rollback"), json!({"version": 1})).await, 404, "not_found"),
        (app.get("/v1/no/such/route").await, 404, "not_found"),
    ];
    for ((status, body), expected_status, code) in cases {
        assert_eq!(status, expected_status, "{body}");
        assert!(!error_message(&body, code).is_empty());
    }

    // Not JSON at all, and a body over the limit.
    let response = app
        .request(Method::POST, "/v1/manage/prompts")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    let (status, body) = read(response).await;
    assert_eq!(status, 400);
    error_message(&body, "bad_request");
    let huge = json!({"source": "x".repeat(4 * 1024 * 1024)});
    let (status, body) = app.post(&format!("{PROMPT}/versions"), huge).await;
    assert_eq!(status, 413);
    error_message(&body, "too_large");

    // Nothing was created by any of it.
    let (_, state) = app.get(PROMPT).await;
    assert_eq!(state["versions"], 0);
    let (_, list) = app.get("/v1/manage/prompts").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}
