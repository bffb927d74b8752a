//! Structured prompts: chat messages, `{{variables}}`, config and references to other
//! prompts — saved, frozen, served, diffed and refused alike on both backends; and a
//! database made by the release before them, opened by this one.

use serde_json::{Value, json};
use vault::diff::MessageChange;
use vault::{
    Body, ChatMessage, Conflict, DraftBody, KeyKind, MessageRole, NewDraft, PromptType, Rewrite,
    SettingsPatch, Storage, Vault, VaultError,
};

use crate::helpers::{assert_refused, v};

const CHAT: &str = "support/reply";

fn messages() -> Value {
    json!([
        {"role": "system", "content": "You answer for {{ product }} in a {{tone}} tone."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"}
    ])
}

async fn chat_prompt() -> (Vault, vault::Actor, tempfile::TempDir) {
    let (vault, owner, dir) = crate::helpers::workspace("Ada").await;
    let state = vault.create_prompt_of_type(&owner, CHAT, PromptType::Chat).await.expect("create");
    assert_eq!(state.kind, PromptType::Chat);
    (vault, owner, dir)
}

#[tokio::test]
async fn a_chat_version_keeps_its_messages_config_and_variables() {
    let (vault, owner, _dir) = chat_prompt().await;
    let config = json!({"model": "gpt-4o", "temperature": 0.2, "tools": [{"name": "lookup"}]});
    let saved = vault
        .save_draft(&owner, CHAT, NewDraft::chat(messages(), "first").with_config(config.clone()))
        .await
        .expect("save");
    assert_eq!(saved.kind(), PromptType::Chat);
    assert_eq!(saved.variables, ["product", "tone", "question"]);
    let Body::Chat(kept) = &saved.body else { panic!("a chat body") };
    assert_eq!(kept[1], ChatMessage::Placeholder { name: "history".into() });
    assert_eq!(kept[2], ChatMessage::new(MessageRole::User, "{{question}}"));
    assert_eq!(Value::Object(saved.config.clone()), config);

    let json = serde_json::to_value(saved.to_json(true)).expect("json");
    assert_eq!(json["type"], "chat");
    assert_eq!(json["messages"], messages());
    assert!(json.get("source").is_none(), "a chat version has messages, not a source");
    assert_eq!(json["config"], config);
    assert_eq!(json["variables"], json!(["product", "tone", "question"]));
    let listed = vault.history(&owner, CHAT, Default::default()).await.expect("history");
    let entry = serde_json::to_value(listed.items[0].to_json()).expect("entry");
    assert_eq!(
        (entry["type"].clone(), entry["variables"].clone()),
        (json!("chat"), json!(["product", "tone", "question"]))
    );
}

#[tokio::test]
async fn a_text_version_lists_its_variables_and_defaults_to_an_empty_config() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, "support/triage").await.expect("create");
    let draft = NewDraft::text("Hi {{ name }}, on {{plan}}: {{name}} {{ 1 }}", "first");
    let saved = vault.save_draft(&owner, "support/triage", draft).await.expect("save");
    assert_eq!(
        (saved.kind(), saved.variables.clone()),
        (PromptType::Text, vec!["name".to_owned(), "plan".to_owned()])
    );
    let json = serde_json::to_value(saved.to_json(true)).expect("json");
    assert_eq!((json["type"].clone(), json["config"].clone()), (json!("text"), json!({})));
}

