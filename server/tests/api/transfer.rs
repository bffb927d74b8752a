//! `promptvault export` and `import`: a workspace moved SQLite → PostgreSQL → SQLite with the
//! real binary answers every API read as before. Runs in the suite's PostgreSQL pass.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_postgres, read, spawn_app_with, test_database_url};
use crate::team::invite_and_join;

const MANAGE: &str = "/v1/manage/prompts/support%2Ftriage";

/// The binary's `export`/`import` on `database_url`; returns what it printed.
fn run(args: &[&str], data_dir: &Path, database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_promptvault"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", database_url, "--log", "warn"])
        .output()
        .expect("run the binary");
    let printed =
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} failed: {printed}");
    printed
}

/// A workspace with history: versions, a rollback, staging, a member, keys, a webhook.
async fn populated(app: &mut TestApp) -> String {
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    for i in 1..=3 {
        app.post(
            &format!("{MANAGE}/versions"),
            json!({"source": format!("text {i}"), "message": format!("tone change {i}")}),
        )
        .await;
    }
    app.post(&format!("{MANAGE}/versions/2/promote"), json!({})).await;
    app.post(&format!("{MANAGE}/versions/3/promote"), json!({})).await;
    app.post(&format!("{MANAGE}/rollback"), json!({"version": 2})).await;
    app.call(reqwest::Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    app.call(reqwest::Method::PUT, &format!("{MANAGE}/staging"), Some(json!({"version": 3}))).await;
    invite_and_join(app, "grace@example.com", "editor").await;
    app.post(
        "/v1/manage/webhooks",
        json!({"url": "https://hooks.example.com/pv", "events": ["version.promoted"]}),
    )
    .await;
    app.post("/v1/manage/keys", json!({"kind": "test", "name": "preview"})).await;
    let (_, key) = app.post("/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
    key["token"].as_str().expect("key").to_owned()
}

/// Every read of the API, as JSON. Times of last use move with each read, so they are left
/// out; everything else must match exactly.
async fn answers(app: &TestApp, key: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for path in [
        "/v1/manage/prompts",
        MANAGE,
        &format!("{MANAGE}/versions"),
        &format!("{MANAGE}/versions/1"),
        &format!("{MANAGE}/deployments"),
        &format!("{MANAGE}/diff?from=1&to=3"),
        "/v1/manage/search?q=tone",
        "/v1/manage/activity",
        "/v1/manage/members",
        "/v1/manage/invitations",
        "/v1/manage/keys",
        "/v1/manage/tokens",
        "/v1/manage/webhooks",
        "/v1/manage/settings",
        "/v1/manage/workspaces",
    ] {
        let (status, body) = app.get(path).await;
        all.push(json!({ "path": path, "status": status, "body": without_usage_times(body) }));
    }
    for path in [
        "/v1/prompts/support%2Ftriage",
        "/v1/prompts/support%2Ftriage?version=2",
        "/api/public/v2/prompts/support%2Ftriage",
    ] {
        let response = app.client.get(format!("{}{path}", app.base)).bearer_auth(key);
        let response = if path.starts_with("/api") {
            app.client.get(format!("{}{path}", app.base)).basic_auth("pk", Some(key))
        } else {
            response
        };
        let (status, body) = read(response.send().await.expect("read")).await;
        all.push(json!({ "path": path, "status": status, "body": body }));
    }
    all
}

/// Waits until the instance's search index holds the three versions (a new instance builds
/// it from the database in the background).
async fn search_ready(app: &TestApp) {
    for _ in 0..200 {
        let (_, found) = app.get("/v1/manage/search?q=tone").await;
        if found["items"].as_array().is_some_and(|items| items.len() == 3) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the search index did not catch up");
}

fn without_usage_times(mut value: Value) -> Value {
    match &mut value {
        Value::Object(object) => {
            object.remove("last_used_at");
            object.remove("last_seen_at");
            for field in object.values_mut() {
                *field = without_usage_times(field.take());
            }
        }
        Value::Array(items) => {
            for item in items {
                *item = without_usage_times(item.take());
            }
        }
        _ => {}
    }
    value
}

/// A server on `database_url`, signed in with `token`.
async fn serve(dir: tempfile::TempDir, database_url: &str, token: &str) -> TestApp {
    let url = database_url.to_owned();
    let mut app = spawn_app_with(dir, move |config| config.database_url = Some(url)).await;
    app.token = Some(token.to_owned());
    app
}

#[tokio::test]
async fn a_workspace_moved_sqlite_to_postgresql_to_sqlite_answers_every_read_as_before() {
    if !on_postgres() {
        return;
    }
    let files = tempfile::tempdir().expect("dir");
    let export_file = |name: &str| files.path().join(name).to_string_lossy().into_owned();

    // On SQLite first, whatever the suite's backend.
    let sqlite_dir = tempfile::tempdir().expect("dir");
    let sqlite_url = vault::Vault::sqlite_url(sqlite_dir.path());
    let url = sqlite_url.clone();
    let mut app = spawn_app_with(sqlite_dir, move |config| config.database_url = Some(url)).await;
    let key = populated(&mut app).await;
    let token = app.token.clone().expect("token");
    search_ready(&app).await;
    let before = answers(&app, &key).await;
    assert!(before.iter().all(|answer| answer["status"] == 200), "every read answers: {before:#?}");
    let sqlite_dir = app.stop().await;

    let printed = run(&["export", &export_file("one.json")], sqlite_dir.path(), &sqlite_url);
    assert!(printed.contains("1 workspace(s) (Acme): 1 prompt(s), 3 version(s), 2 member(s)"), "{printed}");
    let mode = std::fs::metadata(export_file("one.json")).expect("file").permissions();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600, "secrets inside: owner only");

    let pg_dir = tempfile::tempdir().expect("dir");
    let pg_url = test_database_url(pg_dir.path()).await;
    run(&["import", &export_file("one.json")], pg_dir.path(), &pg_url);
    let app = serve(pg_dir, &pg_url, &token).await;
    search_ready(&app).await;
    assert_eq!(answers(&app, &key).await, before, "PostgreSQL answers as SQLite did");
    let pg_dir = app.stop().await;

    run(&["export", "--workspace", "Acme", &export_file("two.json")], pg_dir.path(), &pg_url);
    let back_dir = tempfile::tempdir().expect("dir");
    let back_url = vault::Vault::sqlite_url(back_dir.path());
    run(&["import", &export_file("two.json")], back_dir.path(), &back_url);
    let app = serve(back_dir, &back_url, &token).await;
    search_ready(&app).await;
    assert_eq!(answers(&app, &key).await, before, "and SQLite again");

    // A second import into a database that has workspaces is refused, changing nothing.
    let again = Command::new(env!("CARGO_BIN_EXE_promptvault"))
        .args([
            "import",
            &export_file("two.json"),
            "--database-url",
            &back_url,
            "--log",
            "warn",
            "--data-dir",
        ])
        .arg(files.path())
        .output()
        .expect("run");
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already holds workspaces"), "{said}");
    app.stop().await;
}
