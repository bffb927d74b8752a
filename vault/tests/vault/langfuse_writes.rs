//! The Langfuse API's writes under PromptVault's rules: a create is a new published version
//! with its labels and tags, `newLabels` move labels onto a version, a delete removes drafts
//! only, and every label keeps its rule.

use serde_json::json;
use vault::{
    Actor, ChangeRule, Conflict, LangfuseCreate, LangfuseDelete, LangfuseListQuery, NewDraft, PromptType,
    Role, SettingsPatch, Status,
};

use crate::helpers::{Fixture, assert_conflict, assert_refused, v};

fn create(name: &str, prompt: serde_json::Value, labels: &[&str]) -> LangfuseCreate {
    LangfuseCreate {
        name: name.into(),
        kind: None,
        prompt,
        config: None,
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        tags: None,
        commit_message: None,
    }
}

async fn rule(f: &Fixture, rule: ChangeRule) {
    let patch = SettingsPatch { live_changes: Some(rule), ..Default::default() };
    f.vault.update_settings(&f.owner, patch).await.expect("settings");
}

#[tokio::test]
async fn a_create_is_a_new_published_version_with_its_labels_and_tags() {
    let f = Fixture::new("Ada").await;
    let first = LangfuseCreate {
        config: Some(json!({"model": "gpt-4o"})),
        tags: Some(vec!["support".into()]),
        commit_message: Some("first words".into()),
        ..create("movie-critic", json!("Rate {{movie}}."), &["production", "eu"])
    };
    let made = f.vault.langfuse_create(&f.owner, first).await.expect("created");
    assert_eq!(
        (made.version, made.kind.as_str(), made.labels.clone()),
        (1, "text", vec!["production".to_owned(), "eu".into(), "latest".into()])
    );
    assert_eq!(
        (made.tags.clone(), made.commit_message.as_deref()),
        (vec!["support".to_owned()], Some("first words"))
    );
    assert_eq!(made.config.get("model"), Some(&json!("gpt-4o")));
    let eu = f.vault.label(&f.owner, "eu").await.expect("made by its first use");
    assert_eq!((eu.protected, eu.rule, eu.fallback), (true, ChangeRule::Editors, None));

    let again =
        f.vault.langfuse_create(&f.owner, create("movie-critic", json!("Rate {{movie}}."), &[])).await;
    let again = again.expect("identical content is a new version too");
    assert_eq!(
        (again.version, again.labels.clone(), again.tags.clone()),
        (2, vec!["latest".to_owned()], vec!["support".to_owned()])
    );
    let state = f.vault.prompt(&f.owner, "movie-critic").await.expect("prompt");
    assert_eq!((state.live, state.versions), (Some(v(1)), 2));
    assert_eq!(f.vault.version(&f.owner, "movie-critic", v(2)).await.expect("v2").status, Status::Published);
    let v1 = f.vault.langfuse_version(&f.owner, "movie-critic", (None, Some(v(1))), true).await.expect("v1");
    assert_eq!(v1.labels, ["production", "eu"], "latest moved on");

    let cleared = LangfuseCreate { tags: Some(Vec::new()), ..create("movie-critic", json!("x"), &[]) };
    assert!(
        f.vault.langfuse_create(&f.owner, cleared).await.expect("v3").tags.is_empty(),
        "[] clears the tags"
    );
}

#[tokio::test]
async fn a_chat_create_takes_the_js_sdk_messages_and_the_type_is_fixed() {
    let f = Fixture::new("Ada").await;
    let messages = json!([
        {"type": "chatmessage", "role": "system", "content": "You help {{customer}}."},
        {"type": "placeholder", "name": "history"},
        {"type": "chatmessage", "role": "developer", "content": "Answer in JSON."}
    ]);
    let chat = LangfuseCreate {
        kind: Some(PromptType::Chat),
        ..create("support/chat", messages.clone(), &["production"])
    };
    let made = f.vault.langfuse_create(&f.owner, chat).await.expect("chat");
    assert_eq!((made.kind.as_str(), made.prompt.clone()), ("chat", messages));
    let text = create("support/chat", json!("now a text"), &[]);
    let error = assert_refused(f.vault.langfuse_create(&f.owner, text).await, 422, "type never changes");
    assert_eq!(error.field(), Some("type"));
    let error = assert_refused(
        f.vault.langfuse_create(&f.owner, create("a", json!(["not", "a", "text"]), &[])).await,
        422,
        "a text prompt's prompt is a string",
    );
    assert_eq!(error.field(), Some("prompt"));
    let latest = f.vault.langfuse_create(&f.owner, create("a", json!("x"), &["latest"])).await;
    assert_refused(latest, 422, "cannot be set");
    let long = LangfuseCreate { commit_message: Some("m".repeat(501)), ..create("a", json!("x"), &[]) };
    assert_refused(f.vault.langfuse_create(&f.owner, long).await, 422, "at most 500");
    assert_refused(f.vault.prompt(&f.owner, "a").await, 404, "no prompt");
}

