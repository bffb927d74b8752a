//! Moving from Langfuse: an export becomes prompts with their whole history, numbers kept,
//! `production` live and `staging` staged; importing it again changes nothing.

use serde_json::json;
use vault::{
    Body, ChatMessage, LangfuseVersion, MessageRole, NewDraft, PromptType, SettingsPatch, Status, VaultError,
};

use crate::helpers::{assert_refused, v};

/// An export as Langfuse's API writes it (fields the import does not use included).
fn export() -> Vec<LangfuseVersion> {
    serde_json::from_value(json!([
        {"id": "a1", "name": "greeting", "version": 1, "type": "text", "prompt": "Hi {{name}}",
         "config": {}, "labels": [], "tags": ["onboarding"], "commitMessage": "First words",
         "createdAt": "2025-01-01T00:00:00.000Z", "projectId": "p"},
        {"id": "a3", "name": "greeting", "version": 3, "type": "text", "prompt": "Hello there, {{name}}!",
         "config": {"temperature": 0.2}, "labels": ["staging", "latest", "beta"], "tags": ["onboarding"]},
        {"id": "a2", "name": "greeting", "version": 2, "type": "text", "prompt": "Hello {{name}}",
         "config": null, "labels": ["production"], "tags": [], "commitMessage": null},
        {"id": "b1", "name": "support/triage", "version": 1, "type": "chat",
         "prompt": [
            {"type": "chatmessage", "role": "system", "content": "You triage for {{team}}."},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}}"},
            {"type": "chatmessage", "role": "developer", "content": "Answer in JSON."}
         ],
         "config": {"model": "gpt-4o", "temperature": 0}, "labels": ["production", "latest"], "tags": []}
    ]))
    .expect("an export")
}

#[tokio::test]
async fn an_export_becomes_prompts_with_their_history_and_a_second_import_changes_nothing() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await
        .expect("staging");
    let report = vault.import_from_langfuse(&owner, export()).await.expect("import");
    let greeting = &report[0];
    assert_eq!((greeting.name.as_str(), greeting.created), ("greeting", true));
    assert_eq!(greeting.added, [v(1), v(2), v(3)]);
    assert_eq!((greeting.promoted, greeting.staged), (Some(v(2)), Some(v(3))));
    assert!(greeting.left_out.is_empty(), "{:?}", greeting.left_out);
    assert_eq!(greeting.tagged.as_deref(), Some(&["onboarding".to_owned()][..]), "the newest version's tags");
    assert_eq!(greeting.labelled.get("beta"), Some(&v(3)), "every label is imported");
    let beta = vault.label(&owner, "beta").await.expect("made by its first use");
    assert_eq!((beta.protected, beta.rule), (true, vault::ChangeRule::Editors));

    let state = vault.prompt(&owner, "greeting").await.expect("prompt");
    assert_eq!((state.live, state.staging, state.versions), (Some(v(2)), Some(v(3)), 3));
    let first = vault.version(&owner, "greeting", v(1)).await.expect("v1");
    assert_eq!(
        (first.text(), first.message.as_str(), first.status),
        ("Hi {{name}}", "First words", Status::Published)
    );
    let third = vault.version(&owner, "greeting", v(3)).await.expect("v3");
    assert_eq!(third.status, Status::Published, "history is published, frozen");
    assert_eq!(third.config.get("temperature"), Some(&json!(0.2)));
    assert_eq!(
        vault.version(&owner, "greeting", v(2)).await.expect("v2").message,
        "Imported from Langfuse (v2)"
    );

    let triage = vault.version(&owner, "support/triage", v(1)).await.expect("chat v1");
    assert_eq!(vault.prompt(&owner, "support/triage").await.expect("prompt").kind, PromptType::Chat);
    let Body::Chat(messages) = &triage.body else { panic!("a chat body") };
    assert_eq!(messages[0], ChatMessage::new(MessageRole::System, "You triage for {{team}}."));
    assert_eq!(messages[1], ChatMessage::Placeholder { name: "history".into() });
    assert_eq!(messages[3], ChatMessage::new(MessageRole::Developer, "Answer in JSON."), "any role is kept");
    assert_eq!(triage.config.get("model"), Some(&json!("gpt-4o")));

    let moves = vault.deployments(&owner, "greeting").await.expect("moves").len();
    let again = vault.import_from_langfuse(&owner, export()).await.expect("again");
    assert!(again.iter().all(|p| !p.changed()), "{again:?}");
    assert_eq!(again[0].unchanged, [v(1), v(2), v(3)]);
    assert_eq!(vault.deployments(&owner, "greeting").await.expect("moves").len(), moves);

    // After the import the history goes on from the last Langfuse number.
    let next = vault.save_draft(&owner, "greeting", NewDraft::text("Hey", "here now")).await.expect("draft");
    assert_eq!(next.number, v(4));
}

