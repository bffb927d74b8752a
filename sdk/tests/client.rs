//! The SDK against the real server: caching, background revalidation, the server going
//! away mid-run, fallbacks, eviction on 404.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use promptvault::{Body, ChatMessage, Client, CompileError, Error, MessageRole, PromptType};
use serde_json::{Value, json};
use tempfile::TempDir;

const PROMPT: &str = "support/triage";
const MANAGE: &str = "/v1/manage/prompts/support%2Ftriage";
const CHAT: &str = "support/chat";

/// The real server, in the test's process.
type Server = testkit::RunningServer;

async fn start(dir: &TempDir, addr: SocketAddr) -> Server {
    Server::start(server::Config::for_tests(PathBuf::from(dir.path())), addr).await
}

/// A server with `support/triage` v1 live and v2 a draft; returns the owner's token and a live key.
async fn seeded(dir: &TempDir) -> (Server, String, String) {
    let server = start(dir, "127.0.0.1:0".parse().expect("addr")).await;
    let http = reqwest::Client::new();
    let call = |path: &str, token: Option<&str>, body: Value| {
        let mut request = http.post(format!("{}{path}", server.url())).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("send").json::<Value>().await.unwrap_or(Value::Null) }
    };
    let setup = call(
        "/v1/setup",
        None,
        json!({"workspace": "A", "email": "a@example.com", "password": "long enough", "name": "A"}),
    )
    .await;
    let owner = setup["token"].as_str().expect("token").to_owned();
    call("/v1/manage/prompts", Some(&owner), json!({"name": PROMPT})).await;
    call(&format!("{MANAGE}/versions"), Some(&owner), json!({"source": "one"})).await;
    call(&format!("{MANAGE}/versions"), Some(&owner), json!({"source": "two"})).await;
    call(&format!("{MANAGE}/versions/1/promote"), Some(&owner), json!({})).await;
    call("/v1/manage/prompts", Some(&owner), json!({"name": CHAT, "type": "chat"})).await;
    let messages = json!([
        {"role": "system", "content": "Answer in a {{tone}} tone."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"}
    ]);
    let config = json!({"model": "gpt-4o", "temperature": 0.2});
    let chat = "/v1/manage/prompts/support%2Fchat/versions";
    call(chat, Some(&owner), json!({"messages": messages, "config": config})).await;
    call(&format!("{chat}/1/promote"), Some(&owner), json!({})).await;
    let key = call("/v1/manage/keys", Some(&owner), json!({"kind": "live", "name": "app"})).await;
    (server, owner, key["token"].as_str().expect("key").to_owned())
}

async fn promote(server: &Server, owner: &str, n: i64) {
    let url = format!("{}{MANAGE}/versions/{n}/promote", server.url());
    let status = reqwest::Client::new().post(url).bearer_auth(owner).send().await.expect("promote").status();
    assert_eq!(status, 200);
}

/// Calls `prompt` until it returns `version` (the background refresh has landed).
/// Waits until the client serves `version`, for at most `within`.
async fn serves(client: &Client, version: &str, within: Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        if client.prompt(PROMPT).await.is_ok_and(|p| p.version == version) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the client did not serve {version} within {within:?}");
}

#[tokio::test]
async fn serves_from_cache_within_the_ttl_and_revalidates_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, owner, key) = seeded(&dir).await;
    let long = Client::new(server.url(), &key).expect("client");
    let short = Client::builder(server.url(), &key).ttl(Duration::from_millis(100)).build().expect("client");
    let first = long.prompt(PROMPT).await.expect("fetch");
    assert_eq!(
        (first.version.as_str(), first.text().unwrap_or_default(), first.channel),
        ("v1", "one", Some(promptvault::Channel::Live))
    );
    assert_eq!(short.prompt(PROMPT).await.expect("fetch").version, "v1");

    promote(&server, &owner, 2).await;
    // Within the 60 s TTL: the cached v1, no request.
    assert_eq!(long.prompt(PROMPT).await.expect("cached").version, "v1");
    // Past the TTL: the stale v1 at once, then v2 once the background revalidation lands.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(short.prompt(PROMPT).await.expect("stale").version, "v1");
    serves(&short, "v2", Duration::from_secs(2)).await;
    server.stop().await;
}

#[tokio::test]
async fn keeps_serving_the_last_good_version_when_the_server_stops() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, _owner, key) = seeded(&dir).await;
    let base = server.url();
    let client = Client::builder(&base, &key)
        .ttl(Duration::from_millis(50))
        .fallback("never/fetched", "fallback text")
        .build()
        .expect("client");
    assert_eq!(client.prompt(PROMPT).await.expect("fetch").text(), Some("one"));
    server.stop().await;

    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let prompt = client.prompt(PROMPT).await.expect("last good version");
        assert_eq!((prompt.version.as_str(), prompt.text().unwrap_or_default()), ("v1", "one"));
    }
    let fallback = client.prompt("never/fetched").await.expect("fallback");
    assert!(fallback.is_fallback());
    assert_eq!(fallback.text(), Some("fallback text"));
    assert!(matches!(client.prompt("other/prompt").await, Err(Error::Unavailable(_))));
}

