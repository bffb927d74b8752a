//! The release server each part of the benchmark starts, and the workspaces it is seeded
//! with.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// Where the benchmark's servers listen.
pub const ADDR: &str = "127.0.0.1:3961";

/// A release server on its own data directory, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub client: reqwest::Client,
}

impl Server {
    pub async fn start(binary: &Path, data: &Path, extra: &[&str]) -> anyhow::Result<Server> {
        let child = Command::new(binary)
            .args(["--addr", ADDR, "--data-dir"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Server { child, base: format!("http://{ADDR}"), client: reqwest::Client::new() };
        for _ in 0..400 {
            if server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("the server did not start")
    }

    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    /// A prompt with `source` as its live v1, and a live key reading it.
    pub async fn live_prompt(&self, token: &str, name: &str, source: &str) -> anyhow::Result<()> {
        let post = reqwest::Method::POST;
        self.call(token, post.clone(), "/v1/manage/prompts", json!({ "name": name })).await?;
        let versions = format!("/v1/manage/prompts/{name}/versions");
        self.call(token, post.clone(), &versions, json!({ "source": source, "message": "bench" })).await?;
        self.call(token, post, &format!("{versions}/1/promote"), json!({})).await?;
        Ok(())
    }

    pub async fn live_key(&self, token: &str) -> anyhow::Result<String> {
        let key = self
            .call(token, reqwest::Method::POST, "/v1/manage/keys", json!({"kind": "live", "name": "bench"}))
            .await?;
        Ok(key["token"].as_str().context("the key")?.to_owned())
    }

    /// The server's resident memory in MB.
    pub fn memory_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new data directory with workspace "Loud" set up and a second, "Quiet", owned by the same
/// person, made with the vault before the server starts; their owner's tokens.
pub async fn seed(data: &Path) -> anyhow::Result<(String, String)> {
    let _ = std::fs::remove_dir_all(data);
    let vault = vault::Vault::open(&vault::Storage::in_dir(data)).await?;
    let setup = vault::SetUp {
        workspace: "Loud".into(),
        email: "owner@example.com".into(),
        password: "a bench password".into(),
        name: "Owner".into(),
    };
    let (owner, loud) = vault.set_up(setup).await?;
    let quiet_owner = vault.create_workspace(&owner, "Quiet").await?;
    let quiet = vault.create_access_token(&quiet_owner, "bench").await?;
    vault.close().await;
    Ok((loud.secret, quiet.secret))
}