#[tokio::test]
async fn every_label_keeps_its_rule_and_a_refused_write_changes_nothing() {
    let f = Fixture::new("Ada").await;
    let editor = f.member(Role::Editor).await;
    f.vault.langfuse_create(&f.owner, create("p", json!("one"), &["production"])).await.expect("v1");
    rule(&f, ChangeRule::Review).await;
    let reviewed = f.vault.langfuse_create(&editor, create("p", json!("two"), &[])).await;
    assert_conflict(reviewed, Conflict::ReviewRequired, "request its promotion");
    rule(&f, ChangeRule::Admins).await;
    assert_refused(
        f.vault.langfuse_create(&editor, create("p", json!("two"), &[])).await,
        403,
        "only admins and owners publish",
    );
    rule(&f, ChangeRule::Editors).await;
    f.vault
        .create_label(
            &f.owner,
            vault::NewLabel { name: "eu".into(), protected: true, rule: ChangeRule::Admins, fallback: None },
        )
        .await
        .expect("eu");
    let eu = f.vault.langfuse_create(&editor, create("p", json!("two"), &["eu"])).await;
    assert_refused(eu, 403, "only admins and owners move eu");
    assert_eq!(f.vault.prompt(&f.owner, "p").await.expect("p").versions, 1, "nothing was created");
    let viewer = f.member(Role::Viewer).await;
    assert_refused(f.vault.langfuse_create(&viewer, create("p", json!("two"), &[])).await, 403, "forbidden");
}

#[tokio::test]
async fn new_labels_move_onto_a_version_newest_first() {
    let f = Fixture::new("Ada").await;
    for text in ["one", "two"] {
        f.vault.langfuse_create(&f.owner, create("p", json!(text), &["production"])).await.expect("create");
    }
    let staging = f.vault.langfuse_label(&f.owner, "p", v(1), &["staging".into()]).await;
    assert_conflict(staging, Conflict::StagingDisabled, "disabled");
    f.staging(true).await;
    let moved =
        f.vault.langfuse_label(&f.owner, "p", v(1), &["staging".into(), "qa".into()]).await.expect("moved");
    assert_eq!(moved.labels, ["staging", "qa"]);
    let moved =
        f.vault.langfuse_label(&f.owner, "p", v(1), &["production".into()]).await.expect("live back to v1");
    assert_eq!(moved.labels, ["production", "staging", "qa"], "new first, then those it had");
    let v2 = f.vault.langfuse_version(&f.owner, "p", (Some("latest"), None), true).await.expect("latest");
    assert_eq!((v2.version, v2.labels.clone()), (2, vec!["latest".to_owned()]));
    assert_refused(
        f.vault.langfuse_label(&f.owner, "p", v(1), &["latest".into()]).await,
        422,
        "cannot be set",
    );
    assert_refused(f.vault.langfuse_label(&f.owner, "p", v(9), &["qa".into()]).await, 404, "no version");
}

#[tokio::test]
async fn a_delete_removes_drafts_and_refuses_published_versions() {
    let f = Fixture::new("Ada").await;
    f.vault.langfuse_create(&f.owner, create("p", json!("one"), &["production"])).await.expect("v1");
    for i in 2..=3 {
        f.vault.save_draft(&f.owner, "p", NewDraft::text(format!("draft {i}"), "d")).await.expect("draft");
    }
    let published = f.vault.langfuse_delete(&f.owner, "p", LangfuseDelete::Version(v(1))).await;
    assert_conflict(published, Conflict::Frozen, "keeps published versions for ever");
    assert_conflict(
        f.vault.langfuse_delete(&f.owner, "p", LangfuseDelete::All).await,
        Conflict::Frozen,
        "only drafts",
    );
    assert_eq!(f.vault.prompt(&f.owner, "p").await.expect("p").versions, 3, "nothing deleted");
    f.vault.langfuse_delete(&f.owner, "p", LangfuseDelete::Version(v(3))).await.expect("a draft goes");
    f.vault
        .create_label(
            &f.owner,
            vault::NewLabel {
                name: "qa".into(),
                protected: false,
                rule: ChangeRule::Editors,
                fallback: None,
            },
        )
        .await
        .expect("qa");
    f.vault.move_label(&f.owner, "p", "qa", Some(v(2))).await.expect("qa on the draft");
    f.vault.langfuse_delete(&f.owner, "p", LangfuseDelete::Label("qa".into())).await.expect("by its label");
    assert_eq!(f.vault.prompt(&f.owner, "p").await.expect("p").versions, 1);
    assert_refused(
        f.vault.langfuse_delete(&f.owner, "p", LangfuseDelete::Label("qa".into())).await,
        404,
        "no version of p",
    );
    assert_refused(f.vault.langfuse_delete(&f.owner, "nope", LangfuseDelete::All).await, 404, "no prompt");
}

