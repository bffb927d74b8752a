//! Rollouts over HTTP: start on live, read by unit (`?unit=` or the `PromptVault-Unit`
//! header) with the split in the body, change the share, abort; refusals in the API's words.

use reqwest::Method;
use serde_json::{Value, json};

use crate::code::cli;
use crate::dashboard::{call, sign_in_as};
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

#[tokio::test]
async fn the_command_line_starts_sets_and_completes_a_rollout_and_shows_the_fleet() {
    let (app, key) = app().await;
    let token = app.token.clone().expect("token");
    let run = |args: &'static [&'static str]| cli(&app.base, &token, args);
    let started = run(&[
        "prompts",
        "rollout",
        "support/triage",
        "start",
        "2",
        "--percent",
        "5",
        "--ramp",
        "25,50",
        "--every",
        "10",
        "--max-failure-increase",
        "2",
    ])
    .await;
    assert_eq!(started.code, 2, "{}", started.stderr);
    assert!(
        started.stdout.contains("rolling v2 out, 5 % of units read it, the rest v1"),
        "{}",
        started.stdout
    );
    assert!(started.stdout.contains("then 25 % after 10 minutes"), "{}", started.stdout);
    assert!(
        started.stdout.contains("more than 2 points more often than v1, after 500 uses"),
        "{}",
        started.stdout
    );
    let set = run(&["prompts", "rollout", "support/triage", "set", "40"]).await;
    assert!(set.code == 2 && set.stdout.contains("40 % of units"), "{}{}", set.stdout, set.stderr);
    let again = run(&["prompts", "rollout", "support/triage", "start", "2"]).await;
    assert!(again.code == 3 && again.stderr.contains("409"), "{}", again.stderr);
    let completed = run(&["prompts", "rollout", "support/triage", "complete"]).await;
    assert!(completed.stdout.contains("live is on v2"), "{}{}", completed.stdout, completed.stderr);
    assert_eq!(read_as(&app, &key, "", None).await.1["version"], "v2");
    let shown = run(&["prompts", "rollout", "support/triage"]).await;
    assert!(shown.code == 0 && shown.stdout.contains("completed"), "{}", shown.stdout);

    let fleet = run(&["prompts", "fleet"]).await;
    assert!(fleet.stdout.contains("No application has reported"), "{}", fleet.stdout);
    let named = app
        .client
        .get(format!("{}/v1/prompts/support%2Ftriage", app.base))
        .bearer_auth(&key)
        .header("PromptVault-App", "support-bot")
        .header("PromptVault-Instance", "i-7");
    assert_eq!(named.send().await.expect("read").status(), 200);
    let fleet = run(&["prompts", "fleet", "support/triage"]).await;
    assert!(
        fleet.stdout.contains("v2: 1 instances now, 1 in 5 min; 0 uses"),
        "{}{}",
        fleet.stdout,
        fleet.stderr
    );
}

#[tokio::test]
async fn reads_and_streams_that_name_their_client_show_in_the_fleet() {
    let (app, key) = app().await;
    let get = |app_header: Option<&str>, instance: Option<&str>| {
        let mut request =
            app.client.get(format!("{}/v1/prompts/support%2Ftriage", app.base)).bearer_auth(&key);
        if let Some(name) = app_header {
            request = request.header("PromptVault-App", name);
        }
        if let Some(id) = instance {
            request = request.header("PromptVault-Instance", id);
        }
        async move { read(request.send().await.expect("send")).await }
    };
    assert_eq!(get(Some("support-bot"), Some("i-1")).await.0, 200);
    let (status, error) = get(Some("support-bot"), None).await;
    assert!(
        status == 400 && error_message(&error, "bad_request").contains("PromptVault-Instance"),
        "{error}"
    );
    assert_eq!(get(Some(&"a".repeat(101)), Some("i-1")).await.0, 422);

    // A stream naming its client: the version it is sent counts as served to it.
    let mut stream = app
        .client
        .get(format!("{}/v1/stream", app.base))
        .bearer_auth(&key)
        .header("PromptVault-App", "support-bot")
        .header("PromptVault-Instance", "i-2")
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let first = stream.chunk().await.expect("chunk").expect("the first event");
    assert!(String::from_utf8_lossy(&first).contains("event: prompt"));
    let (_, fleet) = app.get("/v1/manage/fleet?prompt=support%2Ftriage&label=live").await;
    let v1 = &fleet["items"][0]["versions"][0];
    assert_eq!(
        (&v1["version"], &v1["instances_now"], &v1["uses_60m"]),
        (&json!("v1"), &json!(2), &json!(0)),
        "{fleet}"
    );
}

