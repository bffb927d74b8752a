//! Prompts as code: a push of prompt files saves a draft for each file that differs from its
//! prompt's newest version, creates new prompts, stages, promotes or moves labels as asked
//! (requests under review), and is all or nothing.

use serde_json::json;
use vault::{
    Actor, ChangeRule, LabelName, LabelPatch, NewDraft, NewLabel, NewMember, PromptFile, PromptType, Push,
    PushStep, Role, SettingsPatch, Vault,
};

use crate::helpers::{assert_refused, v};

fn text(name: &str, source: &str) -> PromptFile {
    PromptFile {
        name: name.into(),
        kind: PromptType::Text,
        body: vault::DraftBody::Text(source.into()),
        config: None,
        tags: None,
    }
}

fn chat(name: &str, messages: serde_json::Value, config: serde_json::Value) -> PromptFile {
    PromptFile {
        name: name.into(),
        kind: PromptType::Chat,
        body: vault::DraftBody::Chat(messages),
        config: Some(config),
        tags: None,
    }
}

fn push(files: Vec<PromptFile>) -> Push {
    Push { files, message: "From the repository".into(), ..Default::default() }
}

async fn with_staging(vault: &Vault, owner: &Actor) {
    let patch = SettingsPatch { staging_enabled: Some(true), ..Default::default() };
    vault.update_settings(owner, patch).await.expect("settings");
}

async fn member(vault: &Vault, owner: &Actor, role: Role) -> Actor {
    let input = NewMember {
        email: format!("{}@example.com", role.as_str()),
        password: "long enough".into(),
        name: role.as_str().into(),
        role,
    };
    vault.add_member(owner, input).await.expect("member")
}

fn files() -> Vec<PromptFile> {
    let messages = json!([{"role": "system", "content": "You help {{customer}}."}, {"type": "placeholder", "name": "history"}]);
    vec![text("greeting", "Hello {{name}}"), chat("support/triage", messages, json!({"model": "gpt-4o"}))]
}

#[tokio::test]
async fn a_push_creates_prompts_saves_what_differs_and_then_nothing() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let report = vault.push(&owner, push(files())).await.expect("push");
    assert!(report.changed());
    let steps: Vec<_> = report.prompts.iter().map(|p| (p.name.as_str(), p.steps.clone())).collect();
    assert_eq!(
        steps,
        [
            ("greeting", vec![PushStep::Created, PushStep::Saved { version: v(1) }]),
            ("support/triage", vec![PushStep::Created, PushStep::Saved { version: v(1) }]),
        ]
    );
    let triage = vault.version(&owner, "support/triage", v(1)).await.expect("version");
    assert_eq!(triage.config.get("model"), Some(&json!("gpt-4o")));
    assert_eq!(triage.message, "From the repository");
    assert_eq!(vault.prompt(&owner, "support/triage").await.expect("prompt").kind, PromptType::Chat);

    let again = vault.push(&owner, push(files())).await.expect("second push");
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.prompts[0].version, v(1));

    // One file edited: one draft, based on the newest version; the other prompt untouched.
    let mut edited = files();
    edited[0] = text("greeting", "Hello {{name}}!");
    let report = vault.push(&owner, push(edited)).await.expect("push an edit");
    assert_eq!(report.prompts[0].steps, [PushStep::Saved { version: v(2) }]);
    assert_eq!(report.prompts[0].previous.as_ref().map(|p| p.text()), Some("Hello {{name}}"));
    assert!(report.prompts[1].steps.is_empty());
    assert_eq!(vault.prompt(&owner, "support/triage").await.expect("prompt").versions, 1);

    // A config change alone is a change.
    let mut reconfigured = files();
    reconfigured[1].config = Some(json!({"model": "gpt-4o-mini"}));
    let report = vault.push(&owner, push(reconfigured)).await.expect("push a config");
    assert_eq!(report.prompts[1].steps, [PushStep::Saved { version: v(2) }]);
}