/// Every refusal names its field and saves nothing.
#[tokio::test]
async fn bad_structured_input_is_refused_by_field_and_saves_nothing() {
    let (vault, owner, _dir) = chat_prompt().await;
    vault.create_prompt(&owner, "support/triage").await.expect("text prompt");
    let big = json!({"notes": "x".repeat(vault::content::MAX_CONFIG_BYTES)});
    let cases: Vec<(&str, NewDraft, &str)> = vec![
        (CHAT, NewDraft::chat(json!([]), "m"), "messages"),
        (CHAT, NewDraft::chat(json!([{"role": " ", "content": "x"}]), "m"), "messages"),
        (CHAT, NewDraft::chat(json!([{"type": "placeholder", "name": "my history"}]), "m"), "messages"),
        (
            CHAT,
            NewDraft::chat(
                json!([{"role": "user", "content": "{{history}}"}, {"type": "placeholder", "name": "history"}]),
                "m",
            ),
            "messages",
        ),
        (CHAT, NewDraft::text("a text for a chat prompt", "m"), "source"),
        ("support/triage", NewDraft::chat(messages(), "m"), "messages"),
        (CHAT, NewDraft::chat(messages(), "m").with_config(json!(["not", "an", "object"])), "config"),
        (CHAT, NewDraft::chat(messages(), "m").with_config(json!("gpt-4o")), "config"),
        (CHAT, NewDraft::chat(messages(), "m").with_config(big), "config"),
    ];
    for (prompt, draft, field) in cases {
        let described = format!("{draft:?}");
        match vault.save_draft(&owner, prompt, draft).await {
            Err(error) => {
                assert_eq!(error.field(), Some(field), "{described}: {error}");
                assert!(matches!(error.status(), 413 | 422), "{described}: {error}");
            }
            Ok(saved) => panic!("{described} was saved as {}", saved.number),
        }
    }
    for prompt in [CHAT, "support/triage"] {
        assert_eq!(
            vault.prompt(&owner, prompt).await.expect("state").versions,
            0,
            "nothing saved in {prompt}"
        );
    }
    let Err(VaultError::Invalid { message, .. }) = vault::content::parse_config("{\"model\": gpt}") else {
        panic!("invalid JSON is refused")
    };
    assert!(message.contains("not valid JSON"), "{message}");
}

#[tokio::test]
async fn a_published_chat_version_is_frozen_with_its_config_and_its_type_for_ever() {
    let (vault, owner, dir) = chat_prompt().await;
    let draft = NewDraft::chat(messages(), "first").with_config(json!({"model": "gpt-4o"}));
    vault.save_draft(&owner, CHAT, draft).await.expect("save");
    // A draft's config is rewritten in place.
    let rewrite = Rewrite { config: Some(json!({"model": "gpt-4o-mini"})), ..Default::default() };
    let rewritten = vault.rewrite_draft(&owner, CHAT, v(1), rewrite).await.expect("rewrite");
    assert_eq!(rewritten.config["model"], "gpt-4o-mini");
    assert_eq!(rewritten.variables, ["product", "tone", "question"]);
    vault.promote(&owner, CHAT, v(1)).await.expect("promote");

    let rewrite = Rewrite { config: Some(json!({"model": "o3"})), ..Default::default() };
    let refused = vault.rewrite_draft(&owner, CHAT, v(1), rewrite).await;
    assert_refused(refused, 409, Conflict::Frozen.code());
    let body = Rewrite {
        body: Some(DraftBody::Chat(json!([{"role": "user", "content": "x"}]))),
        ..Default::default()
    };
    assert!(vault.rewrite_draft(&owner, CHAT, v(1), body).await.is_err());
    // The database refuses too, behind the vault's back.
    let sneaky =
        crate::helpers::sql(dir.path(), "update versions set config = '{\"model\":\"o3\"}' where number = 1")
            .await;
    assert!(sneaky.is_err(), "the database keeps a published version's config");
    let retyped = crate::helpers::sql(dir.path(), "update prompts set kind = 'text'").await;
    assert!(retyped.is_err(), "the database keeps a prompt's type");
    let kept = vault.version(&owner, CHAT, v(1)).await.expect("v1");
    assert_eq!((kept.config["model"].clone(), kept.kind()), (json!("gpt-4o-mini"), PromptType::Chat));
}

#[tokio::test]
async fn sdk_and_langfuse_reads_serve_messages_config_and_variables() {
    let (vault, owner, _dir) = chat_prompt().await;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await
        .expect("staging");
    let draft = NewDraft::chat(messages(), "first").with_config(json!({"model": "gpt-4o"}));
    vault.save_draft(&owner, CHAT, draft).await.expect("save");
    vault.promote(&owner, CHAT, v(1)).await.expect("promote");
    let draft =
        NewDraft::chat(messages(), "second").with_config(json!({"model": "gpt-4o", "temperature": 0}));
    vault.save_draft(&owner, CHAT, draft).await.expect("save");
    vault.set_staging(&owner, CHAT, Some(v(2))).await.expect("stage");
    let live = vault.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key").token;
    let test = vault.create_api_key(&owner, KeyKind::Test, "ci").await.expect("key").token;

    let served = vault.read_prompt(&live, CHAT, None).await.expect("read");
    let body: Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!((body["type"].clone(), body["messages"].clone()), (json!("chat"), messages()));
    assert_eq!(
        (body["config"].clone(), body["variables"].clone()),
        (json!({"model": "gpt-4o"}), json!(["product", "tone", "question"]))
    );

    // The ETag covers the config: a staged draft's new config is a new entity.
    let before = vault.read_prompt(&test, CHAT, None).await.expect("staging").etag.clone();
    let rewrite =
        Rewrite { config: Some(json!({"model": "gpt-4o", "temperature": 1})), ..Default::default() };
    vault.rewrite_draft(&owner, CHAT, v(2), rewrite).await.expect("rewrite");
    let after = vault.read_prompt(&test, CHAT, None).await.expect("staging");
    assert_ne!(after.etag, before);
    let body: Value = serde_json::from_slice(&after.body).expect("json");
    assert_eq!(body["config"]["temperature"], 1);

    let langfuse: Value = serde_json::from_slice(
        &vault.read_langfuse(&live, CHAT, (None, None), true).await.expect("langfuse"),
    )
    .expect("json");
    assert_eq!(langfuse["type"], "chat");
    assert_eq!(langfuse["config"], json!({"model": "gpt-4o"}));
    assert_eq!(
        langfuse["prompt"],
        json!([
            {"type": "chatmessage", "role": "system", "content": "You answer for {{ product }} in a {{tone}} tone."},
            {"type": "placeholder", "name": "history"},
            {"type": "chatmessage", "role": "user", "content": "{{question}}"}
        ])
    );
}