#[tokio::test]
async fn an_export_that_disagrees_with_the_history_here_imports_nothing() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, "greeting").await.expect("prompt");
    vault.save_draft(&owner, "greeting", NewDraft::text("Other words", "ours")).await.expect("draft");
    let refused = vault.import_from_langfuse(&owner, export()).await;
    let Err(error) = refused else { panic!("expected a conflict") };
    assert_eq!(error.status(), 409, "{error}");
    assert!(error.to_string().contains("greeting v1"), "{error}");
    assert!(vault.prompt(&owner, "support/triage").await.is_err(), "nothing of the import is kept");
}

#[tokio::test]
async fn a_bad_export_is_refused_naming_the_prompt_and_version() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let cases = [
        (json!([{"name": "Bad|Name", "version": 1, "prompt": "x"}]), "\"Bad|Name\""),
        (
            json!([{"name": "c", "version": 1, "type": "chat", "prompt": "text"}]),
            "c v1: a chat prompt's prompt is a list",
        ),
        (
            json!([{"name": "c", "version": 2, "type": "chat", "prompt": [{"role": "", "content": "x"}]}]),
            "c v2: message 1",
        ),
        (json!([{"name": "t", "version": 0, "prompt": "x"}]), "t: "),
        (
            json!([{"name": "t", "version": 1, "prompt": "x"}, {"name": "t", "version": 1, "prompt": "y"}]),
            "t: the export has v1 twice",
        ),
        (
            json!([{"name": "t", "version": 1, "prompt": "x", "labels": ["production"]}, {"name": "t", "version": 2, "prompt": "y", "labels": ["production"]}]),
            "labels 2 versions production",
        ),
    ];
    for (entries, needle) in cases {
        let export: Vec<LangfuseVersion> = serde_json::from_value(entries).expect("entries");
        match vault.import_from_langfuse(&owner, export).await {
            Err(error @ VaultError::Invalid { .. }) => assert!(error.to_string().contains(needle), "{error}"),
            other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
        }
    }
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty());
}

#[tokio::test]
async fn under_review_the_production_version_is_requested_once() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let review = SettingsPatch { live_changes: Some(vault::ChangeRule::Review), ..Default::default() };
    vault.update_settings(&owner, review).await.expect("review");
    let report = vault.import_from_langfuse(&owner, export()).await.expect("import");
    let request = report[0].requested.expect("a request for production");
    assert!(report[0].request_opened && report[0].promoted.is_none());
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("prompt").live, None);

    let again = vault.import_from_langfuse(&owner, export()).await.expect("again");
    assert!(again.iter().all(|p| !p.changed()), "{again:?}");
    assert_eq!((again[0].requested, again[0].request_opened), (Some(request), false));
    assert_eq!(
        vault.requests(&owner, None, None).await.expect("requests").len(),
        3,
        "production of each prompt, and beta (moving it onto an unreviewed draft would publish it)"
    );
    assert!(report[0].label_requests.contains_key("beta"));
}

/// An import publishes versions, which `latest` serves to live keys: under `review` nobody
/// publishes without an approval (the history comes in as drafts), and under `admins` an
/// editor cannot import at all.
#[tokio::test]
async fn an_import_never_publishes_without_the_right_to() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let editor = vault::NewMember {
        email: "ed@example.com".into(),
        password: "long enough".into(),
        name: "Ed".into(),
        role: vault::Role::Editor,
    };
    let editor = vault.add_member(&owner, editor).await.expect("editor");
    let key = vault.create_api_key(&owner, vault::KeyKind::Live, "app").await.expect("key").token;

    let admins = SettingsPatch { live_changes: Some(vault::ChangeRule::Admins), ..Default::default() };
    vault.update_settings(&owner, admins).await.expect("admins");
    assert_refused(vault.import_from_langfuse(&editor, export()).await, 403, "only admins and owners");
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing imported");

    let review = SettingsPatch { live_changes: Some(vault::ChangeRule::Review), ..Default::default() };
    vault.update_settings(&owner, review).await.expect("review");
    let report = vault.import_from_langfuse(&editor, export()).await.expect("import");
    assert!(report[0].requested.is_some() && report[0].promoted.is_none());
    for n in 1..=3 {
        let version = vault.version(&owner, "greeting", v(n)).await.expect("version");
        assert_eq!(version.status, Status::Draft, "v{n} waits for a review");
    }
    let latest = vault.read_langfuse(&key, "greeting", (Some("latest"), None), true).await;
    assert!(latest.is_err(), "nothing unreviewed is served: {latest:?}");
    let request = report[0].requested.expect("request");
    vault.approve_request(&owner, request).await.expect("approved");
    assert!(vault.read_langfuse(&key, "greeting", (Some("production"), None), true).await.is_ok());
}

#[tokio::test]
async fn one_import_request_carries_at_most_its_count_of_versions() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let many: Vec<LangfuseVersion> = (1..=vault::MAX_ITEMS_PER_WRITE as i64 + 1)
        .map(|n| {
            serde_json::from_value(json!({"name": format!("p{n}"), "version": 1, "prompt": "text"}))
                .expect("a version")
        })
        .collect();
    let refused = assert_refused(vault.import_from_langfuse(&owner, many).await, 422, "in parts");
    assert_eq!(refused.field(), Some("versions"));
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing was imported");
}

