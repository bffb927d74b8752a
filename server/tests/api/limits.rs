//! Attempt limits over HTTP: setups, joins and dashboard sign-ins from one address share
//! one allowance a minute; past it the answer is 429 with `Retry-After`, in the API's words.

use app::api::SignIn;
use leptos::server_fn::ServerFn;
use serde_json::json;

use crate::dashboard::call;
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn an_address_past_its_attempts_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| config.attempts_per_minute = 3).await;
    app.set_up().await;
    let again =
        json!({"workspace": "B", "email": "bob@example.com", "password": "correct horse", "name": "Bob"});
    let (status, body) = app.post("/v1/setup", again.clone()).await;
    assert_eq!(status, 409, "{body}");
    let wrong = [("email", "ada@example.com"), ("password", "wrong guess")];
    let (status, _) = call(&app, SignIn::PATH, &wrong, None).await;
    assert_eq!(status, 401, "the third attempt still counts as one");

    let response = app.request(reqwest::Method::POST, "/v1/setup").json(&again).send().await.expect("setup");
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("from this address")), "{body}");
    let (status, _) = call(&app, SignIn::PATH, &wrong, None).await;
    assert_eq!(status, 429, "the dashboard's sign-in shares the address's allowance");
    // Other requests are not attempts: they are not limited.
    let (status, _) = app.get("/v1/manage/prompts").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_key_past_the_configured_read_rate_gets_429_on_both_read_apis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| config.reads_per_key_per_second = 2).await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    app.post("/v1/manage/prompts/support%2Ftriage/versions", json!({"source": "text"})).await;
    app.post("/v1/manage/prompts/support%2Ftriage/versions/1/promote", json!({})).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    let key = key["token"].as_str().expect("token").to_owned();
    let read =
        || app.client.get(format!("{}/v1/prompts/support%2Ftriage", app.base)).bearer_auth(&key).send();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(read().await.expect("read").status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    let limited = read().await.expect("read");
    assert!(limited.headers().contains_key("retry-after"));
    let langfuse = app
        .client
        .get(format!("{}/api/public/v2/prompts/support%2Ftriage", app.base))
        .basic_auth("pk", Some(&key))
        .send()
        .await
        .expect("langfuse read");
    assert_eq!(langfuse.status(), 429);
    assert!(langfuse.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_write_past_a_configured_quota_is_refused_naming_it_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| {
        config.quotas.max_prompts_per_workspace = 1;
        config.quotas.max_webhooks_per_workspace = 0;
        config.workspace_creators = server::WorkspaceCreators::Nobody;
    })
    .await;
    app.set_up().await;
    let (status, _) = app.post("/v1/manage/prompts", json!({"name": "one"})).await;
    assert_eq!(status, 201);
    let (status, body) = app.post("/v1/manage/prompts", json!({"name": "two"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("quota_reached")), "{body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| m.contains("--max-prompts-per-workspace")),
        "{body}"
    );
    let (_, prompts) = app.get("/v1/manage/prompts").await;
    assert_eq!(prompts["items"].as_array().map(Vec::len), Some(1), "{prompts}");

    let hook = json!({"url": "https://hooks.example.com/pv", "events": ["version.promoted"]});
    let (status, body) = app.post("/v1/manage/webhooks", hook).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("quota_reached")), "{body}");

    let (status, body) = app.post("/v1/manage/workspaces", json!({"name": "Another"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("--workspace-creators")), "{body}");
}
