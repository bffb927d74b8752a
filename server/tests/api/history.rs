//! Reading long histories over HTTP: pages, search, the diff, the activity log, and
//! everything still there after a restart.

use serde_json::{Value, json};

use crate::helpers::{error_message, spawn_app, spawn_app_in};

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

#[tokio::test]
async fn history_pages_follow_the_cursor() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for i in 1..=5 {
        app.post(&format!("{PROMPT}/versions"), json!({"source": format!("text {i}")})).await;
    }
    let mut numbers = Vec::new();
    let mut path = format!("{PROMPT}/versions?limit=2");
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200);
        numbers.extend(page["items"].as_array().expect("items").iter().filter_map(|v| v["number"].as_i64()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{PROMPT}/versions?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(numbers, [5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn q_searches_messages_and_authors_in_a_prompt_and_across_the_workspace() {
    let mut app = spawn_app().await;
    app.set_up().await;
    for name in ["support/triage", "billing/refunds"] {
        app.post("/v1/manage/prompts", json!({"name": name})).await;
    }
    let saves = [
        ("support/triage", "Tighten the refund policy"),
        ("support/triage", "Friendlier greeting"),
        ("billing/refunds", "Refund limits per country"),
    ];
    for (name, message) in saves {
        let path = format!("/v1/manage/prompts/{}/versions", name.replace('/', "%2F"));
        let (status, _) = app.post(&path, json!({"source": "text", "message": message})).await;
        assert_eq!(status, 201);
    }
    // Searchable within a second of the save (the feed is applied in order: once the last
    // save is found, so are the others).
    let started = std::time::Instant::now();
    let found = loop {
        let (status, found) = app.get("/v1/manage/search?q=refund").await;
        assert_eq!(status, 200, "{found}");
        if found["items"].as_array().is_some_and(|items| items.len() == 2) {
            break found;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "not searchable within 1 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let (status, page) = app.get(&format!("{PROMPT}/versions?q=refund")).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["version"], "v1");
    assert_eq!(page["items"][0]["source"], "text", "the version JSON, source included");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["next_cursor"], Value::Null);

    let (status, page) = app.get(&format!("{PROMPT}/versions?q=ada%20greeting")).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["version"], "v2", "by author and message together");
    let (status, page) = app.get(&format!("{PROMPT}/versions?q=%22unclosed%20(")).await;
    assert_eq!((status, page["items"].as_array().map(Vec::len)), (200, Some(0)), "lenient: {page}");

    let hits: Vec<(String, String)> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|hit| {
            (
                hit["prompt"].as_str().unwrap_or("").to_owned(),
                hit["version"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected =
        [("billing/refunds", "v1"), ("support/triage", "v1")].map(|(p, v)| (p.to_owned(), v.to_owned()));
    assert_eq!(hits, expected);
    assert!(found["items"][0].get("source").is_none());
    let (status, body) = app.get("/v1/manage/search?q=refund&cursor=tampered").await;
    assert_eq!(status, 400);
    error_message(&body, "malformed");
}

#[tokio::test]
async fn everything_is_there_after_a_restart() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    app.post(&format!("{PROMPT}/versions"), json!({"source": "kept"})).await;
    app.post(&format!("{PROMPT}/versions/1/promote"), json!({})).await;
    let token = app.token.clone();
    let dir = app.stop().await;

    let mut app = spawn_app_in(dir).await;
    app.token = token;
    let (status, state) = app.get(PROMPT).await;
    assert_eq!((status, &state["live"], &state["versions"]), (200, &json!("v1"), &json!(1)));
    let (_, v1) = app.get(&format!("{PROMPT}/versions/1")).await;
    assert_eq!(v1["source"], "kept");
    let (_, v2) = app.post(&format!("{PROMPT}/versions"), json!({"source": "after"})).await;
    assert_eq!(v2["version"], "v2");
}

#[tokio::test]
async fn the_diff_between_two_versions() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    app.post(&format!("{PROMPT}/versions"), json!({"source": "Be brief.\nBe kind.\n"})).await;
    app.post(&format!("{PROMPT}/versions"), json!({"source": "Be brief.\nBe very kind.\n"})).await;

    // By default against the version before.
    let (status, diff) = app.get(&format!("{PROMPT}/diff?to=v2")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&diff["from"], &diff["to"], &diff["added"], &diff["removed"]),
        (&json!("v1"), &json!("v2"), &json!(1), &json!(1))
    );
    assert_eq!(diff["rows"][0], json!({"kind": "same", "old_line": 1, "new_line": 1, "text": "Be brief."}));
    let changed = &diff["rows"][1];
    assert_eq!(changed["kind"], "changed");
    let emphasised: Vec<_> = changed["new"]["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .filter(|s| s["changed"] == true)
        .map(|s| s["text"].as_str().unwrap_or_default().trim().to_owned())
        .collect();
    assert_eq!(emphasised, ["very"]);

    // v1 against nothing before it: everything added. Unknown versions are 404.
    let (_, first) = app.get(&format!("{PROMPT}/diff?to=1")).await;
    assert_eq!((&first["from"], &first["added"]), (&json!(null), &json!(2)));
    assert_eq!(app.get(&format!("{PROMPT}/diff?from=9&to=1")).await.0, 404);
    assert_eq!(app.get(&format!("{PROMPT}/diff")).await.0, 400);
}

#[tokio::test]
async fn the_activity_log_lists_changes_newest_first_filtered_and_paged() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    app.post(&format!("{PROMPT}/versions"), json!({"source": "one", "message": "first"})).await;
    app.post(&format!("{PROMPT}/versions/1/promote"), json!({})).await;
    app.post("/v1/manage/prompts", json!({"name": "other"})).await;

    let (status, page) = app.get("/v1/manage/activity").await;
    assert_eq!(status, 200, "{page}");
    let kinds: Vec<&str> =
        page["items"].as_array().into_iter().flatten().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["prompt.created", "version.promoted", "version.saved", "prompt.created"]);
    let promoted = &page["items"][1];
    assert_eq!(
        (&promoted["prompt"], &promoted["actor"], &promoted["details"]["to"]),
        (&json!("support/triage"), &json!("Ada"), &json!("v1"))
    );

    let (_, filtered) = app
        .get("/v1/manage/activity?prompt=support%2Ftriage&kind=version.saved&member=ada%40example.com")
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1), "{filtered}");
    let (_, first) = app.get("/v1/manage/activity?limit=3").await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, rest) = app.get(&format!("/v1/manage/activity?limit=3&cursor={cursor}")).await;
    assert_eq!((rest["items"].as_array().map(Vec::len), &rest["next_cursor"]), (Some(1), &Value::Null));

    let (status, body) = app.get("/v1/manage/activity?kind=everything").await;
    assert_eq!(status, 422);
    error_message(&body, "invalid");
}
