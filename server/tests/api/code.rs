//! Prompts as code, end to end: the real `promptvault` binary's `prompts pull|push|diff` and
//! `import --from-langfuse` against a real server, with their exit statuses (0 nothing to
//! do, 2 changed, 3 refused, 1 error), and the two API calls they use.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// What one run of the command line came to.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `promptvault ARGS --url BASE --token TOKEN` (awaited: the server under test runs on
/// this test's runtime).
pub(crate) async fn cli(base: &str, token: &str, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_promptvault"))
        .args(args)
        .args(["--url", base, "--token", token])
        .env_remove("PROMPTVAULT_URL")
        .env_remove("PROMPTVAULT_TOKEN")
        .output()
        .await
        .expect("run promptvault");
    Run::of(output)
}

impl Run {
    pub(crate) fn of(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub(crate) fn expect(run: &Run, code: i32) -> &Run {
    assert_eq!(run.code, code, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    run
}

pub(crate) async fn app() -> (TestApp, String) {
    let mut app = spawn_app().await;
    app.set_up().await;
    let token = app.token.clone().expect("token");
    (app, token)
}

pub(crate) async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = app.call(method, path, body).await;
    assert!(status < 300, "{path}: {status} {body}");
    body
}

/// A text prompt `greeting` and a chat prompt `support/triage`, each with v1 live, and
/// `drafty` with a draft only.
pub(crate) async fn seed(app: &TestApp) {
    ok(app, Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    ok(app, Method::POST, "/v1/manage/prompts", Some(json!({"name": "greeting"}))).await;
    let draft = json!({"source": "Hello {{name}}", "message": "first"});
    ok(app, Method::POST, "/v1/manage/prompts/greeting/versions", Some(draft)).await;
    ok(app, Method::POST, "/v1/manage/prompts/greeting/versions/1/promote", None).await;
    ok(app, Method::POST, "/v1/manage/prompts", Some(json!({"name": "support/triage", "type": "chat"})))
        .await;
    let messages = json!([
        {"role": "system", "content": "You triage tickets for {{team}}.\nBe brief."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"}
    ]);
    let draft =
        json!({"messages": messages, "config": {"model": "gpt-4o", "temperature": 0.2}, "message": "chat"});
    ok(app, Method::POST, "/v1/manage/prompts/support%2Ftriage/versions", Some(draft)).await;
    ok(app, Method::POST, "/v1/manage/prompts/support%2Ftriage/versions/1/promote", None).await;
    ok(app, Method::POST, "/v1/manage/prompts", Some(json!({"name": "drafty"}))).await;
    let draft = json!({"source": "not yet", "message": "wip"});
    ok(app, Method::POST, "/v1/manage/prompts/drafty/versions", Some(draft)).await;
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{text}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

#[tokio::test]
async fn pull_edit_push_and_promote_round_trip_through_the_command_line() {
    let (app, token) = app().await;
    seed(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("prompts");
    let prompts = folder.to_str().expect("utf-8");

    let pulled = expect(&cli(&app.base, &token, &["prompts", "pull", prompts]).await, 0).stdout.clone();
    assert!(pulled.contains("Skipped, without a live version: drafty"), "{pulled}");
    let greeting = std::fs::read_to_string(folder.join("greeting.prompt")).expect("greeting file");
    assert_eq!(greeting, "+++\nversion = \"v1\"\nmessage = \"first\"\n+++\nHello {{name}}\n");
    let triage = std::fs::read_to_string(folder.join("support/triage.prompt")).expect("chat file");
    for part in
        ["type = \"chat\"", "[config]", "model = \"gpt-4o\"", "[[messages]]", "placeholder = \"history\""]
    {
        assert!(triage.contains(part), "{part} in:\n{triage}");
    }

    // Nothing changed yet: no diff, nothing to push.
    let diff = cli(&app.base, &token, &["prompts", "diff", prompts]).await;
    assert_eq!(expect(&diff, 0).stdout, "");
    let unchanged = cli(&app.base, &token, &["prompts", "push", prompts, "-m", "same"]).await;
    assert!(expect(&unchanged, 0).stdout.contains("greeting.prompt: unchanged (v1)"), "{}", unchanged.stdout);

    // Edit both files: the text, and the chat prompt's config.
    edit(&folder, "greeting.prompt", "Hello {{name}}", "Howdy {{name}}!");
    edit(&folder, "support/triage.prompt", "model = \"gpt-4o\"", "model = \"gpt-4o-mini\"");
    let diff = cli(&app.base, &token, &["prompts", "diff", prompts]).await;
    let diff = &expect(&diff, 2).stdout;
    for line in ["--- greeting v1", "-Hello {{name}}", "+Howdy {{name}}!", "+model = \"gpt-4o-mini\""] {
        assert!(diff.contains(line), "{line} in:\n{diff}");
    }
    let dry = cli(&app.base, &token, &["prompts", "push", prompts, "-m", "Friendlier", "--dry-run"]).await;
    assert!(expect(&dry, 2).stdout.contains("nothing was saved"));
    assert_eq!(ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await["versions"], 1);

    // On a pull request: drafts, staged.
    let staged = cli(&app.base, &token, &["prompts", "push", prompts, "-m", "Friendlier", "--stage"]).await;
    let out = &expect(&staged, 2).stdout;
    assert!(out.contains("greeting.prompt: saved v2 (draft), staged v2"), "{out}");
    let state = ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await;
    assert_eq!((&state["live"], &state["staging"]), (&json!("v1"), &json!("v2")));
    let v2 = ok(&app, Method::GET, "/v1/manage/prompts/greeting/versions/2", None).await;
    assert_eq!(
        (&v2["source"], &v2["message"], &v2["author"]),
        (&json!("Howdy {{name}}!"), &json!("Friendlier"), &json!("Ada"))
    );
    let chat = ok(&app, Method::GET, "/v1/manage/prompts/support%2Ftriage/versions/2", None).await;
    assert_eq!(chat["config"], json!({"model": "gpt-4o-mini", "temperature": 0.2}));
    assert_eq!(chat["messages"][1], json!({"type": "placeholder", "name": "history"}));

    // On merge: promoted, nothing new saved; then nothing to do.
    let promoted =
        cli(&app.base, &token, &["prompts", "push", prompts, "-m", "Friendlier", "--promote"]).await;
    assert!(expect(&promoted, 2).stdout.contains("greeting.prompt: promoted v2"), "{}", promoted.stdout);
    let state = ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await;
    assert_eq!((&state["live"], &state["versions"]), (&json!("v2"), &json!(2)));
    expect(&cli(&app.base, &token, &["prompts", "push", prompts, "-m", "Friendlier", "--promote"]).await, 0);

    // A new file is a new prompt; a pull of the newest versions writes the same files back.
    std::fs::create_dir_all(folder.join("billing")).expect("folder");
    std::fs::write(folder.join("billing/refund.prompt"), "Refund {{amount}}.\n").expect("new file");
    let created = cli(&app.base, &token, &["prompts", "push", prompts, "-m", "Refunds"]).await;
    assert!(expect(&created, 2).stdout.contains("billing/refund.prompt: created, saved v1 (draft)"));
    let again = tempfile::tempdir().expect("dir");
    let again_dir = again.path().to_str().expect("utf-8");
    expect(
        &cli(
            &app.base,
            &token,
            &["prompts", "pull", again_dir, "--channel", "latest", "--prefix", "billing/"],
        )
        .await,
        0,
    );
    let refund = std::fs::read_to_string(again.path().join("billing/refund.prompt")).expect("pulled");
    assert!(refund.ends_with("+++\nRefund {{amount}}.\n"), "{refund}");
    assert!(!again.path().join("greeting.prompt").exists(), "--prefix keeps to its prompts");
}

#[tokio::test]
async fn under_review_promote_opens_a_request_once() {
    let (app, token) = app().await;
    ok(&app, Method::PATCH, "/v1/manage/settings", Some(json!({"live_changes": "review"}))).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("greeting.prompt"), "Hello\n").expect("file");
    let folder = dir.path().to_str().expect("utf-8");
    let run = cli(&app.base, &token, &["prompts", "push", folder, "-m", "Hello", "--promote"]).await;
    assert!(expect(&run, 2).stdout.contains("promotion of v1 requested (request"), "{}", run.stdout);
    let again = cli(&app.base, &token, &["prompts", "push", folder, "-m", "Hello", "--promote"]).await;
    assert!(expect(&again, 0).stdout.contains("awaiting review"), "{}", again.stdout);
    let requests = ok(&app, Method::GET, "/v1/manage/requests?state=open", None).await;
    assert_eq!(requests["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await["live"], Value::Null);
}

#[tokio::test]
async fn a_push_moves_the_labels_it_names() {
    let (app, token) = app().await;
    ok(&app, Method::POST, "/v1/manage/labels", Some(json!({"name": "eu", "protected": true}))).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("greeting.prompt"), "Hello\n").expect("file");
    let folder = dir.path().to_str().expect("utf-8");
    let typo = cli(&app.base, &token, &["prompts", "push", folder, "-m", "Hello", "--label", "ue"]).await;
    assert!(typo.stderr.contains("no label named ue"), "{}", typo.stderr);
    let run = cli(&app.base, &token, &["prompts", "push", folder, "-m", "Hello", "--label", "eu"]).await;
    assert!(expect(&run, 2).stdout.contains("saved v1 (draft), eu on v1"), "{}", run.stdout);
    let prompt = ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await;
    assert_eq!(prompt["labels"], json!({"eu": "v1"}), "a protected label publishes");
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/manage/push",
            Some(json!({"message": "m", "prompts": [], "labels": ["Not a label!"]})),
        )
        .await;
    assert_eq!(status, 422, "{error}");
}

#[tokio::test]
async fn bad_files_are_refused_naming_the_file_and_nothing_is_pushed() {
    let (app, token) = app().await;
    ok(&app, Method::POST, "/v1/manage/prompts", Some(json!({"name": "plain"}))).await;
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().to_str().expect("utf-8");
    std::fs::write(dir.path().join("good.prompt"), "Fine\n").expect("file");
    let cases = [
        ("broken.prompt", "+++\nversion = \"v1\"\nno closing fence\n", "no closing +++"),
        ("unknown.prompt", "+++\ncolour = \"red\"\n+++\nx\n", "unknown field `colour`"),
        ("Bad|Name.prompt", "x\n", "not allowed in a prompt name"),
        (
            "chatty.prompt",
            "+++\ntype = \"chat\"\n[[messages]]\nrole = \"\"\ncontent = \"x\"\n+++\n",
            "message 1",
        ),
        // Only the server knows `plain` is a text prompt: its refusal names the file too.
        (
            "plain.prompt",
            "+++\ntype = \"chat\"\n[[messages]]\nrole = \"user\"\ncontent = \"x\"\n+++\n",
            "plain is a text prompt",
        ),
    ];
    for (file, text, needle) in cases {
        std::fs::write(dir.path().join(file), text).expect("bad file");
        let run = cli(&app.base, &token, &["prompts", "push", folder, "-m", "m"]).await;
        let stderr = &expect(&run, 3).stderr;
        assert!(stderr.contains(&path(dir.path(), file)) && stderr.contains(needle), "{file}: {stderr}");
        std::fs::remove_file(dir.path().join(file)).expect("remove");
    }
    let prompts = ok(&app, Method::GET, "/v1/manage/prompts", None).await;
    assert_eq!(
        prompts["items"].as_array().map(Vec::len),
        Some(1),
        "good.prompt was not pushed alone: {prompts}"
    );

    // A viewer's token is refused by the server; a wrong token too; a server that is down is an error.
    let (_, invitation) =
        app.post("/v1/manage/invitations", json!({"email": "vi@example.com", "role": "viewer"})).await;
    let join = json!({"token": invitation["token"], "name": "Vi", "password": "long enough"});
    let (_, joined) = app.post("/v1/join", join).await;
    let viewer = joined["token"].as_str().expect("viewer token");
    let run = cli(&app.base, viewer, &["prompts", "push", folder, "-m", "m"]).await;
    assert!(expect(&run, 3).stderr.contains("viewers cannot change prompts"), "{}", run.stderr);
    expect(&cli(&app.base, "pv_pat_wrong", &["prompts", "push", folder, "-m", "m"]).await, 3);
    let empty = tempfile::tempdir().expect("dir");
    let run =
        cli(&app.base, &token, &["prompts", "push", empty.path().to_str().expect("utf-8"), "-m", "m"]).await;
    assert!(expect(&run, 3).stderr.contains("holds no prompt files (*.prompt)"), "{}", run.stderr);
    expect(&cli(&app.base, "not-a-token", &["prompts", "pull", folder]).await, 3);
    // A mistyped flag fails a CI step: refused, never the 2 of "changed".
    expect(&cli(&app.base, &token, &["prompts", "push", folder, "-m", "m", "--promot"]).await, 3);
    let run = cli("http://127.0.0.1:9", &token, &["prompts", "push", folder, "-m", "m"]).await;
    assert!(
        expect(&run, 1).stderr.contains("cannot reach PromptVault at http://127.0.0.1:9"),
        "{}",
        run.stderr
    );
}

/// A Langfuse prompt export, written by hand to the shape of Langfuse's prompt API (shared
/// with the end-to-end test, where the real Langfuse SDKs read it back): a text prompt with
/// three versions (one production, one staging with a custom label and tags), and a chat
/// prompt in a folder.
const LANGFUSE_EXPORT: &str = include_str!("../../../end2end/langfuse/export.json");

#[tokio::test]
async fn a_langfuse_export_imports_with_its_history_and_again_changes_nothing() {
    let (app, token) = app().await;
    ok(&app, Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    let dir = tempfile::tempdir().expect("dir");
    let export = dir.path().join("langfuse-prompts.json");
    std::fs::write(&export, LANGFUSE_EXPORT).expect("export file");
    let file = export.to_str().expect("utf-8");

    let run = cli(&app.base, &token, &["import", "--from-langfuse", file]).await;
    let out = &expect(&run, 2).stdout;
    assert!(out.contains("movie-critic: created, added v1, v2, v3, live v2, staging v3"), "{out}");
    assert!(out.contains("experiment v3, tags movies") && !out.contains("left out"), "{out}");
    assert!(out.contains("support/chat-reply: created, added v1, live v1"), "{out}");

    let critic = ok(&app, Method::GET, "/v1/manage/prompts/movie-critic", None).await;
    assert_eq!(
        (&critic["live"], &critic["staging"], &critic["versions"]),
        (&json!("v2"), &json!("v3"), &json!(3))
    );
    let v1 = ok(&app, Method::GET, "/v1/manage/prompts/movie-critic/versions/1", None).await;
    assert_eq!((&v1["status"], &v1["message"]), (&json!("live"), &json!("First critic")));
    assert_eq!(v1["config"], json!({"model": "gpt-4o", "temperature": 0.7}));
    let chat = ok(&app, Method::GET, "/v1/manage/prompts/support%2Fchat-reply/versions/1", None).await;
    assert_eq!(chat["type"], "chat");
    assert_eq!(
        chat["messages"][0],
        json!({"role": "system", "content": "You are a support agent for {{product}}."})
    );
    assert_eq!(chat["variables"], json!(["product", "question"]));

    // The same file again: nothing changes.
    let again = cli(&app.base, &token, &["import", "--from-langfuse", file]).await;
    assert!(expect(&again, 0).stdout.contains("movie-critic: unchanged v1, v2, v3"), "{}", again.stdout);
    assert_eq!(ok(&app, Method::GET, "/v1/manage/prompts/movie-critic", None).await["versions"], 3);

    // A broken export is refused, naming the file and what is wrong in it.
    std::fs::write(&export, r#"[{"name": "x", "version": 1, "type": "chat", "prompt": "not messages"}]"#)
        .expect("bad");
    let run = cli(&app.base, &token, &["import", "--from-langfuse", file]).await;
    let stderr = &expect(&run, 3).stderr;
    assert!(stderr.contains(file) && stderr.contains("x v1: a chat prompt's prompt is a list"), "{stderr}");
    std::fs::write(&export, "{\"data\": []}").expect("not an export");
    let run = cli(&app.base, &token, &["import", "--from-langfuse", file]).await;
    assert!(expect(&run, 3).stderr.contains("is not a Langfuse prompt export"), "{}", run.stderr);
}

#[tokio::test]
async fn a_push_carries_a_folder_larger_than_other_requests_may_be() {
    let (app, _token) = app().await;
    // Four sources of 900 KB: 3.6 MB, past the 3 MiB of other calls.
    let source = "x".repeat(900_000);
    let prompts: Vec<Value> =
        (1..=4).map(|i| json!({"name": format!("big/p{i}"), "source": source})).collect();
    let (status, report) = app.post("/v1/manage/push", json!({"message": "big", "prompts": prompts})).await;
    assert_eq!((status, &report["changed"]), (200, &json!(true)), "{report}");
    assert_eq!(
        report["prompts"][3]["steps"],
        json!([{"action": "created"}, {"action": "saved", "version": "v1"}])
    );
}