#[tokio::test]
async fn a_push_stages_and_promotes_each_files_version_once() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    with_staging(&vault, &owner).await;
    let staged = vault.push(&owner, Push { stage: true, ..push(files()) }).await.expect("stage");
    assert_eq!(staged.prompts[0].steps.last(), Some(&PushStep::Staged { version: v(1) }));
    let state = vault.prompt(&owner, "greeting").await.expect("prompt");
    assert_eq!((state.staging, state.live), (Some(v(1)), None));

    // On merge: the same files, promoted; nothing new is saved.
    let promoted = vault.push(&owner, Push { promote: true, ..push(files()) }).await.expect("promote");
    assert_eq!(promoted.prompts[0].steps, [PushStep::Promoted { version: v(1) }]);
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").live, Some(v(1)));
    let again =
        vault.push(&owner, Push { promote: true, stage: true, ..push(files()) }).await.expect("again");
    assert!(!again.changed(), "{again:?}");
}

#[tokio::test]
async fn a_dry_run_reports_the_push_and_keeps_nothing() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let report =
        vault.push(&owner, Push { dry_run: true, promote: true, ..push(files()) }).await.expect("dry run");
    assert!(report.dry_run && report.changed());
    assert_eq!(report.prompts[0].steps.last(), Some(&PushStep::Promoted { version: v(1) }));
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty());
}

#[tokio::test]
async fn one_bad_file_refuses_the_whole_push_naming_its_prompt() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, "plain").await.expect("a text prompt");
    let cases: Vec<(PromptFile, u16, &str)> = vec![
        (text("Bad|Name", "x"), 422, "not allowed in a prompt name"),
        (chat("plain", json!([{"role": "user", "content": "x"}]), json!({})), 422, "plain is a text prompt"),
        (chat("chatty", json!([{"role": "", "content": "x"}]), json!({})), 422, "chatty: message 1"),
        (
            chat("configured", json!([{"role": "user", "content": "x"}]), json!([1])),
            422,
            "configured: config",
        ),
        (text("empty", ""), 422, "empty"),
    ];
    for (bad, status, needle) in cases {
        let mut all = files();
        all.push(bad);
        assert_refused(vault.push(&owner, push(all)).await, status, needle);
    }
    assert_refused(
        vault.push(&owner, push(vec![text("twice", "a"), text("twice", "b")])).await,
        422,
        "twice",
    );
    let names: Vec<_> =
        vault.prompts(&owner).await.expect("prompts").into_iter().map(|p| p.state.name).collect();
    assert_eq!(names, ["plain"], "nothing of a refused push is kept");
}

#[tokio::test]
async fn roles_and_the_workspace_rule_decide_what_a_push_may_do() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let viewer = member(&vault, &owner, Role::Viewer).await;
    assert_refused(vault.push(&viewer, push(files())).await, 403, "viewers cannot change prompts");

    let editor = member(&vault, &owner, Role::Editor).await;
    let admins_only = SettingsPatch { live_changes: Some(ChangeRule::Admins), ..Default::default() };
    vault.update_settings(&owner, admins_only).await.expect("admins only");
    assert_refused(vault.push(&editor, Push { promote: true, ..push(files()) }).await, 403, "admins");
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing saved before the refusal");
    assert_refused(
        vault.push(&editor, Push { stage: true, ..push(files()) }).await,
        409,
        "staging is disabled",
    );

    // Under review, --promote opens one request per prompt, and a second push reuses it.
    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    vault.update_settings(&owner, review).await.expect("review");
    let report = vault.push(&editor, Push { promote: true, ..push(files()) }).await.expect("request");
    let request = report.prompts[0].awaiting_review.expect("a request");
    assert_eq!(report.prompts[0].steps.last(), Some(&PushStep::Requested { version: v(1), request }));
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").live, None);
    let again = vault.push(&editor, Push { promote: true, ..push(files()) }).await.expect("again");
    assert!(!again.changed());
    assert_eq!(again.prompts[0].awaiting_review, Some(request));
    assert_eq!(vault.requests(&owner, None, None).await.expect("requests").len(), 2);
}

