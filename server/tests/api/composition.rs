//! Composition over HTTP: a prompt that includes another, pinned when promoted and served
//! resolved; where the piece is used; updating its dependents in one release; the pins of a
//! version; and a reference that cannot be pinned refused naming it.

use reqwest::Method;
use serde_json::json;

use crate::code::cli;
use crate::helpers::{TestApp, error_message, spawn_app};

/// Saves `source` as a new version of `name` (made if missing) and promotes it.
async fn publish(app: &TestApp, name: &str, source: &str) {
    let path = format!("/v1/manage/prompts/{}", name.replace('/', "%2F"));
    if app.get(&path).await.0 == 404 {
        app.post("/v1/manage/prompts", json!({"name": name})).await;
    }
    let (status, saved) = app.post(&format!("{path}/versions"), json!({"source": source})).await;
    assert_eq!(status, 201, "{saved}");
    let n = saved["number"].as_i64().expect("number");
    let (status, promoted) = app.call(Method::POST, &format!("{path}/versions/{n}/promote"), None).await;
    assert_eq!(status, 200, "{promoted}");
}

#[tokio::test]
async fn a_piece_is_included_pinned_listed_where_used_and_its_dependents_updated() {
    let mut app = spawn_app().await;
    app.set_up().await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    let key = key["token"].as_str().expect("token").to_owned();
    let tag = "@@@langfusePrompt:name=shared/tone|label=production@@@";
    publish(&app, "shared/tone", "Be kind.").await;
    for name in ["support/reply", "sales/intro"] {
        publish(&app, name, &format!("{name}: {tag}")).await;
    }
    let read = |name: &'static str| {
        let request = app.client.get(format!("{}/v1/prompts/{}", app.base, name.replace('/', "%2F")));
        let request = request.bearer_auth(&key);
        async move { crate::helpers::read(request.send().await.expect("send")).await.1 }
    };
    assert_eq!(read("support/reply").await["source"], "support/reply: Be kind.");

    let (_, used) = app.get("/v1/manage/prompts/shared%2Ftone/dependents").await;
    assert_eq!(
        used["items"][0],
        json!({"prompt": "sales/intro", "labels": [{"label": "live", "version": "v1", "pins": "v1"}], "behind": false})
    );
    publish(&app, "shared/tone", "Be brief.").await;
    assert_eq!(read("support/reply").await["source"], "support/reply: Be kind.", "live stays frozen");
    let (status, updated) =
        app.post("/v1/manage/prompts/shared%2Ftone/dependents/update", json!({"publish": true})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["items"],
        json!([{"prompt": "sales/intro", "from": "v1", "to": "v2", "published": true},
               {"prompt": "support/reply", "from": "v1", "to": "v2", "published": true}])
    );
    assert_eq!(read("support/reply").await["source"], "support/reply: Be brief.");
    let (_, pins) = app.get("/v1/manage/prompts/support%2Freply/versions/2/pins").await;
    assert_eq!(
        pins["items"],
        json!([{"reference": "name=shared/tone|label=production", "prompt": "shared/tone", "version": "v2"}])
    );
    let (_, written) = app.get("/v1/manage/prompts/support%2Freply/versions/2").await;
    assert_eq!(written["source"], format!("support/reply: {tag}"), "the management API shows it as written");

    // The command line lists the same and updates as drafts.
    publish(&app, "shared/tone", "Be calm.").await;
    let token = app.token.clone().expect("token");
    let listed = cli(&app.base, &token, &["prompts", "dependents", "shared/tone"]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("support/reply: live v2 pins v2  (behind)"), "{}", listed.stdout);
    let updated = cli(&app.base, &token, &["prompts", "dependents", "shared/tone", "--update"]).await;
    assert_eq!(updated.code, 2, "{}", updated.stderr);
    assert!(updated.stdout.contains("support/reply: v2 → v3 (a draft)"), "{}", updated.stdout);
    assert_eq!(
        read("support/reply").await["source"],
        "support/reply: Be brief.",
        "drafts change nothing served"
    );

    app.post("/v1/manage/prompts", json!({"name": "broken"})).await;
    let missing = "@@@langfusePrompt:name=nowhere|label=production@@@";
    app.post("/v1/manage/prompts/broken/versions", json!({"source": missing})).await;
    let (status, refused) =
        app.call(Method::POST, "/v1/manage/prompts/broken/versions/1/promote", None).await;
    assert_eq!(status, 422, "{refused}");
    assert!(error_message(&refused, "invalid").contains(missing), "{refused}");
}
