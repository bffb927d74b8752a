//! Rollouts over HTTP: start on live, read by unit (`?unit=` or the `PromptVault-Unit`
//! header) with the split in the body, change the share, abort; refusals in the API's words.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message, read, spawn_app};

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

async fn app() -> (TestApp, String) {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for source in ["one", "two"] {
        app.post(&format!("{PROMPT}/versions"), json!({"source": source})).await;
    }
    app.call(Method::POST, &format!("{PROMPT}/versions/1/promote"), None).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "app"})).await;
    (app, key["token"].as_str().expect("token").to_owned())
}

async fn read_as(app: &TestApp, key: &str, query: &str, header: Option<&str>) -> (u16, Value) {
    let mut request =
        app.client.get(format!("{}/v1/prompts/support%2Ftriage{query}", app.base)).bearer_auth(key);
    if let Some(unit) = header {
        request = request.header("PromptVault-Unit", unit);
    }
    read(request.send().await.expect("send")).await
}

#[tokio::test]
async fn a_rollout_is_started_read_by_unit_changed_and_aborted() {
    let (app, key) = app().await;
    let rollout = format!("{PROMPT}/labels/live/rollout");
    let (status, started) = app.post(&rollout, json!({"version": 2, "percent": 50.0})).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(
        (&started["from"], &started["to"], &started["state"]),
        (&json!("v1"), &json!("v2"), &json!("running"))
    );
    let seed = started["seed"].as_str().expect("seed").to_owned();

    let (_, plain) = read_as(&app, &key, "", None).await;
    assert_eq!((&plain["version"], &plain["rollout"]["percent"]), (&json!("v1"), &json!(50.0)));
    for unit in ["ada", "bob", "cy", "dee", "eve", "fay"] {
        let expected =
            if types::rollouts::reads_new(&seed, "support/triage", unit, 5000) { "v2" } else { "v1" };
        let (_, by_query) = read_as(&app, &key, &format!("?unit={unit}"), None).await;
        let (_, by_header) = read_as(&app, &key, "", Some(unit)).await;
        assert_eq!(
            (by_query["version"].as_str(), by_header["version"].as_str()),
            (Some(expected), Some(expected))
        );
    }
    let long = "u".repeat(300);
    assert_eq!(read_as(&app, &key, &format!("?unit={long}"), None).await.0, 400);

    let (status, changed) = app.call(Method::PATCH, &rollout, Some(json!({"percent": 100.0}))).await;
    assert_eq!((status, &changed["percent"]), (200, &json!(100.0)));
    assert_eq!(read_as(&app, &key, "?unit=anyone", None).await.1["version"], "v2");
    let (status, error) = app.call(Method::POST, &format!("{PROMPT}/versions/2/promote"), None).await;
    assert!(
        status == 409 && error_message(&error, "rollout_running").contains("complete or abort"),
        "{error}"
    );
    let (status, aborted) = app.post(&format!("{rollout}/abort"), json!({"reason": "too many errors"})).await;
    assert_eq!(
        (status, &aborted["state"], &aborted["reason"]),
        (200, &json!("aborted"), &json!("too many errors"))
    );
    assert_eq!(read_as(&app, &key, "?unit=anyone", None).await.1["version"], "v1");
    let (status, error) = app.post(&rollout, json!({"version": 2, "percent": 10.005})).await;
    assert!(status == 422 && error_message(&error, "invalid").contains("steps of 0.01"), "{error}");
}

#[tokio::test]
async fn applications_report_uses_with_a_read_key() {
    let (app, key) = app().await;
    let post = |body: Value, key: String| {
        let request = app.client.post(format!("{}/v1/reports", app.base)).bearer_auth(key).json(&body);
        async move { read(request.send().await.expect("send")).await }
    };
    let good = json!({"app": "support-bot", "instance": "i-1",
                      "items": [{"prompt": "support/triage", "version": "v1", "uses": 12, "failures": 1}]});
    assert_eq!(post(good.clone(), key.clone()).await.0, 202);
    let (status, fleet) = app.get("/v1/manage/fleet?prompt=support%2Ftriage&label=live").await;
    assert_eq!(status, 200, "{fleet}");
    assert_eq!(
        (&fleet["items"][0]["version"], &fleet["items"][0]["versions"][0]["uses_60m"]),
        (&json!("v1"), &json!(12))
    );
    let (status, error) = post(good, "pv_live_unknown".into()).await;
    assert_eq!(status, 401, "{error}");
    let unknown =
        json!({"app": "a", "instance": "i", "items": [{"prompt": "nope", "version": 1, "uses": 1}]});
    assert_eq!(post(unknown, key.clone()).await.0, 404);
    let bad = json!({"app": "a", "instance": "i", "items": [{"prompt": "support/triage", "version": "v1", "uses": 1, "failures": 2}]});
    let (status, error) = post(bad, key).await;
    assert!(status == 422 && error_message(&error, "invalid").contains("failures"), "{error}");
}
