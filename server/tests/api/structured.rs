//! Structured prompts over HTTP: a chat prompt's messages, config and variables through the
//! management API, SDK reads, rollback, the diff and webhooks; and the refusals, each a 422
//! (or 413) naming its field, saving nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};
use crate::receiver::Receiver;

const CHAT: &str = "/v1/manage/prompts/support%2Freply";

fn messages(tone: &str) -> Value {
    json!([
        {"role": "system", "content": format!("Answer for {{{{product}}}} in a {tone} tone.")},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{ question }}"}
    ])
}

async fn chat_app() -> TestApp {
    let dir = tempfile::tempdir().expect("dir");
    // Webhooks to the test's own receiver, on loopback.
    let mut app = spawn_app_with(dir, |config| config.allow_private_webhooks = true).await;
    app.set_up().await;
    let (status, prompt) =
        app.post("/v1/manage/prompts", json!({"name": "support/reply", "type": "chat"})).await;
    assert_eq!((status, &prompt["type"]), (201, &json!("chat")), "{prompt}");
    app
}

#[tokio::test]
async fn a_chat_prompt_round_trips_with_messages_config_and_variables() {
    let app = chat_app().await;
    let config = json!({"model": "gpt-4o", "temperature": 0.2});
    let (status, v1) = app
        .post(
            &format!("{CHAT}/versions"),
            json!({"messages": messages("calm"), "config": config, "message": "first"}),
        )
        .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!((&v1["type"], &v1["messages"], &v1["config"]), (&json!("chat"), &messages("calm"), &config));
    assert_eq!(v1["variables"], json!(["product", "question"]));
    assert!(v1.get("source").is_none());

    // A rewrite of the config alone keeps the messages.
    let patch = json!({"config": {"model": "gpt-4o-mini"}});
    let (status, rewritten) = app.call(Method::PATCH, &format!("{CHAT}/versions/1"), Some(patch)).await;
    assert_eq!(
        (status, &rewritten["config"], &rewritten["messages"]),
        (200, &json!({"model": "gpt-4o-mini"}), &messages("calm"))
    );
    app.post(&format!("{CHAT}/versions/1/promote"), json!({})).await;
    let (status, _) =
        app.post(&format!("{CHAT}/versions"), json!({"messages": messages("warm"), "config": config})).await;
    assert_eq!(status, 201);
    app.post(&format!("{CHAT}/versions/2/promote"), json!({})).await;

    // The SDK read carries the type, messages, config and variables.
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    let key = key["token"].as_str().expect("key");
    let read = app.client.get(format!("{}/v1/prompts/support%2Freply", app.base)).bearer_auth(key);
    let served: Value = read.send().await.expect("read").json().await.expect("json");
    assert_eq!(
        (&served["type"], &served["messages"], &served["config"]),
        (&json!("chat"), &messages("warm"), &config)
    );
    assert_eq!(served["variables"], json!(["product", "question"]));

    // The list and the diff.
    let (_, listed) = app.get(&format!("{CHAT}/versions")).await;
    assert_eq!(
        (&listed["items"][0]["type"], &listed["items"][0]["variables"]),
        (&json!("chat"), &json!(["product", "question"]))
    );
    let (status, diff) = app.get(&format!("{CHAT}/diff?from=1&to=2")).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["messages"][0]["kind"], "changed");
    assert_eq!(
        (&diff["messages"][1]["kind"], &diff["messages"][2]["kind"]),
        (&json!("same"), &json!("same"))
    );
    assert_eq!(
        diff["config"],
        json!([
            {"key": "model", "old": "gpt-4o-mini", "new": "gpt-4o"},
            {"key": "temperature", "old": null, "new": 0.2}
        ])
    );

    // Rolling back hands the editor the messages and config of the version rolled back to.
    let (status, rolled) = app.post(&format!("{CHAT}/rollback"), json!({"version": 1})).await;
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(
        (&rolled["editor"]["messages"], &rolled["editor"]["config"]),
        (&messages("calm"), &json!({"model": "gpt-4o-mini"}))
    );
}

#[tokio::test]
async fn bad_structured_input_is_a_422_naming_the_field_and_saves_nothing() {
    let app = chat_app().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    let text = "/v1/manage/prompts/support%2Ftriage";
    let big = json!({"notes": "x".repeat(70 * 1024)});
    let cases = [
        (CHAT, json!({"messages": []}), 422, "messages"),
        (CHAT, json!({"messages": [{"role": "", "content": "x"}]}), 422, "messages"),
        (CHAT, json!({"messages": [{"type": "placeholder", "name": "1st"}]}), 422, "messages"),
        (
            CHAT,
            json!({"messages": [{"role": "user", "content": "{{history}}"}, {"type": "placeholder", "name": "history"}]}),
            422,
            "messages",
        ),
        (CHAT, json!({"source": "text for a chat prompt"}), 422, "source"),
        (CHAT, json!({"source": "x", "messages": messages("calm")}), 422, "messages"),
        (CHAT, json!({"messages": messages("calm"), "config": [1, 2]}), 422, "config"),
        (CHAT, json!({"messages": messages("calm"), "config": "{\"model\": \"gpt-4o\"}"}), 422, "config"),
        (CHAT, json!({"messages": messages("calm"), "config": big}), 413, "config"),
        (text, json!({"messages": messages("calm")}), 422, "messages"),
    ];
    for (prompt, body, expected, field) in cases {
        let (status, answer) = app.post(&format!("{prompt}/versions"), body.clone()).await;
        assert_eq!((status, &answer["error"]["field"]), (expected, &json!(field)), "{body} → {answer}");
    }
    let (status, answer) = app.post("/v1/manage/prompts", json!({"name": "x/y", "type": "image"})).await;
    assert_eq!((status, &answer["error"]["field"]), (422, &json!("type")), "{answer}");
    for prompt in [CHAT, text] {
        assert_eq!(app.get(prompt).await.1["versions"], 0, "nothing saved in {prompt}");
    }
}

#[tokio::test]
async fn webhook_bodies_carry_the_type_config_and_variables() {
    let app = chat_app().await;
    let receiver = Receiver::start(&[]).await;
    let (status, _) =
        app.post("/v1/manage/webhooks", json!({"url": receiver.url, "events": ["version.promoted"]})).await;
    assert_eq!(status, 201);
    let config = json!({"model": "gpt-4o"});
    app.post(&format!("{CHAT}/versions"), json!({"messages": messages("calm"), "config": config})).await;
    app.post(&format!("{CHAT}/versions/1/promote"), json!({})).await;
    let received = receiver.wait_for(1, std::time::Duration::from_secs(10)).await;
    let event: Value = serde_json::from_str(&received[0].body).expect("event");
    let version = &event["version"];
    assert_eq!(
        (&version["type"], &version["config"], &version["variables"]),
        (&json!("chat"), &config, &json!(["product", "question"]))
    );
}