#[tokio::test]
async fn missing_prompts_and_refused_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, _owner, key) = seeded(&dir).await;
    let client = Client::builder(server.url(), &key)
        .fallback("missing/with-fallback", "use me")
        .build()
        .expect("client");
    assert!(matches!(client.prompt("missing/prompt").await, Err(Error::NotFound(_))));
    assert_eq!(client.prompt("missing/with-fallback").await.expect("fallback").text(), Some("use me"));
    let refused = Client::new(server.url(), "pv_live_revoked-or-unknown").expect("client");
    assert!(matches!(refused.prompt(PROMPT).await, Err(Error::Unauthorized)));
    server.stop().await;
}

#[tokio::test]
async fn a_404_on_revalidation_evicts_the_prompt() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, _owner, key) = seeded(&dir).await;
    let addr = server.addr;
    let client = Client::builder(server.url(), &key).ttl(Duration::from_millis(50)).build().expect("client");
    assert_eq!(client.prompt(PROMPT).await.expect("fetch").version, "v1");
    server.stop().await;

    // Behind the server's back, the prompt disappears (renamed); the server restarts on the
    // same address.
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&vault::Vault::sqlite_url(dir.path())).await.expect("db");
        sqlx::query("update prompts set name = 'support/renamed' where name = 'support/triage'")
            .execute(&mut conn)
            .await
            .expect("rename");
    }
    let server = start(&dir, addr).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    // The stale copy triggers a revalidation, which gets 404 and evicts it.
    let _ = client.prompt(PROMPT).await;
    for _ in 0..100 {
        if matches!(client.prompt(PROMPT).await, Err(Error::NotFound(_))) {
            server.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the 404 did not evict the prompt");
}

#[tokio::test]
async fn prompts_compile_with_values_and_history_and_read_their_config() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, _owner, key) = seeded(&dir).await;
    let client = Client::new(server.url(), &key).expect("client");
    let chat = client.prompt(CHAT).await.expect("chat");
    assert_eq!(
        (chat.kind(), chat.variables.as_slice()),
        (PromptType::Chat, ["tone".to_owned(), "question".to_owned()].as_slice())
    );
    let history =
        [ChatMessage::new(MessageRole::User, "Hi"), ChatMessage::new(MessageRole::Assistant, "Hello!")];
    let values = [("tone", "warm"), ("question", "Can I get a refund?")];
    let compiled = chat.compile_with(&values, &[("history", &history)]).expect("compile");
    assert_eq!(
        compiled,
        Body::Chat(vec![
            ChatMessage::new(MessageRole::System, "Answer in a warm tone."),
            history[0].clone(),
            history[1].clone(),
            ChatMessage::new(MessageRole::User, "Can I get a refund?"),
        ])
    );
    assert_eq!(chat.compile(&values), Err(CompileError::MissingPlaceholder("history".into())));
    assert_eq!(
        chat.compile_with(&[("tone", "warm")], &[("history", &history)]),
        Err(CompileError::Missing("question".into()))
    );
    let Body::Chat(lenient) = chat.compile_lenient(&[("tone", "warm")], &[]).expect("small") else {
        panic!("chat")
    };
    assert_eq!(lenient[2], ChatMessage::new(MessageRole::User, "{{question}}"));

    #[derive(serde::Deserialize)]
    struct ModelConfig {
        model: String,
        temperature: f64,
    }
    let config: ModelConfig = chat.config_as().expect("config");
    assert_eq!((config.model.as_str(), config.temperature), ("gpt-4o", 0.2));

    let text = client.prompt(PROMPT).await.expect("text");
    assert_eq!(
        (text.kind(), text.compile(&[]).expect("no variables")),
        (PromptType::Text, Body::Text("one".into()))
    );
    assert_eq!(text.compile(&[("x", "y")]), Err(CompileError::Unknown("x".into())));
    server.stop().await;
}

