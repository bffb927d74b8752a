//! `GET /v1/openapi.json` describes every `/v1` call, and every call it describes is served.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{read, spawn_app};

/// The document's operations, as `(method, path)`.
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut operations: Vec<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flatten().map(move |(method, _)| (method.clone(), path.clone()))
        })
        .collect();
    operations.sort();
    operations
}

/// The router and the document are built from the same annotations (`routes!` in each API
/// module, and the two read routes named in the document's `paths`), so there is no list of
/// routes to keep here: the document must describe a whole API, and every operation it
/// describes must be served.
#[tokio::test]
async fn the_document_describes_the_api() {
    let app = spawn_app().await;
    let (status, document) = app.get("/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert_eq!(document["servers"][0]["url"], "/v1");

    let operations = operations(&document);
    // The SDK read, the stream, set-up and joining, and management: a document that lost
    // a module's routes fails here.
    for expected in [
        ("get", "/prompts/{name}"),
        ("get", "/stream"),
        ("post", "/setup"),
        ("post", "/join"),
        ("post", "/manage/prompts/{name}/versions/{n}/promote"),
        ("get", "/manage/search"),
        ("post", "/manage/push"),
        ("patch", "/manage/settings"),
        ("post", "/manage/invitations"),
        ("post", "/manage/requests/{id}/approve"),
        ("get", "/manage/webhooks/{id}/deliveries"),
    ] {
        assert!(
            operations.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} is not documented"
        );
    }
    assert!(operations.len() >= 50, "only {} operations documented", operations.len());

    // Every documented operation names its responses, and the schemas it refers to exist.
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for (method, path) in &operations {
        let operation = &document["paths"][path][method];
        assert!(operation["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
    }
    let text = document.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        assert!(schemas.contains_key(&name), "{name} is referred to but not defined");
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_and_nothing_else() {
    let app = spawn_app().await;
    let (_, document) = app.get("/v1/openapi.json").await;
    for (method, path) in operations(&document) {
        let concrete = path.replace("{name}", "support%2Ftriage").replace("{n}", "1").replace("{id}", "1");
        let concrete = concrete.replace("{event_id}", "evt_1");
        let concrete = if concrete.ends_with("/diff") { format!("{concrete}?to=1") } else { concrete };
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (_, body): (u16, Value) =
            read(app.request(method.clone(), &format!("/v1{concrete}")).send().await.expect("send")).await;
        // Without credentials every route refuses, but none is missing.
        assert_ne!(body["error"]["message"], "no such API route", "{method} {path}");
    }
    // And a route that is not documented is not served.
    let (status, body): (u16, Value) =
        read(app.request(Method::GET, "/v1/manage/nothing-here").send().await.expect("send")).await;
    assert_eq!((status, body["error"]["message"].as_str()), (404, Some("no such API route")));
}

#[tokio::test]
async fn the_error_body_documents_every_code() {
    let app = spawn_app().await;
    let (_, document) = app.get("/v1/openapi.json").await;
    let text = document.to_string();
    let api_only = ["bad_request", "unsupported_media_type"];
    for code in vault::VaultError::codes().into_iter().chain(api_only) {
        assert!(text.contains(&format!("`{code}`")), "the error body does not document {code}");
    }
}
