//! Webhooks end to end: the real server delivering to a real receiver over HTTP.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Process, TestApp, error_message, spawn_app_with};
use crate::receiver::{Receiver, Reply};

const PROMPT: &str = "/v1/manage/prompts/support%2Ftriage";

/// A server that may call 127.0.0.1, retrying after 200 ms, 600 ms, …
async fn app_calling_localhost() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| {
        config.allow_private_webhooks = true;
        config.webhook_retry_base_ms = 200;
    })
    .await;
    set_up_prompt(&mut app).await;
    app
}

async fn set_up_prompt(app: &mut TestApp) {
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for i in 1..=2 {
        let (status, _) = app
            .post(
                &format!("{PROMPT}/versions"),
                json!({"source": format!("text {i}"), "message": format!("change {i}")}),
            )
            .await;
        assert_eq!(status, 201);
    }
}

async fn add_webhook(app: &TestApp, url: &str, enabled: bool) -> (i64, String) {
    let (status, made) = app
        .post(
            "/v1/manage/webhooks",
            json!({"url": url, "events": ["version.promoted", "version.rolled_back"], "enabled": enabled}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    (made["id"].as_i64().expect("id"), made["secret"].as_str().expect("secret").to_owned())
}

async fn promote(app: &TestApp, n: u32) {
    let (status, body) = app.post(&format!("{PROMPT}/versions/{n}/promote"), json!({})).await;
    assert_eq!(status, 200, "{body}");
}

async fn attempts(app: &TestApp, webhook: i64) -> Vec<Value> {
    let (status, log) = app.get(&format!("/v1/manage/webhooks/{webhook}/deliveries")).await;
    assert_eq!(status, 200, "{log}");
    log["items"].as_array().expect("items").clone()
}

/// Polls the delivery log until `check` holds, failing after `within`.
async fn log_until(
    app: &TestApp,
    webhook: i64,
    within: Duration,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let log = attempts(app, webhook).await;
        if check(&log) {
            return log;
        }
        assert!(started.elapsed() < within, "delivery log never got there: {log:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_promotion_reaches_the_receiver_once_signed() {
    let app = app_calling_localhost().await;
    let receiver = Receiver::start(&[]).await;
    let (webhook, secret) = add_webhook(&app, &receiver.url, true).await;
    promote(&app, 1).await;

    let received = receiver.wait_for(1, Duration::from_secs(5)).await;
    let delivery = &received[0];
    promptvault::webhooks::verify_signature(
        &secret,
        delivery.header("promptvault-signature"),
        delivery.body.as_bytes(),
    )
    .expect("the signature verifies");
    let body: Value = serde_json::from_str(&delivery.body).expect("json body");
    assert_eq!(delivery.header("promptvault-event"), "version.promoted");
    assert_eq!(delivery.header("promptvault-delivery"), body["id"].as_str().expect("id"));
    assert_eq!(delivery.header("content-type"), "application/json");
    assert_eq!((&body["type"], &body["api_version"]), (&json!("version.promoted"), &json!("v1")));
    assert_eq!((&body["workspace"], &body["prompt"]), (&json!("Acme"), &json!("support/triage")));
    assert_eq!(body["version"]["version"], "v1");
    assert_eq!(body["previous"], Value::Null);
    assert_eq!(body["actor"], json!({"name": "Ada", "email": "ada@example.com"}));
    // The SDK reads the body as the one typed event the server writes.
    let event: promptvault::webhooks::Event = serde_json::from_str(&delivery.body).expect("a typed event");
    assert_eq!(
        (event.kind, event.version.map(|v| v.number)),
        (promptvault::webhooks::EventKind::VersionPromoted, Some(1))
    );

    // Another secret does not verify; the log shows the one attempt, delivered.
    assert!(
        promptvault::webhooks::verify_signature(
            "whsec_wrong",
            delivery.header("promptvault-signature"),
            delivery.body.as_bytes()
        )
        .is_err()
    );
    let log = log_until(&app, webhook, Duration::from_secs(2), |log| !log.is_empty()).await;
    assert_eq!(
        (&log[0]["status_code"], &log[0]["delivery"], &log[0]["attempt"]),
        (&json!(200), &json!("delivered"), &json!(1))
    );
    assert_eq!(log[0]["event_id"], body["id"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "delivered once");

    // The deployments timeline names the same event.
    let (_, moves) = app.get(&format!("{PROMPT}/deployments")).await;
    assert_eq!(moves["items"][0]["event_id"], body["id"]);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_three_attempts_with_growing_gaps() {
    let app = app_calling_localhost().await;
    let receiver = Receiver::start(&[Reply::Status(500), Reply::Status(503)]).await;
    let (webhook, _) = add_webhook(&app, &receiver.url, true).await;
    promote(&app, 1).await;

    let received = receiver.wait_for(3, Duration::from_secs(5)).await;
    let ids: Vec<&str> = received.iter().map(|r| r.header("promptvault-delivery")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "the same event each time");
    let first_gap = received[1].at - received[0].at;
    let second_gap = received[2].at - received[1].at;
    assert!(first_gap >= Duration::from_millis(200), "{first_gap:?}");
    assert!(second_gap > first_gap, "{first_gap:?} then {second_gap:?}");

    let log = log_until(&app, webhook, Duration::from_secs(2), |log| log.len() == 3).await;
    let codes: Vec<&Value> = log.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(codes, [&json!(200), &json!(503), &json!(500)], "newest first");
    assert!(log.iter().all(|a| a["delivery"] == "delivered"));
    assert!(log[1]["error"].as_str().is_some_and(|e| e.contains("503")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);

    // Redeliver sends it once more.
    let event = log[0]["event_id"].as_str().expect("event id");
    let (status, _) =
        app.post(&format!("/v1/manage/webhooks/{webhook}/deliveries/{event}/redeliver"), json!({})).await;
    assert_eq!(status, 202);
    receiver.wait_for(4, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_disabled_webhook_receives_nothing() {
    let app = app_calling_localhost().await;
    let receiver = Receiver::start(&[]).await;
    let (disabled, _) = add_webhook(&app, &receiver.url, false).await;
    let (switched_off, _) = add_webhook(&app, &receiver.url, true).await;
    let (status, body) = app
        .call(Method::PATCH, &format!("/v1/manage/webhooks/{switched_off}"), Some(json!({"enabled": false})))
        .await;
    assert_eq!((status, &body["enabled"]), (200, &json!(false)));
    promote(&app, 1).await;
    let (status, body) = app.post(&format!("/v1/manage/webhooks/{disabled}/test"), json!({})).await;
    assert_eq!(status, 409);
    error_message(&body, "webhook_disabled");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(receiver.received().is_empty());
    assert!(attempts(&app, disabled).await.is_empty());

    // Enabled again, it gets the test event (and only what happens from now on).
    app.call(Method::PATCH, &format!("/v1/manage/webhooks/{disabled}"), Some(json!({"enabled": true}))).await;
    let (status, queued) = app.post(&format!("/v1/manage/webhooks/{disabled}/test"), json!({})).await;
    assert_eq!(status, 202);
    let received = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received[0].header("promptvault-event"), "webhook.test");
    assert_eq!(received[0].header("promptvault-delivery"), queued["event_id"].as_str().expect("event id"));
}

#[tokio::test]
async fn private_addresses_are_refused_unless_the_server_allows_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| config.webhook_retry_base_ms = 60_000).await;
    set_up_prompt(&mut app).await;
    let receiver = Receiver::start(&[]).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (literal, _) = add_webhook(&app, &receiver.url, true).await;
    let (named, _) = add_webhook(&app, &by_name, true).await;
    promote(&app, 1).await;

    for webhook in [literal, named] {
        let log = log_until(&app, webhook, Duration::from_secs(5), |log| !log.is_empty()).await;
        let error = log[0]["error"].as_str().expect("error");
        assert!(error.contains("loopback, private or link-local"), "{error}");
        if webhook == named {
            assert!(
                !error.contains("127.0.0.1") && !error.contains("::1"),
                "no internal address shown: {error}"
            );
        }
        assert_eq!((&log[0]["status_code"], &log[0]["delivery"]), (&Value::Null, &json!("pending")));
    }
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn the_webhook_lifecycle_through_the_api() {
    let app = app_calling_localhost().await;
    let (id, secret) = add_webhook(&app, "https://hooks.example.com/pv", true).await;
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = app.get("/v1/manage/webhooks").await;
    assert_eq!(listed["items"][0]["events"], json!(["version.promoted", "version.rolled_back"]));
    assert!(listed["items"][0].get("secret").is_none(), "the secret is shown once");
    let (status, rotated) = app.post(&format!("/v1/manage/webhooks/{id}/rotate-secret"), json!({})).await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"].as_str(), Some(secret.as_str()));
    let (status, changed) = app
        .call(Method::PATCH, &format!("/v1/manage/webhooks/{id}"), Some(json!({"events": ["draft.deleted"]})))
        .await;
    assert_eq!((status, &changed["events"]), (200, &json!(["draft.deleted"])));
    let (status, body) =
        app.post("/v1/manage/webhooks", json!({"url": "nope", "events": ["version.promoted"]})).await;
    assert_eq!(status, 422);
    assert!(error_message(&body, "invalid").contains("URL"));
    let (status, _) = app.call(Method::DELETE, &format!("/v1/manage/webhooks/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = app.get(&format!("/v1/manage/webhooks/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_server_killed_between_the_promote_and_the_delivery_delivers_after_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The first request hangs: the server is killed while its delivery is in flight.
    let receiver = Receiver::start(&[Reply::Hang]).await;
    let server = Process::start(dir.path()).await;
    let client = reqwest::Client::new();
    let setup: Value = client
        .post(format!("{}/v1/setup", server.base))
        .json(&json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"}))
        .send()
        .await
        .expect("setup")
        .json()
        .await
        .expect("json");
    let token = setup["token"].as_str().expect("token").to_owned();
    let call = |base: &str, path: &str, body: Value| {
        client.post(format!("{base}{path}")).bearer_auth(&token).json(&body).send()
    };
    call(&server.base, "/v1/manage/prompts", json!({"name": "support/triage"})).await.expect("prompt");
    call(&server.base, &format!("{PROMPT}/versions"), json!({"source": "text"})).await.expect("save");
    let webhook = json!({"url": receiver.url, "events": ["version.promoted"]});
    call(&server.base, "/v1/manage/webhooks", webhook).await.expect("webhook");
    let promoted =
        call(&server.base, &format!("{PROMPT}/versions/1/promote"), json!({})).await.expect("promote");
    assert_eq!(promoted.status(), 200);
    let first = receiver.wait_for(1, Duration::from_secs(5)).await;
    server.kill();

    let restarted = Process::start(dir.path()).await;
    let received = receiver.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(
        received[1].header("promptvault-delivery"),
        first[0].header("promptvault-delivery"),
        "the same event, delivered after the restart"
    );
    drop(restarted);
}

#[tokio::test]
async fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
    let elsewhere = Receiver::start(&[]).await;
    let target: &'static str = Box::leak(elsewhere.url.clone().into_boxed_str());
    let receiver = Receiver::start(&[Reply::Redirect(target)]).await;
    let app = app_calling_localhost().await;
    let (webhook, _) = add_webhook(&app, &receiver.url, true).await;
    promote(&app, 1).await;

    let log = log_until(&app, webhook, Duration::from_secs(5), |log| !log.is_empty()).await;
    assert_eq!(log[0]["status_code"], 307, "{log:?}");
    assert!(log[0]["error"].as_str().is_some_and(|e| e.contains("307")), "{log:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(elsewhere.received().is_empty(), "the signed body was not sent on to where it pointed");
}

#[tokio::test]
async fn deliveries_ignore_the_environment_proxy() {
    // A proxy resolves the target itself, past the address checks: the server must not use
    // one even when the environment names it.
    let proxy = Receiver::start(&[]).await;
    let proxy_address = proxy.url.trim_end_matches("/hook").to_owned();
    let receiver = Receiver::start(&[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = crate::helpers::test_database_url(dir.path()).await;
    let env = [
        ("HTTP_PROXY", proxy_address.as_str()),
        ("http_proxy", proxy_address.as_str()),
        ("ALL_PROXY", proxy_address.as_str()),
    ];
    let server = Process::start_with_env(dir.path(), &database_url, &env).await;
    let client = reqwest::Client::new();
    let setup =
        json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"});
    let (_, body) = crate::helpers::read(
        client.post(format!("{}/v1/setup", server.base)).json(&setup).send().await.expect("setup"),
    )
    .await;
    let token = body["token"].as_str().expect("token").to_owned();
    let post = |path: String, body: Value| {
        client.post(format!("{}{path}", server.base)).bearer_auth(&token).json(&body).send()
    };
    post("/v1/manage/prompts".into(), json!({"name": "support/triage"})).await.expect("prompt");
    post(format!("{PROMPT}/versions"), json!({"source": "text"})).await.expect("save");
    post("/v1/manage/webhooks".into(), json!({"url": receiver.url, "events": ["version.promoted"]}))
        .await
        .expect("webhook");
    post(format!("{PROMPT}/versions/1/promote"), json!({})).await.expect("promote");

    receiver.wait_for(1, Duration::from_secs(5)).await;
    assert!(proxy.received().is_empty(), "nothing went through the proxy");
}

#[tokio::test]
async fn a_workspace_with_slow_receivers_does_not_hold_back_another_workspaces_delivery() {
    // Each send to the slow receiver lasts the whole timeout.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| {
        config.allow_private_webhooks = true;
        config.webhook_timeout_ms = 2_000;
    })
    .await;
    set_up_prompt(&mut app).await;
    let slow = Receiver::start(&[Reply::Hang; 400]).await;
    for _ in 0..20 {
        add_webhook(&app, &slow.url, true).await;
    }
    // 20 webhooks × 5 changes: 100 deliveries due at once, far more than the worker sends
    // at a time.
    for n in [1, 2, 1, 2, 1] {
        promote(&app, n).await;
    }
    slow.wait_for(4, Duration::from_secs(5)).await;

    // Another workspace of the same server, with one fast receiver.
    let (status, other) = app.post("/v1/manage/workspaces", json!({"name": "Elsewhere"})).await;
    assert_eq!(status, 201, "{other}");
    let token = crate::dashboard::token_in(&app, "ada@example.com", "correct horse", &other["id"]).await;
    let call = |method: Method, path: &str, body: Value| {
        app.client.request(method, format!("{}{path}", app.base)).bearer_auth(&token).json(&body).send()
    };
    call(Method::POST, "/v1/manage/prompts", json!({"name": "support/triage"})).await.expect("prompt");
    call(Method::POST, &format!("{PROMPT}/versions"), json!({"source": "s", "message": "m"}))
        .await
        .expect("draft");
    let fast = Receiver::start(&[]).await;
    let hook = json!({"url": fast.url, "events": ["version.promoted"], "enabled": true});
    let made = call(Method::POST, "/v1/manage/webhooks", hook).await.expect("webhook");
    assert_eq!(made.status(), 201);
    let promoted = std::time::Instant::now();
    let answer =
        call(Method::POST, &format!("{PROMPT}/versions/1/promote"), json!({})).await.expect("promote");
    assert_eq!(answer.status(), 200);

    // Its delivery goes out within one round of the slow sends (one timeout), not after
    // the slow workspace's whole backlog.
    let received = fast.wait_for(1, Duration::from_secs(10)).await;
    let waited = received[0].at.duration_since(promoted);
    assert!(waited < Duration::from_secs(2), "the other workspace's delivery waited {waited:?}");
    // Meanwhile the slow workspace had no more than its share in flight: each of its sends
    // lasts the timeout, so those received in the last timeout before are the ones open
    // (twice the share leaves room for a send replacing another at the window's edge).
    let arrived = received[0].at;
    let open = slow
        .received()
        .iter()
        .filter(|r| r.at <= arrived && arrived.duration_since(r.at) < Duration::from_secs(2))
        .count();
    assert!((1..=2 * vault::IN_FLIGHT_PER_WORKSPACE).contains(&open), "{open} slow sends open at once");
}