/// Langfuse's Export button writes every version, or only the newest of each prompt: the
/// newest alone imports with a warning that the history before it is missing, and a later
/// export of all versions fills that history in.
#[tokio::test]
async fn an_export_of_the_newest_versions_warns_and_a_later_whole_export_fills_the_history() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let all = export();
    let newest: Vec<LangfuseVersion> = all
        .iter()
        .filter(|v| (v.name == "greeting" && v.version == 3) || v.name == "support/triage")
        .cloned()
        .collect();
    let report = vault.import_from_langfuse(&owner, newest).await.expect("the newest");
    let warning = report[0].left_out.join(" ");
    assert!(warning.contains("history before v3 is missing") && warning.contains("production"), "{warning}");
    assert!(report[1].left_out.is_empty(), "support/triage's export starts at v1");
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("greeting").live, None);

    let report = vault.import_from_langfuse(&owner, all).await.expect("then every version");
    assert_eq!((report[0].added.clone(), report[0].unchanged.clone()), (vec![v(1), v(2)], vec![v(3)]));
    assert_eq!(report[0].promoted, Some(v(2)));
    assert_eq!(vault.prompt(&owner, "greeting").await.expect("greeting").versions, 3);
    let next = vault.save_draft(&owner, "greeting", NewDraft::text("Hey", "here now")).await.expect("draft");
    assert_eq!(next.number, v(4), "numbers go on after the newest");
}

/// A number once given to a draft that was deleted is never given again, not even by an
/// import filling in history.
#[tokio::test]
async fn an_import_never_fills_a_number_a_deleted_draft_had() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, "greeting").await.expect("prompt");
    vault.save_draft(&owner, "greeting", NewDraft::text("ours", "ours")).await.expect("v1");
    vault.delete_draft(&owner, "greeting", v(1)).await.expect("deleted");
    let newest: Vec<LangfuseVersion> =
        export().into_iter().filter(|v| v.name == "greeting" && v.version == 3).collect();
    vault.import_from_langfuse(&owner, newest).await.expect("v3 after the deleted v1");
    let whole: Vec<LangfuseVersion> = export().into_iter().filter(|v| v.name == "greeting").collect();
    assert_refused(vault.import_from_langfuse(&owner, whole).await, 409, "cannot be added before them");
}

/// A label of the workspace's own keeps its rule through an import.
#[tokio::test]
async fn an_imported_label_keeps_its_rule() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let beta = vault::NewLabel {
        name: "beta".into(),
        protected: true,
        rule: vault::ChangeRule::Admins,
        fallback: None,
    };
    vault.create_label(&owner, beta).await.expect("beta, for admins");
    let editor = vault::NewMember {
        email: "ed@example.com".into(),
        password: "long enough".into(),
        name: "Ed".into(),
        role: vault::Role::Editor,
    };
    let editor = vault.add_member(&owner, editor).await.expect("editor");
    assert_refused(
        vault.import_from_langfuse(&editor, export()).await,
        403,
        "only admins and owners move beta",
    );
    assert!(vault.prompts(&owner).await.expect("prompts").is_empty(), "nothing imported");
    vault.import_from_langfuse(&owner, export()).await.expect("the owner imports");
}

#[tokio::test]
async fn an_imported_prompt_keeps_its_references_and_its_published_versions_are_pinned() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let key = vault.create_api_key(&owner, vault::KeyKind::Live, "app").await.expect("key").token;
    let written = "Reply. @@@langfusePrompt:name=tone|label=production@@@";
    let export: Vec<LangfuseVersion> = serde_json::from_value(json!([
        {"name": "reply", "version": 1, "type": "text", "prompt": written, "labels": ["production"], "tags": []},
        {"name": "tone", "version": 1, "type": "text", "prompt": "Be kind.", "labels": ["production"], "tags": []}
    ]))
    .expect("an export");
    vault.import_from_langfuse(&owner, export).await.expect("import");
    let served = vault.read_prompt(&key, "reply", None).await.expect("read");
    let served: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!(served["source"], "Reply. Be kind.", "tone was imported first, then reply pinned to it");
    assert_eq!(vault.version(&owner, "reply", v(1)).await.expect("v1").text(), written, "kept as written");
    assert_eq!(vault.pins(&owner, "reply", v(1)).await.expect("pins")[0].version, "v1");

    let broken: Vec<LangfuseVersion> = serde_json::from_value(json!([
        {"name": "other", "version": 1, "type": "text", "labels": ["production"], "tags": [],
         "prompt": "@@@langfusePrompt:name=missing|label=production@@@"}
    ]))
    .expect("an export");
    let refused = vault.import_from_langfuse(&owner, broken).await;
    assert_refused(refused, 422, "other: @@@langfusePrompt:name=missing|label=production@@@");
    assert!(vault.prompt(&owner, "other").await.is_err(), "nothing was imported");
}