#[tokio::test]
async fn a_push_compares_with_the_newest_version_not_the_live_one() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.push(&owner, Push { promote: true, ..push(vec![text("greeting", "Hello")]) }).await.expect("push");
    vault.save_draft(&owner, "greeting", NewDraft::text("Hi", "someone's draft")).await.expect("draft");
    // The file equals live (v1), but the newest is v2: the file becomes v3.
    let report = vault.push(&owner, push(vec![text("greeting", "Hello")])).await.expect("push");
    assert_eq!(report.prompts[0].steps, [PushStep::Saved { version: v(3) }]);
    assert_eq!(report.prompts[0].previous.as_ref().map(|p| p.number), Some(v(2)));
}

#[tokio::test]
async fn two_pushes_of_the_same_folder_at_once_save_one_draft() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.push(&owner, push(files())).await.expect("first push");
    let mut edited = files();
    edited[0] = text("greeting", "Hello again {{name}}");
    let (a, b) = tokio::join!(vault.push(&owner, push(edited.clone())), vault.push(&owner, push(edited)));
    let saved: Vec<_> = [a.expect("one push"), b.expect("the other")]
        .iter()
        .flat_map(|report| report.prompts[0].steps.clone())
        .collect();
    // The second push waits for the first's lock and then finds the file equal to the newest.
    assert_eq!(saved, [PushStep::Saved { version: v(2) }]);
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").versions, 2);
}

#[tokio::test]
async fn two_pushes_creating_the_same_prompt_at_once_both_succeed() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let (a, b) = tokio::join!(vault.push(&owner, push(files())), vault.push(&owner, push(files())));
    let steps: Vec<_> = [a.expect("one push"), b.expect("the other")]
        .iter()
        .flat_map(|report| report.prompts[0].steps.clone())
        .collect();
    assert_eq!(steps, [PushStep::Created, PushStep::Saved { version: v(1) }]);
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").versions, 1);
}

#[tokio::test]
async fn one_push_carries_at_most_its_count_of_files() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let files = (0..=vault::MAX_ITEMS_PER_WRITE).map(|n| text(&format!("p{n}"), "text")).collect();
    assert_refused(vault.push(&owner, push(files)).await, 422, "at most");
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing was pushed");
}

#[tokio::test]
async fn a_file_that_names_tags_gives_them_to_its_prompt_and_one_that_does_not_keeps_them() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let tagged =
        PromptFile { tags: Some(vec!["support".into(), "billing".into()]), ..text("greeting", "Hi") };
    let report = vault.push(&owner, push(vec![tagged.clone()])).await.expect("push");
    assert!(report.prompts[0].steps.contains(&PushStep::Tagged), "{report:?}");
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").tags, ["support", "billing"]);
    let again = vault.push(&owner, push(vec![tagged])).await.expect("again");
    assert!(!again.changed(), "the same tags change nothing");
    let untagged = vault.push(&owner, push(vec![text("greeting", "Hi")])).await.expect("no tags named");
    assert!(!untagged.changed());
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").tags, ["support", "billing"]);
    let cleared = PromptFile { tags: Some(Vec::new()), ..text("greeting", "Hi") };
    vault.push(&owner, push(vec![cleared])).await.expect("cleared");
    assert!(vault.prompt(&owner, "greeting").await.expect("prompt").tags.is_empty());
    let bad = PromptFile { tags: Some(vec!["x".repeat(65)]), ..text("greeting", "Hi") };
    assert_refused(vault.push(&owner, push(vec![bad])).await, 422, "greeting: a tag");
}

