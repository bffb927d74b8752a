//! The command line against a hostile server, and a hostile folder: names that would climb
//! out of the folder, symbolic links, endless answers and terminal escapes. Each writes
//! nothing outside the folder, and a refused pull writes nothing at all.

use std::path::Path;

use axum::Router;
use axum::routing::get;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::code::{app, cli, expect, ok, seed};

/// A server on an ephemeral port that lists `items` and answers every version with
/// `version`: the shapes of a real server, with names of the test's choosing.
async fn hostile(items: Vec<Value>, version: Value) -> String {
    let list = json!({ "items": items, "next": null });
    let router =
        Router::new().route("/v1/manage/prompts", get(move || async move { axum::Json(list) })).route(
            "/v1/manage/prompts/{name}/versions/{number}",
            get(move || async move { axum::Json(version) }),
        );
    serve(router).await
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Every file and folder under `dir`.
fn everything(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read").flatten() {
        found.push(entry.path().display().to_string());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(everything(&entry.path()));
        }
    }
    found
}

#[tokio::test]
async fn a_pull_from_a_server_sending_names_that_leave_the_folder_writes_nothing() {
    let (app, token) = app().await;
    seed(&app).await;
    let listed = ok(&app, Method::GET, "/v1/manage/prompts", None).await;
    let greeting = listed["items"].as_array().expect("items").iter().find(|p| p["name"] == "greeting");
    let greeting = greeting.expect("greeting").clone();
    let version = ok(&app, Method::GET, "/v1/manage/prompts/greeting/versions/1", None).await;
    let outside = tempfile::tempdir().expect("dir");
    let escape = outside.path().join("escaped").display().to_string();
    // (`C:\x` is a name, written `C%3A%5Cx.prompt`: no name a file cannot hold reaches a path.)
    for name in ["../escaped", escape.as_str(), "a/../../escaped", "ok\u{1b}[2J", "a//b", "a|b"] {
        let mut hostile_one = greeting.clone();
        hostile_one["name"] = json!(name);
        // A good name first: the bad one still refuses the whole pull.
        let base = hostile(vec![greeting.clone(), hostile_one], version.clone()).await;
        let dir = tempfile::tempdir().expect("dir");
        let folder = dir.path().join("prompts");
        let run = cli(&base, &token, &["prompts", "pull", folder.to_str().expect("utf-8")]).await;
        let stderr = &expect(&run, 3).stderr;
        assert!(stderr.contains("a prompt name no file may have"), "{name}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "no terminal escape reaches the terminal: {stderr:?}");
        assert_eq!(everything(dir.path()), Vec::<String>::new(), "{name}: nothing written");
        assert_eq!(everything(outside.path()), Vec::<String>::new(), "{name}: nothing written outside");
    }
    // The same names are refused by the server itself.
    let (status, _) = app.post("/v1/manage/prompts", json!({"name": "../escaped"})).await;
    assert_eq!(status, 422);
}

#[cfg(unix)]
#[tokio::test]
async fn a_pull_never_writes_through_a_symbolic_link_and_a_push_never_follows_one() {
    let (app, token) = app().await;
    seed(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let elsewhere = tempfile::tempdir().expect("dir");
    // `support/` is a link to another folder: pulling `support/triage` would write there.
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("support")).expect("link");
    let run = cli(&app.base, &token, &["prompts", "pull", dir.path().to_str().expect("utf-8")]).await;
    assert!(expect(&run, 1).stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_eq!(everything(elsewhere.path()), Vec::<String>::new(), "nothing written through the link");
    assert!(!dir.path().join("greeting.prompt").exists(), "nor anything else: a refused pull writes nothing");
    std::fs::remove_file(dir.path().join("support")).expect("unlink");
    // A link in place of a file: replaced by nothing, its target untouched.
    let target = elsewhere.path().join("secret");
    std::fs::write(&target, "keep me").expect("target");
    std::os::unix::fs::symlink(&target, dir.path().join("greeting.prompt")).expect("link");
    let run = cli(&app.base, &token, &["prompts", "pull", dir.path().to_str().expect("utf-8")]).await;
    assert!(expect(&run, 1).stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&target).expect("target"), "keep me");

    // A push refuses a folder holding a link, to a file or to a folder.
    let push = tempfile::tempdir().expect("dir");
    std::fs::write(push.path().join("plain.prompt"), "Hi\n").expect("file");
    std::fs::write(elsewhere.path().join("linked.prompt"), "Linked\n").expect("file");
    std::os::unix::fs::symlink(elsewhere.path().join("linked.prompt"), push.path().join("linked.prompt"))
        .expect("link");
    let folder = push.path().to_str().expect("utf-8");
    let run = cli(&app.base, &token, &["prompts", "push", folder, "-m", "m"]).await;
    assert!(expect(&run, 3).stderr.contains("is a symbolic link"), "{}", run.stderr);
    let (_, plain) = app.get("/v1/manage/prompts/plain").await;
    assert_eq!(plain["error"]["code"], "not_found", "nothing pushed: {plain}");
}

#[tokio::test]
async fn an_endless_answer_is_cut_off_and_plain_http_elsewhere_is_warned_of() {
    let (_app, token) = app().await;
    let endless = Router::new().route(
        "/v1/manage/prompts",
        get(|| async {
            let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
            let body = futures::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
            axum::body::Body::from_stream(body)
        }),
    );
    let base = serve(endless).await;
    let dir = tempfile::tempdir().expect("dir");
    let run = cli(&base, &token, &["prompts", "pull", dir.path().to_str().expect("utf-8")]).await;
    assert!(expect(&run, 1).stderr.contains("answered with more than 67108864 bytes"), "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "loopback is not warned of: {}", run.stderr);

    // 0.0.0.0 is not a loopback name (and refuses at once here).
    let run =
        cli("http://0.0.0.0:9", &token, &["prompts", "pull", dir.path().to_str().expect("utf-8")]).await;
    assert!(run.stderr.contains("warning: http://0.0.0.0:9/ is plain http"), "{}", run.stderr);
}
