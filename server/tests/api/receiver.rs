//! A real webhook receiver for the tests: an HTTP server on an ephemeral port that records
//! every request and answers from a script.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    /// Never answers (the sender's timeout, or a crash, ends it).
    Hang,
    /// 307 Temporary Redirect to this URL.
    Redirect(&'static str),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

#[derive(Clone, Default)]
struct Log {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

pub struct Receiver {
    /// `http://127.0.0.1:<port>/hook`
    pub url: String,
    log: Log,
}

impl Receiver {
    /// Answers with `script` in order, then 200.
    pub async fn start(script: &[Reply]) -> Receiver {
        let log = Log { script: Arc::new(Mutex::new(script.iter().copied().collect())), ..Log::default() };
        let router = Router::new().route("/hook", post(hook)).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, log }
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.received.lock().expect("log").clone()
    }

    /// Waits until `count` requests have arrived, failing after `within`.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(started.elapsed() < within, "{} of {count} requests after {within:?}", received.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn hook(State(log): State<Log>, headers: HeaderMap, body: String) -> Response {
    log.received.lock().expect("log").push(Received { at: Instant::now(), headers, body });
    let reply = log.script.lock().expect("script").pop_front().unwrap_or(Reply::Status(200));
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap_or(StatusCode::OK).into_response(),
        Reply::Redirect(to) => (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response(),
        Reply::Hang => std::future::pending().await,
    }
}