#[tokio::test]
async fn the_langfuse_api_and_mcp_serve_a_unit_its_side() {
    let (app, key) = app().await;
    let rollout = format!("{PROMPT}/labels/live/rollout");
    assert_eq!(app.post(&rollout, json!({"version": 2, "percent": 100.0})).await.0, 201);
    let langfuse = |query: &str| {
        let request = app
            .client
            .get(format!("{}/api/public/v2/prompts/support%2Ftriage{query}", app.base))
            .basic_auth("pk-lf-1", Some(&key));
        async move { read(request.send().await.expect("send")).await }
    };
    assert_eq!(langfuse("").await.1["version"], 1, "Langfuse's SDKs send no unit: the current version");
    assert_eq!(langfuse("?unit=ada").await.1["version"], 2);
    assert_eq!(langfuse(&format!("?unit={}", "u".repeat(300))).await.0, 400);

    let get = r#"{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"support/triage","arguments":{}}}"#;
    let mcp = |unit: Option<&str>| {
        let mut request = app
            .client
            .post(format!("{}/mcp", app.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .body(get);
        if let Some(unit) = unit {
            request = request.header("PromptVault-Unit", unit);
        }
        async move {
            let text = request.send().await.expect("mcp").text().await.expect("body");
            let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            body["result"]["messages"][0]["content"]["text"].clone()
        }
    };
    assert_eq!(mcp(None).await, "one", "an agent naming no unit: the current version");
    assert_eq!(mcp(Some("ada")).await, "two");
}

#[tokio::test]
async fn a_token_made_in_the_dashboard_to_abort_rollouts_aborts_one_and_is_refused_the_rest() {
    use app::api::CreateAccessToken;
    use leptos::server_fn::ServerFn;
    let (app, _key) = app().await;
    let rollout = format!("{PROMPT}/labels/live/rollout");
    assert_eq!(app.post(&rollout, json!({"version": 2, "percent": 10.0})).await.0, 201);
    let cookie = sign_in_as(&app, "ada@example.com", "correct horse").await;
    let form = [("name", "canary watcher"), ("abort_only", "on")];
    let (status, made) = call(&app, CreateAccessToken::PATH, &form, Some(&cookie)).await;
    assert_eq!(status, 200, "{made}");
    let watcher = made["secret"].as_str().expect("the token").to_owned();
    let as_watcher = |method: Method, path: String, body: Option<Value>| {
        let mut request = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(&watcher);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { read(request.send().await.expect("send")).await }
    };
    let (status, error) = as_watcher(Method::GET, "/v1/manage/prompts".into(), None).await;
    assert!(status == 403 && error_message(&error, "forbidden").contains("only aborts rollouts"), "{error}");
    let (status, _) = as_watcher(Method::PATCH, rollout.clone(), Some(json!({"percent": 50.0}))).await;
    assert_eq!(status, 403, "it cannot raise the share");
    let (status, aborted) =
        as_watcher(Method::POST, format!("{rollout}/abort"), Some(json!({"reason": "errors up"}))).await;
    assert_eq!(
        (status, &aborted["state"], &aborted["reason"]),
        (200, &json!("aborted"), &json!("errors up"))
    );
    let (_, tokens) = app.get("/v1/manage/tokens").await;
    assert!(tokens["items"].as_array().expect("tokens").iter().any(|t| t["abort_only"] == true), "{tokens}");
}

#[tokio::test]
async fn under_review_a_rollout_is_requested_and_another_member_approves_it() {
    let (app, _key) = app().await;
    let editor = crate::team::invite_and_join(&app, "editor@example.com", "editor").await;
    let (status, _) =
        app.call(Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": "review"}))).await;
    assert_eq!(status, 200);
    let rollout = format!("{PROMPT}/labels/live/rollout");
    let (status, error) = app.post(&rollout, json!({"version": 2, "percent": 10.0})).await;
    assert!(status == 409 && error_message(&error, "review_required").contains("request it"), "{error}");
    let (status, asked) = app
        .post(&format!("{rollout}/request"), json!({"version": 2, "percent": 10.0, "note": "canary"}))
        .await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!((&asked["action"], &asked["rollout"]["percent"]), (&json!("rollout"), &json!(10.0)));
    let (status, _) = app.post(&format!("/v1/manage/requests/{}/approve", asked["id"]), json!({})).await;
    assert_eq!(status, 403, "not one's own request");
    let approve = format!("/v1/manage/requests/{}/approve", asked["id"]);
    let (status, body) = crate::team::call_as(&app, &editor, Method::POST, &approve, None).await;
    assert_eq!(status, 200, "{body}");
    let (_, running) = app.get(&rollout).await;
    assert_eq!((&running["state"], &running["percent"]), (&json!("running"), &json!(10.0)));

    // The dashboard's forms request the share and the completion with a note.
    use app::api::{ChangeRollout, CompleteRollout};
    use leptos::server_fn::ServerFn;
    let cookie = sign_in_as(&app, "ada@example.com", "correct horse").await;
    let common = [("name", "support/triage"), ("label", "live"), ("number", "2"), ("back", "")];
    let share = [&common[..], &[("percent", "25"), ("note", "more")]].concat();
    let (status, body) = call(&app, ChangeRollout::PATH, &share, Some(&cookie)).await;
    assert!(status < 400, "{status} {body}");
    let done = [&common[..], &[("note", "ship it")]].concat();
    let (status, body) = call(&app, CompleteRollout::PATH, &done, Some(&cookie)).await;
    assert!(status < 400, "{status} {body}");
    let (_, open) = app.get("/v1/manage/requests?state=open").await;
    let asked: Vec<_> =
        open["items"].as_array().expect("requests").iter().map(|r| r["action"].clone()).collect();
    assert_eq!(asked, [json!("promote"), json!("rollout")], "{open}");
    let (_, still) = app.get(&rollout).await;
    assert_eq!(still["percent"], 10.0, "a request changes nothing until approved");
    let token = app.token.clone().expect("token");
    let asked =
        cli(&app.base, &token, &["prompts", "rollout", "support/triage", "set", "30", "--request", "cli"])
            .await;
    assert!(
        asked.code == 2 && asked.stdout.contains("requested (request"),
        "{}{}",
        asked.stdout,
        asked.stderr
    );
    let refused = cli(&app.base, &token, &["prompts", "rollout", "support/triage", "set", "30"]).await;
    assert!(refused.code == 3 && refused.stderr.contains("request it"), "{}", refused.stderr);
}
