//! The documented CI workflow (docs/prompts-ci.yml), its steps run as written against a
//! real server: a pull request stages its prompts, the merge promotes them.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use crate::code::{Run, app, expect, ok};

/// The `run: |` scripts of the documented CI workflow, by step name.
fn workflow_steps() -> Vec<(String, String)> {
    let workflow = include_str!("../../../docs/prompts-ci.yml");
    let lines: Vec<&str> = workflow.lines().collect();
    let mut steps = Vec::new();
    let mut name = String::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(step) = line.trim_start().strip_prefix("- name: ") {
            name = step.to_owned();
        }
        if line.trim() == "run: |" {
            let indent = lines[i + 1].len() - lines[i + 1].trim_start().len();
            let script: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
                .map(|l| l.get(indent..).unwrap_or(""))
                .collect();
            steps.push((name.clone(), script.join("\n")));
        }
    }
    steps
}

/// Runs one step of the workflow as GitHub Actions does (`bash -eo pipefail`), in `repo`.
async fn run_step(step: &str, repo: &Path, env: &[(&str, &str)]) -> Run {
    let script =
        workflow_steps().into_iter().find(|(name, _)| name == step).expect("a step of the workflow").1;
    let bin = repo.parent().expect("parent").join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let _ = std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_promptvault"), bin.join("promptvault"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = tokio::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(repo)
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("bash");
    Run::of(output)
}

#[tokio::test]
async fn the_documented_ci_workflow_stages_a_pull_request_and_promotes_the_merge() {
    let (app, token) = app().await;
    ok(&app, Method::PATCH, "/v1/manage/settings", Some(json!({"staging_enabled": true}))).await;
    let dir = tempfile::tempdir().expect("dir");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("prompts/support")).expect("repo");
    std::fs::write(repo.join("prompts/greeting.prompt"), "Howdy {{name}}!\n").expect("file");
    std::fs::write(repo.join("prompts/support/faq.prompt"), "Answer from the FAQ.\n").expect("file");
    let title = r#"Friendlier "greeting" $(touch injected) `touch injected`"#;
    let env = [
        ("PROMPTVAULT_URL", app.base.as_str()),
        ("PROMPTVAULT_TOKEN", token.as_str()),
        ("NUMBER", "12"),
        ("TITLE", title),
        ("COMMIT_MESSAGE", "Friendlier greeting (#12)\n\nThe body of the commit message."),
    ];

    // The pull request: the diff, then drafts staged.
    let diff = run_step("What the push changes", &repo, &env).await;
    assert!(expect(&diff, 0).stdout.contains("+Howdy {{name}}!"), "{}", diff.stdout);
    expect(&run_step("Push as drafts and stage them for the preview", &repo, &env).await, 0);
    let greeting = ok(&app, Method::GET, "/v1/manage/prompts/greeting", None).await;
    assert_eq!((&greeting["staging"], &greeting["live"]), (&json!("v1"), &Value::Null));
    let v1 = ok(&app, Method::GET, "/v1/manage/prompts/greeting/versions/1", None).await;
    assert_eq!(v1["message"], format!("#12: {title}"));
    assert!(!repo.join("injected").exists(), "the title is data, never script");

    // The merge: promoted, nothing new saved; a second run has nothing to do.
    for _ in 0..2 {
        expect(&run_step("Promote what was merged", &repo, &env).await, 0);
        let faq = ok(&app, Method::GET, "/v1/manage/prompts/support%2Ffaq", None).await;
        assert_eq!((&faq["live"], &faq["versions"]), (&json!("v1"), &json!(1)));
    }
}