#[tokio::test]
async fn live_updates_keep_the_cache_current_across_a_server_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, owner, key) = seeded(&dir).await;
    let addr = server.addr;
    let hour = Duration::from_secs(3600);
    let client = Client::builder(server.url(), &key).ttl(hour).live_updates().build().expect("client");
    let polling = Client::builder(server.url(), &key).ttl(hour).build().expect("client");
    assert_eq!(client.prompt(PROMPT).await.expect("fetch").version, "v1");
    assert_eq!(polling.prompt(PROMPT).await.expect("fetch").version, "v1");

    // A promote reaches the application with no request of its own.
    promote(&server, &owner, 2).await;
    serves(&client, "v2", Duration::from_secs(2)).await;
    assert_eq!(polling.prompt(PROMPT).await.expect("cached").version, "v1", "without the stream: the TTL");

    // The server restarts; meanwhile the last good version is served. A rollback made once it
    // is back reaches the client through the resumed stream.
    server.stop().await;
    assert_eq!(client.prompt(PROMPT).await.expect("last good").version, "v2");
    let server = start(&dir, addr).await;
    let rollback = reqwest::Client::new()
        .post(format!("{}{MANAGE}/rollback", server.url()))
        .bearer_auth(&owner)
        .json(&json!({"version": 1}))
        .send()
        .await
        .expect("roll back");
    assert_eq!(rollback.status(), 200);
    serves(&client, "v1", Duration::from_secs(5)).await;

    // Live updates need a runtime to run in.
    let outside =
        std::thread::spawn(move || Client::builder("http://127.0.0.1:9", "k").live_updates().build().err())
            .join()
            .expect("thread");
    assert!(matches!(outside, Some(Error::Config(_))));
    server.stop().await;
}

/// One request warms the whole cache: every prompt the key reads, then served with no other
/// request (the server may even go away).
#[tokio::test]
async fn warming_fills_the_cache_with_every_prompt_in_one_request() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, _owner, key) = seeded(&dir).await;
    let client = Client::new(server.url(), &key).expect("client");
    assert_eq!(client.warm().await.expect("warmed"), 2);
    server.stop().await;
    let triage = client.prompt(PROMPT).await.expect("from the cache");
    assert_eq!((triage.version.as_str(), triage.label.as_deref()), ("v1", Some("live")));
    assert_eq!(client.prompt(CHAT).await.expect("from the cache").kind(), PromptType::Chat);
    let refused = Client::new("http://127.0.0.1:9", &key).expect("client").warm().await;
    assert!(matches!(refused, Err(Error::Unavailable(_))), "{refused:?}");
}

#[tokio::test]
async fn a_unit_reads_the_side_of_a_rollout_the_server_would_serve_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, owner, key) = seeded(&dir).await;
    let started: Value = reqwest::Client::new()
        .post(format!("{}{MANAGE}/labels/live/rollout", server.url()))
        .bearer_auth(&owner)
        .json(&json!({"version": 2, "percent": 30.0}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(started["state"], "running", "{started}");
    let client = Client::new(server.url(), &key).expect("client");
    let http = reqwest::Client::new();
    for i in 0..40 {
        let unit = format!("user-{i}");
        let local = client.prompt_for(PROMPT, &unit).await.expect("read");
        let served: Value = http
            .get(format!("{}/v1/prompts/support%2Ftriage?unit={unit}", server.url()))
            .bearer_auth(&key)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert_eq!(local.version, served["version"].as_str().unwrap_or_default(), "{unit}");
        assert_eq!(local.rollout.as_ref().map(|r| r.to.as_str()), Some("v2"));
    }
    assert_eq!(
        client.prompt(PROMPT).await.expect("no unit").version,
        "v1",
        "without a unit, the current version"
    );
}

#[tokio::test]
async fn reported_failures_of_the_new_version_make_the_guard_stop_the_rollout() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, owner, key) = seeded(&dir).await;
    let http = reqwest::Client::new();
    let rollout = format!("{}{MANAGE}/labels/live/rollout", server.url());
    let body = json!({"version": 2, "percent": 100.0, "guard": {"max_failure_increase": 0.1, "min_uses": 5}});
    let started = http.post(&rollout).bearer_auth(&owner).json(&body).send().await.expect("send");
    assert_eq!(started.status(), 201);
    let client = Client::builder(server.url(), &key).app("support-bot").build().expect("client");
    let served = client.prompt_for(PROMPT, "user-1").await.expect("read");
    assert_eq!(served.version, "v2", "at 100 % every unit reads the new version");
    for i in 0..5 {
        client.record_use(&served, i < 4);
    }
    assert!(client.flush_usage().await, "the report is accepted");
    let mut state = Value::Null;
    for _ in 0..60 {
        let current: Value =
            http.get(&rollout).bearer_auth(&owner).send().await.expect("send").json().await.expect("json");
        state = current["state"].clone();
        if state == "aborted" {
            assert!(current["reason"].as_str().is_some_and(|why| why.contains("guard")), "{current}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "aborted", "the server's guard stopped the rollout within seconds");
    let fresh = Client::new(server.url(), &key).expect("a client with an empty cache");
    assert_eq!(
        fresh.prompt_for(PROMPT, "user-1").await.expect("read").version,
        "v1",
        "the old version alone"
    );
}
