//! `GET /v1/stream` over real HTTP: Server-Sent Events with a read key, what the key reads
//! first and then each change (the bytes of an SDK read), resumed with `Last-Event-ID`,
//! ended by a revocation, untouched by the request and idle timeouts, and its refusals.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const MANAGE: &str = "/v1/manage/prompts/support%2Ftriage";

/// One event as received: `(id, event, data)`.
pub type Sse = (String, String, String);

/// An open event stream, read event by event.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub async fn open(base: &str, key: &str, query: &str, last_event_id: Option<&str>) -> (u16, EventStream) {
        let mut request = reqwest::Client::new().get(format!("{base}/v1/stream{query}")).bearer_auth(key);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("stream");
        let status = response.status().as_u16();
        (status, EventStream { response, buffer: String::new() })
    }

    /// The next event within `limit` (comments skipped); `None` when the stream ended.
    pub async fn next(&mut self, limit: Duration) -> Option<Sse> {
        tokio::time::timeout(limit, self.next_event()).await.expect("an event in time")
    }

    async fn next_event(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(name))
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                };
                if block.lines().all(|line| line.starts_with(':')) {
                    continue;
                }
                return Some((field("id:"), field("event:"), field("data:")));
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn app_with_a_live_prompt(change: impl FnOnce(&mut server::Config)) -> (TestApp, String, i64) {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = spawn_app_with(dir, change).await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for n in 1..=2 {
        app.post(&format!("{MANAGE}/versions"), json!({"source": format!("text {n}")})).await;
    }
    app.post(&format!("{MANAGE}/versions/1/promote"), json!({})).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    let token = key["token"].as_str().expect("token").to_owned();
    (app, token, key["id"].as_i64().expect("id"))
}

fn version_of(data: &str) -> String {
    let json: Value = serde_json::from_str(data).expect("json");
    json["version"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_stream_sends_what_the_key_reads_then_each_change_and_ends_when_the_key_is_revoked() {
    // A short request timeout and idle time: a stream is neither a request that must end
    // nor an idle connection.
    let (app, key, key_id) = app_with_a_live_prompt(|config| {
        config.request_timeout_ms = 300;
        config.idle_timeout_ms = 300;
    })
    .await;
    let (status, mut events) = EventStream::open(&app.base, &key, "", None).await;
    assert_eq!(status, 200);
    let (first_id, kind, data) = events.next(Duration::from_secs(2)).await.expect("first event");
    assert_eq!((kind.as_str(), version_of(&data).as_str()), ("prompt", "v1"));

    tokio::time::sleep(Duration::from_millis(600)).await;
    app.post(&format!("{MANAGE}/versions/2/promote"), json!({})).await;
    let (id, kind, data) = events.next(Duration::from_secs(1)).await.expect("the promote");
    assert_eq!((kind.as_str(), version_of(&data).as_str()), ("prompt", "v2"));
    assert!(id.parse::<i64>().expect("numeric id") > first_id.parse::<i64>().expect("numeric id"));
    // The same bytes an SDK read answers.
    let read = app.client.get(format!("{}/v1/prompts/support%2Ftriage", app.base)).bearer_auth(&key);
    assert_eq!(data, read.send().await.expect("read").text().await.expect("body"));

    // Resumed from the first id, on a new connection: only the promote.
    let (_, mut resumed) =
        EventStream::open(&app.base, &key, "?prompts=support/triage", Some(&first_id)).await;
    let (again, _, data) = resumed.next(Duration::from_secs(2)).await.expect("missed");
    assert_eq!((again, version_of(&data)), (id.clone(), "v2".to_owned()));

    let (status, _) = app.call(Method::DELETE, &format!("/v1/manage/keys/{key_id}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(events.next(Duration::from_secs(2)).await, None, "the stream ends");
    assert_eq!(resumed.next(Duration::from_secs(2)).await, None, "every stream of the key");
}

#[tokio::test]
async fn bad_stream_requests_are_refused_with_the_status_that_fits() {
    let (app, key, _) = app_with_a_live_prompt(|config| config.streams_per_key = 1).await;
    let cases = [
        ("", None, "pv_live_unknown", 401),
        ("", Some("not-an-id"), key.as_str(), 400),
        ("", Some("-4"), key.as_str(), 400),
        ("?prompts=Not%7CA%7CName", None, key.as_str(), 400),
        ("?prompts=support/triage,no/such", None, key.as_str(), 404),
    ];
    for (query, last_event_id, key, expected) in cases {
        let mut request = app.client.get(format!("{}/v1/stream{query}", app.base)).bearer_auth(key);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), expected, "{query} {last_event_id:?}");
        let body: Value = response.json().await.expect("error json");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    let missing = app.client.get(format!("{}/v1/stream", app.base)).send().await.expect("request");
    assert_eq!(missing.status().as_u16(), 401);
    // The list is split before each name is decoded: `a%2Cb` is one name, "a,b".
    let url = format!("{}/v1/stream?prompts=support%2Ftriage,a%2Cb", app.base);
    let comma = app.client.get(url).bearer_auth(&key).send().await.expect("request");
    assert_eq!(comma.status().as_u16(), 404);
    let body: Value = comma.json().await.expect("error json");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("a,b")), "{body}");

    // One stream per key here: a second is refused until the first closes.
    let (status, first) = EventStream::open(&app.base, &key, "", None).await;
    assert_eq!(status, 200);
    let second =
        app.client.get(format!("{}/v1/stream", app.base)).bearer_auth(&key).send().await.expect("request");
    assert_eq!(second.status().as_u16(), 429);
    assert!(second.headers().get("retry-after").is_some());
    drop(first);
    let mut reopened = 0;
    for _ in 0..50 {
        let (status, _) = EventStream::open(&app.base, &key, "", None).await;
        if status == 200 {
            reopened = status;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reopened, 200, "a closed stream frees its place");
    // The server is unaffected: reads go on.
    let read = app.client.get(format!("{}/v1/prompts/support%2Ftriage", app.base)).bearer_auth(&key);
    assert_eq!(read.send().await.expect("read").status().as_u16(), 200);
}

#[tokio::test]
async fn an_idle_stream_gets_a_heartbeat_so_proxies_keep_it_open() {
    let (app, key, _) = app_with_a_live_prompt(|_| {}).await;
    let mut response =
        app.client.get(format!("{}/v1/stream", app.base)).bearer_auth(&key).send().await.expect("stream");
    let mut received = String::new();
    let waited = tokio::time::timeout(server::STREAM_HEARTBEAT + Duration::from_secs(5), async {
        while !received.contains(": heartbeat") {
            let chunk = response.chunk().await.expect("read").expect("open");
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(waited.is_ok(), "no heartbeat comment within the interval: {received}");
}
