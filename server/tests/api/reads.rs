//! SDK reads over HTTP: keys, channels, pinned versions, ETag and 304, refusals.

use reqwest::Method;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message, read, spawn_app};

const MANAGE: &str = "/v1/manage/prompts/support%2Ftriage";
const READ: &str = "/v1/prompts/support%2Ftriage";

/// A set-up server with a prompt (v1 live, v2 draft) and a key of each kind.
async fn app_with_keys() -> (TestApp, String, String) {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    app.post(&format!("{MANAGE}/versions"), json!({"source": "one", "message": "first"})).await;
    app.post(&format!("{MANAGE}/versions"), json!({"source": "two"})).await;
    app.post(&format!("{MANAGE}/versions/1/promote"), json!({})).await;
    let (status, live) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    assert_eq!(status, 201);
    let (_, test) = app.post("/v1/manage/keys", json!({"kind": "test", "name": "preview"})).await;
    let token = |key: &Value| key["token"].as_str().expect("token shown once").to_owned();
    (app, token(&live), token(&test))
}

async fn sdk_get(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let response = app.client.get(format!("{}{path}", app.base)).bearer_auth(key).send().await.expect("get");
    read(response).await
}

#[tokio::test]
async fn live_and_test_keys_read_their_channel() {
    let (mut app, live, test) = app_with_keys().await;
    let (status, body) = sdk_get(&app, READ, &live).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &body["name"],
            &body["version"],
            &body["number"],
            &body["status"],
            &body["source"],
            &body["channel"]
        ),
        (&json!("support/triage"), &json!("v1"), &json!(1), &json!("live"), &json!("one"), &json!("live"))
    );
    assert_eq!((&body["message"], &body["author"]), (&json!("first"), &json!("Ada")));
    assert!(body["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));

    // Test key: staging disabled → live; enabled and pointed at the draft → the draft.
    assert_eq!(sdk_get(&app, READ, &test).await.1["version"], "v1");
    app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    app.call(Method::PUT, &format!("{MANAGE}/staging"), Some(json!({"version": 2}))).await;
    let (_, staged) = sdk_get(&app, READ, &test).await;
    assert_eq!(
        (&staged["version"], &staged["status"], &staged["channel"]),
        (&json!("v2"), &json!("draft"), &json!("staging"))
    );
    assert_eq!(sdk_get(&app, READ, &live).await.1["version"], "v1");

    // A promote is served by the very next read.
    app.post(&format!("{MANAGE}/versions/2/promote"), json!({})).await;
    assert_eq!(sdk_get(&app, READ, &live).await.1["version"], "v2");

    // A raw slash in the name works too.
    assert_eq!(sdk_get(&app, "/v1/prompts/support/triage", &live).await.0, 200);
    app.token = None;
}

#[tokio::test]
async fn etags_give_304_and_a_sensible_cache_control() {
    let (app, live, _) = app_with_keys().await;
    let url = format!("{}{READ}", app.base);
    let first = app.client.get(&url).bearer_auth(&live).send().await.expect("get");
    let etag = first.headers().get(ETAG).expect("etag").clone();
    assert_eq!(first.headers().get(CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("private, no-cache"));
    let again = app
        .client
        .get(&url)
        .bearer_auth(&live)
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers().get(ETAG), Some(&etag));
    assert!(again.text().await.expect("body").is_empty());

    // After a promote the old tag no longer matches.
    app.post(&format!("{MANAGE}/versions/2/promote"), json!({})).await;
    let moved =
        app.client.get(&url).bearer_auth(&live).header(IF_NONE_MATCH, etag).send().await.expect("get");
    assert_eq!(moved.status(), 200);
}

#[tokio::test]
async fn pinned_versions_and_refusals() {
    let (app, live, test) = app_with_keys().await;
    assert_eq!(sdk_get(&app, &format!("{READ}?version=1"), &test).await.1["source"], "one");
    assert_eq!(sdk_get(&app, &format!("{READ}?version=v1"), &live).await.1["version"], "v1");

    let cases = [
        (sdk_get(&app, &format!("{READ}?version=2"), &live).await, 404, "not_found"),
        (sdk_get(&app, &format!("{READ}?version=9"), &live).await, 404, "not_found"),
        (sdk_get(&app, &format!("{READ}?version=latest"), &live).await, 422, "invalid"),
        (sdk_get(&app, "/v1/prompts/no-such", &live).await, 404, "not_found"),
        (sdk_get(&app, READ, "pv_live_unknown").await, 401, "unauthorized"),
        (sdk_get(&app, READ, app.token.as_deref().unwrap_or_default()).await, 401, "unauthorized"),
        (
            read(app.client.get(format!("{}{READ}", app.base)).send().await.expect("get")).await,
            401,
            "unauthorized",
        ),
    ];
    for ((status, body), expected, code) in cases {
        assert_eq!(status, expected, "{body}");
        error_message(&body, code);
    }
}

#[tokio::test]
async fn keys_are_managed_through_the_api_and_revocation_is_immediate() {
    let (app, live, _) = app_with_keys().await;
    let (status, listed) = app.get("/v1/manage/keys").await;
    assert_eq!(status, 200);
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|k| k.get("token").is_none()));
    let prod = items.iter().find(|k| k["name"] == "prod").expect("prod");
    assert_eq!((&prod["kind"], &prod["prefix"]), (&json!("live"), &json!("pv_live_")));
    assert_eq!(prod["last_four"].as_str(), live.get(live.len() - 4..));

    let (status, body) = app.post("/v1/manage/keys", json!({"kind": "prod", "name": "x"})).await;
    assert_eq!(status, 422);
    error_message(&body, "invalid");

    assert_eq!(sdk_get(&app, READ, &live).await.0, 200);
    let id = prod["id"].as_i64().expect("id");
    assert_eq!(app.call(Method::DELETE, &format!("/v1/manage/keys/{id}"), None).await.0, 204);
    assert_eq!(sdk_get(&app, READ, &live).await.0, 401);
    assert_eq!(app.call(Method::DELETE, &format!("/v1/manage/keys/{id}"), None).await.0, 404);
}

