//! `POST /mcp` over raw HTTP: a read key is required (401 otherwise), JSON-RPC in and out,
//! prompts listed with their variables as arguments, compiled on `prompts/get`, a missing
//! argument refused with the protocol's invalid-params error, and bad requests answered
//! without harm. The official Python SDK drives it in `end2end/tests/mcp.spec.ts`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn rpc(app: &TestApp, key: Option<&str>, body: &str) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}/mcp", app.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("mcp");
    (response.status().as_u16(), response.text().await.expect("body"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn agents_list_and_get_the_keys_prompts_and_bad_calls_are_refused() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "greet"})).await;
    app.post("/v1/manage/prompts/greet/versions", json!({"source": "Hello {{name}}!", "message": "hi"}))
        .await;
    app.post("/v1/manage/prompts/greet/versions/1/promote", json!({})).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "agent"})).await;
    let (id, key) = (key["id"].as_i64().expect("id"), key["token"].as_str().expect("key").to_owned());

    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#;
    let (status, body) = rpc(&app, Some(&key), initialize).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["result"]["capabilities"]["prompts"]["listChanged"], true);

    let (_, body) = rpc(&app, Some(&key), r#"{"jsonrpc":"2.0","id":2,"method":"prompts/list"}"#).await;
    let prompts = &json(&body)["result"]["prompts"];
    assert_eq!(
        prompts,
        &json!([{"name": "greet", "description": "hi",
            "arguments": [{"name": "name", "description": "the value of {{name}}", "required": true}]}])
    );
    let get = r#"{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ada"}}}"#;
    let (_, body) = rpc(&app, Some(&key), get).await;
    assert_eq!(
        json(&body)["result"]["messages"],
        json!([{"role": "user", "content": {"type": "text", "text": "Hello Ada!"}}])
    );
    for (call, says) in [
        (r#"{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"greet"}}"#, "\"name\""),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"nope","arguments":{}}}"#,
            "\"nope\"",
        ),
    ] {
        let (status, body) = rpc(&app, Some(&key), call).await;
        let error = &json(&body)["error"];
        assert_eq!((status, &error["code"]), (200, &json!(-32602)), "{body}");
        assert!(error["message"].as_str().is_some_and(|m| m.contains(says)), "{body}");
    }

    // Not JSON-RPC at all, an unknown method: refused in words; the server goes on.
    let (status, body) = rpc(&app, Some(&key), "not json").await;
    assert!((400..500).contains(&status) && !body.is_empty(), "{status} {body}");
    let (_, body) = rpc(&app, Some(&key), r#"{"jsonrpc":"2.0","id":6,"method":"no/such"}"#).await;
    assert_eq!(json(&body)["error"]["code"], -32601);

    // No key, an unknown key, a revoked key: 401 before the protocol.
    assert_eq!(rpc(&app, None, initialize).await.0, 401);
    assert_eq!(rpc(&app, Some("pv_live_unknown"), initialize).await.0, 401);
    app.call(Method::DELETE, &format!("/v1/manage/keys/{id}"), None).await;
    let (status, body) = rpc(&app, Some(&key), initialize).await;
    assert_eq!(status, 401);
    assert_eq!(json(&body)["error"]["code"], "unauthorized");
}

/// An agent holding `subscriptions/listen` open (protocol 2026-07-28) hears
/// `notifications/prompts/list_changed` when what its key serves changes.
#[tokio::test]
async fn an_agent_listening_hears_that_its_prompts_changed() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "greet"})).await;
    app.post("/v1/manage/prompts/greet/versions", json!({"source": "Hello {{name}}!"})).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "agent"})).await;
    let key = key["token"].as_str().expect("key").to_owned();
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
                      "io.modelcontextprotocol/clientCapabilities": {}});
    let listen = json!({"jsonrpc": "2.0", "id": 7, "method": "subscriptions/listen",
                        "params": {"_meta": meta, "notifications": {"promptsListChanged": true}}});
    let mut response = app
        .client
        .post(format!("{}/mcp", app.base))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "subscriptions/listen")
        .bearer_auth(&key)
        .json(&listen)
        .send()
        .await
        .expect("listen");
    assert_eq!(response.status(), 200);
    let mut heard = String::new();
    let mut promoted = false;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !heard.contains("notifications/prompts/list_changed") {
        let chunk =
            tokio::time::timeout_at(deadline, response.chunk()).await.expect("in time").expect("a chunk");
        heard.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
        if !promoted && heard.contains("acknowledged") {
            app.post("/v1/manage/prompts/greet/versions/1/promote", json!({})).await;
            promoted = true;
        }
    }
    assert!(promoted, "{heard}");
}