#[tokio::test]
async fn a_member_reads_any_label_and_published_versions_only() {
    let f = Fixture::new("Ada").await;
    f.vault.langfuse_create(&f.owner, create("p", json!("one"), &["production", "eu"])).await.expect("v1");
    f.vault.save_draft(&f.owner, "p", NewDraft::text("draft", "d")).await.expect("v2 draft");
    let viewer: Actor = f.member(Role::Viewer).await;
    for label in [None, Some("production"), Some("eu"), Some("latest")] {
        assert_eq!(
            f.vault.langfuse_version(&viewer, "p", (label, None), true).await.expect("read").version,
            1,
            "{label:?}"
        );
    }
    assert_refused(f.vault.langfuse_version(&viewer, "p", (None, Some(v(2))), true).await, 404, "draft");
    assert_refused(
        f.vault.langfuse_version(&viewer, "p", (Some("qa"), None), true).await,
        404,
        "Prompt not found: 'p' with label 'qa'",
    );
}

#[tokio::test]
async fn the_list_pages_prompts_by_name_with_what_matches_the_filters() {
    let f = Fixture::new("Ada").await.with_keys().await;
    let tagged =
        LangfuseCreate { tags: Some(vec!["x".into()]), ..create("a", json!("a one"), &["production"]) };
    f.vault.langfuse_create(&f.owner, tagged).await.expect("a v1");
    f.vault.langfuse_create(&f.owner, create("a", json!("a two"), &[])).await.expect("a v2");
    let chat = LangfuseCreate {
        kind: Some(PromptType::Chat),
        ..create("b", json!([{"role": "user", "content": "hi"}]), &["production", "eu"])
    };
    f.vault.langfuse_create(&f.owner, chat).await.expect("b v1");
    f.vault.create_prompt(&f.owner, "c").await.expect("c");
    f.vault.save_draft(&f.owner, "c", NewDraft::text("only a draft", "d")).await.expect("c draft");

    let list = |query: LangfuseListQuery| f.vault.langfuse_list(&f.owner, query);
    let all = list(LangfuseListQuery::default()).await.expect("list");
    let shown: Vec<(String, Vec<i64>, Vec<String>)> =
        all.data.iter().map(|p| (p.name.clone(), p.versions.clone(), p.labels.clone())).collect();
    assert_eq!(
        shown,
        [
            ("a".to_owned(), vec![1, 2], vec!["production".to_owned(), "latest".into()]),
            ("b".to_owned(), vec![1], vec!["production".to_owned(), "eu".into(), "latest".into()]),
        ],
        "drafts are not listed"
    );
    assert_eq!((all.meta.page, all.meta.limit, all.meta.total_items, all.meta.total_pages), (1, 10, 2, 1));
    assert_eq!((all.data[1].kind.as_str(), all.data[0].tags.clone()), ("chat", vec!["x".to_owned()]));

    let production = list(LangfuseListQuery { label: Some("production".into()), ..Default::default() })
        .await
        .expect("label");
    assert_eq!(
        (production.data[0].versions.clone(), production.data[0].labels.clone()),
        (vec![1], vec!["production".to_owned()])
    );
    let by_tag = list(LangfuseListQuery { tag: Some("x".into()), ..Default::default() }).await.expect("tag");
    assert_eq!(by_tag.data.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["a"]);
    let second =
        list(LangfuseListQuery { version: Some(v(2)), ..Default::default() }).await.expect("version");
    assert_eq!((second.data.len(), second.data[0].versions.clone()), (1, vec![2]));
    let paged = list(LangfuseListQuery { page: Some(2), limit: Some(1), ..Default::default() })
        .await
        .expect("page 2");
    assert_eq!((paged.data[0].name.as_str(), paged.meta.total_pages), ("b", 2));
    assert_refused(list(LangfuseListQuery { limit: Some(101), ..Default::default() }).await, 422, "1 to 100");
    assert_refused(list(LangfuseListQuery { page: Some(0), ..Default::default() }).await, 422, "1 or more");

    let by_key =
        f.vault.langfuse_list_for_key(&f.live, LangfuseListQuery::default()).await.expect("a read key lists");
    assert_eq!(by_key.expect("list").data.len(), 2);
    assert!(f.vault.langfuse_list_for_key("pv_live_nope", LangfuseListQuery::default()).await.is_err());
}

#[tokio::test]
async fn names_as_langfuse_allows_them_work_on_every_channel() {
    let f = Fixture::new("Ada").await.with_keys().await;
    for name in ["Movie Critic (v2) [beta]", "réponses/été!", "ops/100% sure?"] {
        let made = f.vault.langfuse_create(&f.owner, create(name, json!("Hi"), &["production"])).await;
        assert_eq!(made.expect(name).name, name);
        let served = f.vault.read_prompt(&f.live, name, None).await.expect("read by key");
        let served: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
        assert_eq!(served["name"], name);
        assert_eq!(
            f.vault.langfuse_version(&f.owner, name, (None, None), true).await.expect("langfuse").name,
            name
        );
    }
    for bad in ["a|b", "<script>x</script>", "a//b", "/a", "a/../b"] {
        assert_refused(f.vault.create_prompt(&f.owner, bad).await, 422, "name");
    }
}