#[tokio::test]
async fn chat_versions_are_diffed_message_by_message_and_config_key_by_key() {
    let (vault, owner, _dir) = chat_prompt().await;
    let first =
        NewDraft::chat(messages(), "first").with_config(json!({"model": "gpt-4o", "temperature": 0.2}));
    vault.save_draft(&owner, CHAT, first).await.expect("v1");
    let second = json!([
        {"role": "system", "content": "You answer for {{ product }} in a warm tone."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"},
        {"role": "assistant", "content": "Let me check."}
    ]);
    let second = NewDraft::chat(second, "second").with_config(json!({"model": "gpt-4o-mini", "top_p": 0.9}));
    vault.save_draft(&owner, CHAT, second).await.expect("v2");

    let compared = vault.diff(&owner, CHAT, None, v(2)).await.expect("diff");
    let changes = compared.messages.expect("a chat diff");
    assert_eq!(changes.len(), 4, "{changes:?}");
    let MessageChange::Changed { old_role, new_role, diff, .. } = &changes[0] else {
        panic!("{:?}", changes[0])
    };
    assert_eq!((old_role, new_role), (&MessageRole::System, &MessageRole::System));
    let emphasised: Vec<String> = diff
        .rows
        .iter()
        .filter_map(|row| match row {
            vault::diff::DiffRow::Changed { new: Some(side), .. } => {
                Some(side.segments.iter().filter(|s| s.changed).map(|s| s.text.clone()).collect::<String>())
            }
            _ => None,
        })
        .collect();
    assert_eq!(emphasised, ["warm"], "words emphasised inside the message");
    assert!(matches!(changes[1], MessageChange::Same { old_index: 1, new_index: 1, .. }));
    assert!(matches!(changes[2], MessageChange::Same { old_index: 2, new_index: 2, .. }));
    assert!(
        matches!(&changes[3], MessageChange::Added { new_index: 3, message } if *message == ChatMessage::new(MessageRole::Assistant, "Let me check."))
    );
    let keys: Vec<(&str, Option<Value>, Option<Value>)> =
        compared.config.iter().map(|c| (c.key.as_str(), c.old.clone(), c.new.clone())).collect();
    assert_eq!(
        keys,
        [
            ("model", Some(json!("gpt-4o")), Some(json!("gpt-4o-mini"))),
            ("temperature", Some(json!(0.2)), None),
            ("top_p", None, Some(json!(0.9))),
        ]
    );
    // The first version against nothing: every message added.
    let first = vault.diff(&owner, CHAT, None, v(1)).await.expect("diff");
    assert!(first.messages.expect("chat").iter().all(|c| matches!(c, MessageChange::Added { .. })));
}

#[tokio::test]
async fn search_finds_chat_versions_by_message_and_author() {
    let (vault, owner, _dir) = chat_prompt().await;
    vault.save_draft(&owner, CHAT, NewDraft::chat(messages(), "Warmer refund answers")).await.expect("save");
    vault.search_caught_up().await.expect("caught up");
    let page = vault::PageRequest { search: Some("refund".into()), ..Default::default() };
    let found = vault.search(&owner, page).await.expect("search");
    assert_eq!(found.items.len(), 1);
    let hit = serde_json::to_value(found.items[0].to_json()).expect("hit");
    assert_eq!((hit["prompt"].clone(), hit["type"].clone()), (json!(CHAT), json!("chat")));
}

/// `fixtures/before-structured-prompts.db` was made by the release before structured prompts
/// (`promptvault --demo`, then stopped): its text prompts read as before, with their
/// variables listed, and take chat prompts beside them.
#[tokio::test]
async fn a_database_of_the_previous_release_opens_with_its_prompts_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/before-structured-prompts.db");
    std::fs::copy(fixture, dir.path().join("promptvault.db")).expect("copy the old database");
    let vault = Vault::open(&Storage::in_dir(dir.path())).await.expect("open and migrate");
    let (owner, _) = vault
        .sign_in(vault::demo::DEMO_EMAIL, vault::demo::DEMO_PASSWORD, crate::helpers::HERE)
        .await
        .expect("sign in");
    let welcome = vault.version(&owner, "onboarding/welcome-email", v(2)).await.expect("v2");
    assert_eq!(welcome.kind(), PromptType::Text);
    assert!(
        welcome.text().starts_with("Write a short, warm welcome email to {{name}}"),
        "{}",
        welcome.text()
    );
    assert_eq!(welcome.variables, ["name", "plan"]);
    assert!(welcome.config.is_empty());
    let listed =
        vault.history(&owner, "onboarding/welcome-email", Default::default()).await.expect("history");
    assert_eq!(listed.items[0].variables, ["name", "plan"], "listed once extracted at start-up");
    let key = vault.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key").token;
    let served: Value = serde_json::from_slice(
        &vault.read_prompt(&key, "onboarding/welcome-email", None).await.expect("read").body,
    )
    .expect("json");
    assert_eq!(
        (served["type"].clone(), served["variables"].clone()),
        (json!("text"), json!(["name", "plan"]))
    );
    vault.create_prompt_of_type(&owner, CHAT, PromptType::Chat).await.expect("a chat prompt beside them");
    vault.save_draft(&owner, CHAT, NewDraft::chat(messages(), "first")).await.expect("save");
}

