//! `spawn_app()`: starts the real server on an ephemeral port with a fresh data directory
//! (the shared test kit's `RunningServer`), and `Process`: the binary as a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::RunningServer;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
    server: Option<RunningServer>,
    pub dir: Option<TempDir>,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir).await
}

pub async fn spawn_app_in(dir: TempDir) -> TestApp {
    spawn_app_with(dir, |_| {}).await
}

/// The server with its test configuration changed by `change`.
pub async fn spawn_app_with(dir: TempDir, change: impl FnOnce(&mut server::Config)) -> TestApp {
    let mut config = server::Config::for_tests(PathBuf::from(dir.path()));
    config.database_url = Some(test_database_url(dir.path()).await);
    change(&mut config);
    let server = RunningServer::start(config, "127.0.0.1:0".parse().expect("addr")).await;
    TestApp {
        client: browser_client(&server.base),
        base: server.url(),
        token: None,
        server: Some(server),
        dir: Some(dir),
    }
}

/// A client that says where its requests come from as a browser on the dashboard's pages
/// does (an `Origin` of `base`), so server functions take its posts.
pub fn browser_client(base: &str) -> reqwest::Client {
    let origin = reqwest::header::HeaderValue::from_str(base).expect("origin");
    let headers = reqwest::header::HeaderMap::from_iter([(reqwest::header::ORIGIN, origin)]);
    reqwest::Client::builder().default_headers(headers).build().expect("client")
}

/// The database of the test whose data directory is `dir`: SQLite in it, or a PostgreSQL
/// database of its own when the suite runs on PostgreSQL (see `vault::Storage::for_tests`).
pub async fn test_database_url(dir: &Path) -> String {
    vault::Storage::for_tests(dir).await.expect("test database").database_url
}

/// Whether the suite runs on PostgreSQL (`scripts/test.sh` runs it on both backends).
pub fn on_postgres() -> bool {
    std::env::var_os("PROMPTVAULT_TEST_DATABASE_URL").is_some()
}

/// The real binary in a process of its own, so it can be killed with SIGKILL.
pub struct Process {
    child: Child,
    pub base: String,
}

impl Process {
    /// The binary on data directory `dir` and its test database.
    pub async fn start(dir: &Path) -> Process {
        let url = test_database_url(dir).await;
        Process::start_on(dir, &url).await
    }

    /// The binary on data directory `dir` and database `database_url`, which another
    /// process may share.
    pub async fn start_on(dir: &Path, database_url: &str) -> Process {
        Process::start_with_env(dir, database_url, &[]).await
    }

    /// [`Process::start_on`] with more environment variables.
    pub async fn start_with_env(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Process {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("addr").port()
        };
        let child = Command::new(env!("CARGO_BIN_EXE_promptvault"))
            .args(["--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir)
            .args(["--database-url", database_url])
            .args([
                "--allow-private-webhooks",
                "--health-revision",
                "--webhook-timeout-ms",
                "1000",
                "--log",
                "warn",
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let process = Process { child, base: format!("http://127.0.0.1:{port}") };
        testkit::wait_until_healthy(&process.base).await;
        process
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl TestApp {
    /// Sets the server up through `/v1/setup` and keeps the owner's token.
    pub async fn set_up(&mut self) -> Value {
        let response = self
            .request(Method::POST, "/v1/setup")
            .json(&json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"}))
            .send()
            .await
            .expect("setup");
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        self.token = body["token"].as_str().map(str::to_owned);
        body
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        read(builder.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Stops the server gracefully and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        self.dir.take().expect("data dir")
    }
}

/// Status and JSON body (Null for an empty body).
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts the API's error shape and returns its message.
pub fn error_message(body: &Value, code: &str) -> String {
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().expect("message").to_owned()
}