#[tokio::test]
async fn a_push_moves_the_labels_it_names_under_their_rules() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let label = |name: &str, protected: bool, rule: ChangeRule| NewLabel {
        name: name.into(),
        protected,
        rule,
        fallback: None,
    };
    vault.create_label(&owner, label("eu", true, ChangeRule::Editors)).await.expect("eu");
    vault.create_label(&owner, label("qa", false, ChangeRule::Editors)).await.expect("qa");
    vault.create_label(&owner, label("us", true, ChangeRule::Review)).await.expect("us");
    let editor = member(&vault, &owner, Role::Editor).await;
    let labels = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

    // A label the workspace lacks refuses the whole push, before anything is written.
    let typo = Push { labels: labels(&["eu", "ue"]), ..push(files()) };
    assert_refused(vault.push(&editor, typo).await, 404, "no label named ue");
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing saved");

    let report = vault.push(&editor, Push { labels: labels(&["qa", "eu", "live"]), ..push(files()) }).await;
    let steps = &report.expect("push").prompts[0].steps;
    let eu = LabelName::parse("eu").expect("eu");
    let qa = LabelName::parse("qa").expect("qa");
    assert_eq!(
        steps[2..],
        [
            PushStep::Promoted { version: v(1) },
            PushStep::Labelled { label: eu.clone(), version: v(1) },
            PushStep::Labelled { label: qa.clone(), version: v(1) },
        ],
        "live folds into promote; the others move in name order"
    );
    let greeting = vault.prompt(&owner, "greeting").await.expect("greeting");
    assert_eq!(
        (greeting.live, greeting.labels.get(&eu), greeting.labels.get(&qa)),
        (Some(v(1)), Some(&v(1)), Some(&v(1)))
    );
    let again = vault.push(&editor, Push { labels: labels(&["eu", "qa"]), ..push(files()) }).await;
    assert!(!again.expect("again").changed(), "labels already there are no step");

    // Under the label's rule of review, the push opens one request per prompt, once.
    let report = vault.push(&editor, Push { labels: labels(&["us"]), ..push(files()) }).await.expect("us");
    let PushStep::LabelRequested { label, version, request } = report.prompts[0].steps[0].clone() else {
        panic!("a request: {report:?}");
    };
    assert_eq!((label.as_str(), version), ("us", v(1)));
    let again = vault.push(&editor, Push { labels: labels(&["us"]), ..push(files()) }).await.expect("again");
    assert!(!again.changed(), "the open request is reused");
    let requests = vault.requests(&owner, None, None).await.expect("requests");
    assert!(requests.iter().any(|r| r.id == request), "{requests:?}");
    assert_eq!(requests.len(), 2, "one request per prompt");

    // A rule the member does not meet refuses the push.
    let admins = LabelPatch { rule: Some(ChangeRule::Admins), ..Default::default() };
    vault.update_label(&owner, "qa", admins).await.expect("qa for admins");
    let text_changed = vec![text("greeting", "Hi {{name}}")];
    assert_refused(
        vault.push(&editor, Push { labels: labels(&["qa"]), ..push(text_changed) }).await,
        403,
        "qa",
    );
    assert!(vault.version(&owner, "greeting", v(2)).await.is_err(), "no draft kept");
}

#[tokio::test]
async fn a_folder_whose_prompts_include_each_other_is_promoted_included_first_and_refused_if_one_cannot_resolve()
 {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let key = vault.create_api_key(&owner, vault::KeyKind::Live, "app").await.expect("key").token;
    let reply = "Reply. @@@langfusePrompt:name=tone|label=production@@@";
    let files = vec![text("a/reply", reply), text("tone", "Be kind.")];
    vault.push(&owner, Push { promote: true, ..push(files) }).await.expect("pushed and promoted");
    let served = vault.read_prompt(&key, "a/reply", None).await.expect("read");
    let served: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!(served["source"], "Reply. Be kind.", "tone went live before a/reply was pinned");

    let files =
        vec![text("a/other", "@@@langfusePrompt:name=nowhere|label=production@@@"), text("tone", "x")];
    let refused = vault.push(&owner, push(files)).await;
    let error = assert_refused(refused, 422, "name=nowhere|label=production");
    assert!(error.to_string().contains("a/other: @@@"), "names the prompt (its file): {error}");
    assert!(vault.prompt(&owner, "a/other").await.is_err(), "nothing was pushed");
}
