//! Langfuse's prompt API over HTTP with its writes: Basic auth with a personal access token
//! (writes as its member) or a read key (reads only), Langfuse's shapes and statuses.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, read, spawn_app};

const PROMPTS: &str = "/api/public/v2/prompts";

/// A set-up server, its owner's token, and a live key.
async fn app() -> (TestApp, String, String) {
    let mut app = spawn_app().await;
    app.set_up().await;
    let pat = app.token.clone().expect("the owner's token");
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    (app, pat, key["token"].as_str().expect("token").to_owned())
}

/// A Langfuse SDK's call: Basic auth with any public key and `secret`, no Origin header.
async fn call(app: &TestApp, method: Method, path: &str, secret: &str, body: Option<Value>) -> (u16, Value) {
    let mut request =
        app.client.request(method, format!("{}{path}", app.base)).basic_auth("pk-lf-1", Some(secret));
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.expect("send")).await
}

#[tokio::test]
async fn a_token_creates_labels_reads_lists_and_deletes_as_langfuse_answers() {
    let (app, pat, key) = app().await;
    // The Python SDK sends no type for a text.
    let text = json!({"name": "movie-critic", "prompt": "Rate {{movie}}.", "config": {"temperature": 0.2},
                      "labels": ["production"], "tags": ["films"], "commitMessage": null});
    let (status, made) = call(&app, Method::POST, PROMPTS, &pat, Some(text)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (&made["name"], &made["version"], &made["type"], &made["labels"], &made["tags"]),
        (
            &json!("movie-critic"),
            &json!(1),
            &json!("text"),
            &json!(["production", "latest"]),
            &json!(["films"])
        )
    );
    assert_eq!(
        (&made["config"]["temperature"], &made["commitMessage"], &made["resolutionGraph"]),
        (&json!(0.2), &json!(null), &json!(null))
    );
    let (status, second) = call(
        &app,
        Method::POST,
        PROMPTS,
        &pat,
        Some(json!({"name": "movie-critic", "prompt": "Rate {{movie}}!", "type": "text"})),
    )
    .await;
    assert_eq!((status, &second["version"], &second["labels"]), (201, &json!(2), &json!(["latest"])));

    // The key reads production; the token reads any label.
    let (status, read_by_key) = call(&app, Method::GET, &format!("{PROMPTS}/movie-critic"), &key, None).await;
    assert_eq!((status, &read_by_key["version"]), (200, &json!(1)));
    let (_, latest) =
        call(&app, Method::GET, &format!("{PROMPTS}/movie-critic?label=latest"), &pat, None).await;
    assert_eq!(latest["version"], 2);

    // newLabels move production onto v2.
    let path = format!("{PROMPTS}/movie-critic/versions/2");
    let (status, moved) =
        call(&app, Method::PATCH, &path, &pat, Some(json!({"newLabels": ["production"]}))).await;
    assert_eq!((status, &moved["labels"]), (200, &json!(["production", "latest"])), "{moved}");
    let (_, read_by_key) = call(&app, Method::GET, &format!("{PROMPTS}/movie-critic"), &key, None).await;
    assert_eq!(read_by_key["version"], 2, "the key reads the new production at once");

    let (status, list) = call(&app, Method::GET, &format!("{PROMPTS}?tag=films&limit=5"), &key, None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        (&list["data"][0]["versions"], &list["meta"]["totalItems"], &list["pagination"]["limit"]),
        (&json!([1, 2]), &json!(1), &json!(5))
    );

    // Published versions stay: a delete that would remove one is a conflict.
    let (status, error) =
        call(&app, Method::DELETE, &format!("{PROMPTS}/movie-critic?version=1"), &pat, None).await;
    assert_eq!((status, &error["error"]), (409, &json!("LangfuseConflictError")), "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("for ever")));
    app.post("/v1/manage/prompts/movie-critic/versions", json!({"source": "a draft"})).await;
    let (status, _) =
        call(&app, Method::DELETE, &format!("{PROMPTS}/movie-critic?version=3"), &pat, None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_read_key_only_reads_and_every_refusal_is_langfuse_shaped() {
    let (app, pat, key) = app().await;
    let body = json!({"name": "p", "prompt": "x"});
    let (status, error) = call(&app, Method::POST, PROMPTS, &key, Some(body.clone())).await;
    assert_eq!((status, &error["error"]), (403, &json!("ForbiddenError")), "{error}");
    let (status, error) = call(&app, Method::POST, PROMPTS, "pv_pat_unknown", Some(body)).await;
    assert_eq!((status, &error["error"]), (401, &json!("UnauthorizedError")));
    let (status, error) = call(&app, Method::POST, PROMPTS, &pat, Some(json!({"prompt": "no name"}))).await;
    assert_eq!((status, &error["error"]), (400, &json!("InvalidRequestError")));
    let (status, error) = call(
        &app,
        Method::POST,
        PROMPTS,
        &pat,
        Some(json!({"name": "p", "prompt": "x", "labels": ["latest"]})),
    )
    .await;
    assert!(
        status == 400 && error["message"].as_str().is_some_and(|m| m.contains("cannot be set")),
        "{error}"
    );
    let (status, error) = call(
        &app,
        Method::PATCH,
        &format!("{PROMPTS}/nope/versions/1"),
        &pat,
        Some(json!({"newLabels": []})),
    )
    .await;
    assert_eq!((status, &error["error"]), (404, &json!("LangfuseNotFoundError")));
    let (status, _) = call(&app, Method::GET, &format!("{PROMPTS}?page=0"), &pat, None).await;
    assert_eq!(status, 400);
    app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": "review"}))).await;
    let (status, error) =
        call(&app, Method::POST, PROMPTS, &pat, Some(json!({"name": "p", "prompt": "x"}))).await;
    assert!(
        status == 409
            && error["message"].as_str().is_some_and(|m| m.contains("reviews every change to live")),
        "{error}"
    );
}

#[tokio::test]
async fn a_composed_prompt_is_read_resolved_and_with_resolve_false_as_written() {
    let (app, pat, key) = app().await;
    let piece = json!({"name": "tone", "prompt": "Be kind.", "labels": ["production"]});
    assert_eq!(call(&app, Method::POST, PROMPTS, &pat, Some(piece)).await.0, 201);
    let written = "Hi {{name}}. @@@langfusePrompt:name=tone|label=production@@@";
    let reply = json!({"name": "reply", "prompt": written, "labels": ["production"]});
    let (status, made) = call(&app, Method::POST, PROMPTS, &pat, Some(reply)).await;
    assert_eq!((status, &made["prompt"]), (201, &json!(written)), "a write answers what it was sent");
    for secret in [&key, &pat] {
        let (_, resolved) = call(&app, Method::GET, &format!("{PROMPTS}/reply"), secret, None).await;
        assert_eq!(resolved["prompt"], "Hi {{name}}. Be kind.");
        let (_, raw) = call(&app, Method::GET, &format!("{PROMPTS}/reply?resolve=false"), secret, None).await;
        assert_eq!(raw["prompt"], written);
    }
    let missing = json!({"name": "other", "prompt": "@@@langfusePrompt:name=nope|label=production@@@",
                         "labels": ["production"]});
    let (status, error) = call(&app, Method::POST, PROMPTS, &pat, Some(missing)).await;
    assert_eq!((status, &error["error"]), (400, &json!("InvalidRequestError")), "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("name=nope|label=production")), "{error}");
    let (_, plain) = read(
        app.client
            .get(format!("{}/v1/prompts/reply", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(plain["source"], "Hi {{name}}. Be kind.", "the SDK read serves it resolved");
}
