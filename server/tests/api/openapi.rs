//! `GET /v1/openapi.json` describes every `/v1` call, and every call it describes is served.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{read, spawn_app};

/// Every `/v1` route, as `(method, path)`.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/prompts/{name}"),
    ("get", "/stream"),
    ("post", "/setup"),
    ("post", "/manage/prompts"),
    ("get", "/manage/prompts"),
    ("get", "/manage/prompts/{name}"),
    ("get", "/manage/prompts/{name}/versions"),
    ("post", "/manage/prompts/{name}/versions"),
    ("get", "/manage/prompts/{name}/versions/{n}"),
    ("patch", "/manage/prompts/{name}/versions/{n}"),
    ("delete", "/manage/prompts/{name}/versions/{n}"),
    ("post", "/manage/prompts/{name}/versions/{n}/promote"),
    ("post", "/manage/prompts/{name}/rollback"),
    ("put", "/manage/prompts/{name}/staging"),
    ("get", "/manage/prompts/{name}/deployments"),
    ("get", "/manage/prompts/{name}/diff"),
    ("get", "/manage/search"),
    ("post", "/manage/push"),
    ("post", "/manage/imports/langfuse"),
    ("get", "/manage/activity"),
    ("get", "/manage/settings"),
    ("patch", "/manage/settings"),
    ("get", "/manage/tokens"),
    ("post", "/manage/tokens"),
    ("delete", "/manage/tokens/{id}"),
    ("get", "/manage/keys"),
    ("post", "/manage/keys"),
    ("delete", "/manage/keys/{id}"),
    ("post", "/manage/webhooks"),
    ("get", "/manage/webhooks"),
    ("get", "/manage/webhooks/{id}"),
    ("patch", "/manage/webhooks/{id}"),
    ("delete", "/manage/webhooks/{id}"),
    ("post", "/manage/webhooks/{id}/rotate-secret"),
    ("post", "/manage/webhooks/{id}/test"),
    ("get", "/manage/webhooks/{id}/deliveries"),
    ("post", "/manage/webhooks/{id}/deliveries/{event_id}/redeliver"),
    ("post", "/join"),
    ("get", "/manage/members"),
    ("patch", "/manage/members/{id}"),
    ("delete", "/manage/members/{id}"),
    ("post", "/manage/invitations"),
    ("get", "/manage/invitations"),
    ("delete", "/manage/invitations/{id}"),
    ("get", "/manage/workspaces"),
    ("post", "/manage/workspaces"),
    ("post", "/manage/prompts/{name}/requests"),
    ("get", "/manage/requests"),
    ("post", "/manage/requests/{id}/approve"),
    ("post", "/manage/requests/{id}/reject"),
    ("post", "/manage/requests/{id}/cancel"),
];

#[tokio::test]
async fn the_document_lists_every_route_and_nothing_else() {
    let app = spawn_app().await;
    let (status, document) = app.get("/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert_eq!(document["servers"][0]["url"], "/v1");

    let mut documented: Vec<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flatten().map(move |(method, _)| (method.clone(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> =
        ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    expected.sort();
    assert_eq!(documented, expected);

    // Every documented operation names its responses, and the schemas it refers to exist.
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for (method, path) in &expected {
        let operation = &document["paths"][path][method];
        assert!(operation["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
    }
    for name in ["VersionJson", "PromptJson", "ErrorJson", "ApiKeyJson", "ServedPrompt", "SearchHit"] {
        assert!(schemas.contains_key(name), "{name}");
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    for (method, path) in ROUTES {
        let concrete = path.replace("{name}", "support%2Ftriage").replace("{n}", "1").replace("{id}", "1");
        let concrete = if concrete.ends_with("/diff") { format!("{concrete}?to=1") } else { concrete };
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (_, body): (u16, Value) =
            read(app.request(method.clone(), &format!("/v1{concrete}")).send().await.expect("send")).await;
        // Without credentials every route refuses, but none is missing.
        assert_ne!(body["error"]["message"], "no such API route", "{method} {path}");
    }
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
