//! Labels over HTTP: the workspace's labels and their rules, moving a prompt's label, and
//! moves under review as requests.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, error_message, spawn_app};

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

/// A set-up workspace with `support/triage` v1 (live) and v2 (a draft).
async fn app() -> TestApp {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for source in ["one", "two"] {
        app.post(&format!("{PROMPT}/versions"), json!({"source": source, "message": source})).await;
    }
    app.call(Method::POST, &format!("{PROMPT}/versions/1/promote"), None).await;
    app
}

#[tokio::test]
async fn labels_are_made_listed_changed_and_deleted() {
    let app = app().await;
    let (status, eu) =
        app.post("/v1/manage/labels", json!({"name": "eu", "protected": true, "rule": "admins"})).await;
    assert_eq!(status, 201, "{eu}");
    assert_eq!(
        eu,
        json!({"name": "eu", "protected": true, "rule": "admins", "fallback": null, "built_in": false, "keys": 0})
    );
    let (_, all) = app.get("/v1/manage/labels").await;
    let names: Vec<&str> =
        all["items"].as_array().expect("items").iter().filter_map(|l| l["name"].as_str()).collect();
    assert_eq!(names, ["live", "staging", "eu"]);
    assert_eq!(all["items"][1]["fallback"], "live");

    let (status, qa) = app
        .call(Method::PATCH, "/v1/manage/labels/eu", Some(json!({"rule": "review", "fallback": "live"})))
        .await;
    assert_eq!((status, &qa["rule"], &qa["fallback"]), (200, &json!("review"), &json!("live")), "{qa}");
    let (_, qa) = app.call(Method::PATCH, "/v1/manage/labels/eu", Some(json!({"fallback": null}))).await;
    assert_eq!(
        (&qa["rule"], &qa["fallback"]),
        (&json!("review"), &json!(null)),
        "null removes, absent keeps"
    );

    for (body, field) in [
        (json!({"name": "production", "protected": true}), "name"),
        (json!({"name": "Bad", "protected": true}), "label"),
        (json!({"name": "x", "protected": true, "rule": "anyone"}), "rule"),
        (json!({"name": "x", "protected": true, "fallback": "staging"}), "fallback"),
    ] {
        let (status, error) = app.post("/v1/manage/labels", body.clone()).await;
        assert_eq!((status, error["error"]["field"].as_str()), (422, Some(field)), "{body}: {error}");
    }
    let (status, error) = app.post("/v1/manage/labels", json!({"name": "eu", "protected": false})).await;
    assert!(status == 409 && error_message(&error, "already_exists").contains("eu"));
    let (status, error) =
        app.call(Method::PATCH, "/v1/manage/labels/live", Some(json!({"protected": false}))).await;
    assert!(status == 422 && error_message(&error, "invalid").contains("built in"));

    assert_eq!(app.call(Method::DELETE, "/v1/manage/labels/eu", None).await.0, 204);
    assert_eq!(app.get("/v1/manage/labels/eu").await.0, 404);
}

#[tokio::test]
async fn a_prompt_shows_every_label_and_a_put_moves_one() {
    let app = app().await;
    app.post("/v1/manage/labels", json!({"name": "canary", "protected": true})).await;
    let (status, prompt) =
        app.call(Method::PUT, &format!("{PROMPT}/labels/canary"), Some(json!({"version": "v2"}))).await;
    assert_eq!(status, 200, "{prompt}");
    assert_eq!(prompt["labels"], json!({"canary": "v2", "live": "v1"}));
    assert_eq!(prompt["live"], "v1", "the live field stays");
    let (_, v2) = app.get(&format!("{PROMPT}/versions/2")).await;
    assert_eq!(v2["status"], "live", "a protected label publishes the draft it is moved to");

    let (_, deployments) = app.get(&format!("{PROMPT}/deployments")).await;
    let newest = &deployments["items"][0];
    assert_eq!(
        (&newest["label"], &newest["to"], newest.get("channel")),
        (&json!("canary"), &json!("v2"), None)
    );
    assert_eq!(deployments["items"][1]["channel"], "live", "moves of live still say their channel");
    let (_, of_live) = app.get(&format!("{PROMPT}/deployments?label=live")).await;
    let labels: Vec<_> = of_live["items"].as_array().expect("items").iter().map(|m| &m["label"]).collect();
    assert!(!labels.is_empty() && labels.iter().all(|l| *l == "live"), "{of_live}");

    let (_, prompt) =
        app.call(Method::PUT, &format!("{PROMPT}/labels/canary"), Some(json!({"version": null}))).await;
    assert_eq!(prompt["labels"], json!({"live": "v1"}));
    let (status, error) =
        app.call(Method::PUT, &format!("{PROMPT}/labels/live"), Some(json!({"version": null}))).await;
    assert!(status == 422 && error_message(&error, "invalid").contains("never cleared"));
    let (status, _) =
        app.call(Method::PUT, &format!("{PROMPT}/labels/nowhere"), Some(json!({"version": 1}))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_label_under_review_is_moved_by_a_request_that_names_it() {
    let app = app().await;
    app.post("/v1/manage/labels", json!({"name": "eu", "protected": true, "rule": "review"})).await;
    let (status, error) =
        app.call(Method::PUT, &format!("{PROMPT}/labels/eu"), Some(json!({"version": 2}))).await;
    assert!(status == 409 && error_message(&error, "review_required").contains("eu"));
    let asked = json!({"action": "move", "label": "eu", "version": 2, "note": "ship it in Europe"});
    let (status, request) = app.post(&format!("{PROMPT}/requests"), asked).await;
    assert_eq!(status, 201, "{request}");
    assert_eq!(
        (&request["action"], &request["label"], &request["version"]),
        (&json!("move"), &json!("eu"), &json!("v2"))
    );
    let (status, error) =
        app.post(&format!("{PROMPT}/requests"), json!({"action": "move", "version": 2})).await;
    assert!(status == 422 && error_message(&error, "invalid").contains("names its label"));
}

#[tokio::test]
async fn a_prompt_is_tagged_and_the_list_filters_by_tag() {
    let app = app().await;
    app.post("/v1/manage/prompts", json!({"name": "other"})).await;
    let (status, prompt) =
        app.call(Method::PUT, &format!("{PROMPT}/tags"), Some(json!({"tags": ["support", "triage"]}))).await;
    assert_eq!((status, &prompt["tags"]), (200, &json!(["support", "triage"])), "{prompt}");
    let (_, listed) = app.get("/v1/manage/prompts?tag=triage").await;
    let names: Vec<&str> =
        listed["items"].as_array().expect("items").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["support/triage"]);
    let (status, error) = app.call(Method::PUT, &format!("{PROMPT}/tags"), Some(json!({"tags": [""]}))).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("tags")));
}