/// A Langfuse-style read: HTTP Basic with any public key and the read key as the secret.
async fn langfuse_get(app: &TestApp, query: &str, auth: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = app.client.get(format!("{}/api/public/v2/prompts/support%2Ftriage{query}", app.base));
    if let Some((public, secret)) = auth {
        request = request.basic_auth(public, Some(secret));
    }
    read(request.send().await.expect("get")).await
}

#[tokio::test]
async fn the_langfuse_prompt_api_serves_the_same_versions_over_basic_auth() {
    let (app, live, test) = app_with_keys().await;
    let (status, body) = langfuse_get(&app, "", Some(("pk-lf-anything", &live))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["name"], &body["version"], &body["prompt"]),
        (&json!("support/triage"), &json!(1), &json!("one"))
    );
    assert_eq!((&body["type"], &body["labels"]), (&json!("text"), &json!(["production", "latest"])));
    assert_eq!(langfuse_get(&app, "?label=production", Some(("", &test))).await.1["version"], 1);
    assert_eq!(langfuse_get(&app, "?version=1", Some(("pk", &live))).await.1["version"], 1);

    let (status, body) = langfuse_get(&app, "?version=2", Some(("pk", &live))).await;
    assert_eq!(
        (status, &body["error"]),
        (404, &json!("LangfuseNotFoundError")),
        "a draft is not served by number"
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(langfuse_get(&app, "?label=staging", Some(("pk", &live))).await.0, 404);
    assert_eq!(langfuse_get(&app, "?label=latest&version=1", Some(("pk", &live))).await.0, 400);
    assert_eq!(langfuse_get(&app, "", None).await.0, 401);
    assert_eq!(langfuse_get(&app, "", Some(("pk", "pv_live_unknown"))).await.0, 401);
    let (status, _) = read(
        app.client
            .get(format!("{}/api/public/v2/prompts/no%2Fsuch", app.base))
            .basic_auth("pk", Some(&live))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn other_langfuse_paths_answer_a_langfuse_error_naming_what_is_served() {
    let (app, live, _) = app_with_keys().await;
    for (method, path) in [
        (Method::POST, "/api/public/ingestion"),
        (Method::POST, "/api/public/otel/v1/traces"),
        (Method::GET, "/api/public/projects"),
    ] {
        let request =
            app.client.request(method.clone(), format!("{}{path}", app.base)).basic_auth("pk", Some(&live));
        let (status, body) = read(request.body("{\"batch\":[]}").send().await.expect("send")).await;
        assert_eq!(
            (status, &body["error"]),
            (404, &json!("LangfuseNotFoundError")),
            "{method} {path}: {body}"
        );
        let message = body["message"].as_str().expect("a message");
        assert!(message.contains("prompt management only") && message.contains(path), "{message}");
    }
}