/// A megabyte of unclosed braces once took minutes to scan for variables, inside the write
/// transaction and again under the read model's refresh lock: now saving, promoting,
/// serving and listing it for an agent are each one pass over the text.
#[tokio::test]
async fn a_megabyte_of_braces_saves_serves_and_lists_at_once() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    // Far above a pass's cost, unoptimised on a busy machine; far below the minutes a scan
    // that looks back at every brace takes.
    let started = std::time::Instant::now();
    let braces = "{".repeat(vault::MAX_SOURCE_BYTES);
    vault.create_prompt(&owner, "braces").await.expect("create");
    let saved = vault.save_draft(&owner, "braces", NewDraft::text(braces.clone(), "")).await.expect("draft");
    assert!(saved.variables.is_empty());
    vault.promote(&owner, "braces", v(1)).await.expect("promote");
    let key = vault.create_api_key(&owner, KeyKind::Live, "app").await.expect("key").token;
    let served = vault.read_prompt(&key, "braces", None).await.expect("served");
    assert!(served.body.len() > braces.len());
    let listed = vault.agent_prompts(&key).expect("listed");
    assert_eq!((listed[0].name.as_str(), listed[0].arguments.len()), ("braces", 0));
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn references_to_other_prompts_are_saved_as_written_and_refused_when_malformed() {
    let (vault, owner, _dir) = chat_prompt().await;
    let tag = "@@@langfusePrompt:name=shared/tone|label=production@@@";
    let with_tag = json!([{"role": "system", "content": format!("Answer briefly. {tag}")}]);
    let saved = vault.save_draft(&owner, CHAT, NewDraft::chat(with_tag, "m")).await.expect("a reference");
    let Body::Chat(saved) = &saved.body else { panic!("chat") };
    assert!(matches!(&saved[0], ChatMessage::Message { content, .. } if content.ends_with(tag)));

    let malformed = json!([{"role": "user", "content": "@@@langfusePrompt:name=shared/tone@@@"}]);
    assert_refused(
        vault.save_draft(&owner, CHAT, NewDraft::chat(malformed, "m")).await,
        422,
        "name=NAME|label",
    );
    let itself = json!([{"role": "user", "content": format!("@@@langfusePrompt:name={CHAT}|version=1@@@")}]);
    assert_refused(
        vault.save_draft(&owner, CHAT, NewDraft::chat(itself, "m")).await,
        422,
        "cannot include itself",
    );
    assert_eq!(vault.prompt(&owner, CHAT).await.expect("prompt").versions, 1, "nothing else saved");
}
