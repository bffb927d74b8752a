//! Export and import: a workspace read into a new database is the same workspace (its
//! history, its keys, its members), an import refuses a database that has workspaces, and a
//! damaged document changes nothing.

use vault::{KeyKind, NewDraft, PageRequest, ReadRefused, Vault};

use crate::helpers::{PROMPT, assert_refused, v};

async fn empty_vault() -> (Vault, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::helpers::open(dir.path()).await;
    (vault, dir)
}

#[tokio::test]
async fn an_imported_workspace_keeps_its_history_keys_and_sign_in() {
    let (source, owner, _dir) = crate::helpers::workspace("Ada").await;
    source.create_prompt(&owner, PROMPT).await.expect("create");
    for i in 1..=3 {
        let draft = NewDraft::text(format!("text {i}"), format!("change {i}"));
        source.save_draft(&owner, PROMPT, draft).await.expect("save");
    }
    source.promote(&owner, PROMPT, v(2)).await.expect("promote");
    let key = source.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key");
    let export = source.export(Some("Acme")).await.expect("export");
    assert_eq!(export.workspaces, ["Acme"]);

    let (target, _target_dir) = empty_vault().await;
    target.import(&export).await.expect("import");
    let served = target.read_prompt(&key.token, PROMPT, None).await.expect("the key reads there");
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!(body["version"], "v2");
    let (owner_there, _) = target
        .sign_in("ada@example.com", "correct horse", crate::helpers::HERE)
        .await
        .expect("same password");
    let history = |vault: &Vault, actor| {
        let vault = vault.clone();
        async move { vault.versions(&actor, PROMPT, PageRequest::default()).await.expect("versions").items }
    };
    let (before, after) =
        (history(&source, owner.clone()).await, history(&target, owner_there.clone()).await);
    let shape = |versions: &[vault::Version]| {
        versions
            .iter()
            .map(|v| (v.number, v.status, v.text().to_owned(), v.message.clone(), v.created_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&after), shape(&before));
    // New rows get new ids after the imported ones.
    target.save_draft(&owner_there, PROMPT, NewDraft::text("text 4", String::new())).await.expect("save");
    target.create_api_key(&owner_there, KeyKind::Test, "preview").await.expect("another key");

    // Importing again, into a database with workspaces, is refused.
    let again = target.import(&export).await;
    assert_refused(again, 409, "not_empty");
}

#[tokio::test]
async fn a_damaged_export_changes_nothing() {
    let (source, owner, _dir) = crate::helpers::workspace("Ada").await;
    source.create_prompt(&owner, PROMPT).await.expect("create");
    let key = source.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key");
    let mut export = source.export(None).await.expect("export");
    let prompts = export.tables.get_mut("prompts").and_then(|rows| rows.as_array_mut()).expect("prompts");
    prompts[0]["colour"] = serde_json::json!("blue");

    let (target, _target_dir) = empty_vault().await;
    let refused = target.import(&export).await;
    assert_refused(refused, 422, "unknown column colour");
    assert!(target.needs_setup().await.expect("setup state"), "nothing was imported");
    assert_eq!(target.read_prompt(&key.token, PROMPT, None).await.err(), Some(ReadRefused::Unauthorized));

    export.promptvault_export = 99;
    assert_refused(target.import(&export).await, 422, "invalid");
}

/// Whatever opens the storage (the server, an import, a password reset) makes the data
/// directory this user's alone, and the SQLite database with it.
#[cfg(unix)]
#[tokio::test]
async fn opening_storage_makes_the_data_directory_and_database_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("not yet made");
    let vault = vault::Vault::open(&vault::Storage::in_dir(&data)).await.expect("open");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("promptvault.db")), 0o600);
    vault.close().await;
}

/// Labels, where they point, the keys that read them, tags and the moves all go across; and
/// a document written before labels (format 1, whose moves named a `channel`) still imports.
#[tokio::test]
async fn labels_tags_and_their_keys_go_across_and_a_format_1_export_imports() {
    let (source, owner, _dir) = crate::helpers::workspace("Ada").await;
    source.create_prompt(&owner, PROMPT).await.expect("create");
    source.save_draft(&owner, PROMPT, NewDraft::text("one", "m")).await.expect("save");
    source.promote(&owner, PROMPT, v(1)).await.expect("promote");
    let eu = vault::NewLabel {
        name: "eu".into(),
        protected: true,
        rule: vault::ChangeRule::Admins,
        fallback: None,
    };
    source.create_label(&owner, eu).await.expect("eu");
    source.move_label(&owner, PROMPT, "eu", Some(v(1))).await.expect("eu on v1");
    source.set_tags(&owner, PROMPT, &["support".into()]).await.expect("tags");
    let key = source.create_label_key(&owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    let export = source.export(None).await.expect("export");

    let (target, _target_dir) = empty_vault().await;
    target.import(&export).await.expect("import");
    let served = target.read_prompt(&key.token, PROMPT, None).await.expect("the eu key reads there");
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!((body["version"].clone(), body["label"].clone()), ("v1".into(), "eu".into()));
    let (owner_there, _) =
        target.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let state = target.prompt(&owner_there, PROMPT).await.expect("prompt");
    assert_eq!((state.tags.clone(), state.labels.len()), (vec!["support".to_owned()], 2));
    assert_eq!(target.label(&owner_there, "eu").await.expect("eu").rule, vault::ChangeRule::Admins);
    let moves = target.deployments(&owner_there, PROMPT).await.expect("moves");
    assert_eq!(moves.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(), ["eu", "live"]);

    // The same document as format 1 wrote it (before labels): its moves named a channel.
    let mut old = source.export(None).await.expect("export");
    old.promptvault_export = 1;
    for table in ["labels", "prompt_labels", "prompt_tags"] {
        old.tables.remove(table);
    }
    for row in old.tables.get_mut("pointer_moves").and_then(|rows| rows.as_array_mut()).expect("moves") {
        let label = row.as_object_mut().and_then(|row| row.remove("label")).expect("label");
        row["channel"] = label;
    }
    for table in ["api_keys", "requests"] {
        for row in old.tables.get_mut(table).and_then(|rows| rows.as_array_mut()).expect(table) {
            row.as_object_mut().map(|row| row.remove("label"));
        }
    }
    old.tables
        .get_mut("pointer_moves")
        .and_then(|rows| rows.as_array_mut())
        .expect("moves")
        .retain(|m| m["channel"] != "eu");
    old.tables.get_mut("api_keys").and_then(|rows| rows.as_array_mut()).expect("keys").clear();
    let (older, _older_dir) = empty_vault().await;
    older.import(&old).await.expect("format 1 imports");
    let (owner_older, _) =
        older.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let moves = older.deployments(&owner_older, PROMPT).await.expect("moves");
    assert_eq!(moves.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(), ["live"]);
}

#[tokio::test]
async fn an_export_carries_configs_variables_and_what_each_version_pins() {
    let (source, owner, _dir) = crate::helpers::workspace("Ada").await;
    for (name, text) in
        [("tone", "Be kind to {{customer}}."), ("reply", "@@@langfusePrompt:name=tone|label=production@@@")]
    {
        source.create_prompt(&owner, name).await.expect("create");
        let draft = NewDraft::text(text, "first").with_config(serde_json::json!({"model": "gpt-4o"}));
        source.save_draft(&owner, name, draft).await.expect("save");
        source.promote(&owner, name, v(1)).await.expect("promote");
    }
    let key = source.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key");
    let export = source.export(None).await.expect("export");

    let (target, _target_dir) = empty_vault().await;
    target.import(&export).await.expect("import");
    let served = target.read_prompt(&key.token, "reply", None).await.expect("read");
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!(
        (&body["source"], &body["variables"], &body["config"]["model"]),
        (
            &serde_json::json!("Be kind to {{customer}}."),
            &serde_json::json!(["customer"]),
            &serde_json::json!("gpt-4o")
        )
    );
    let (owner_there, _) =
        target.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let pins = target.pins(&owner_there, "reply", v(1)).await.expect("pins");
    assert_eq!((pins.len(), pins[0].prompt.as_str(), pins[0].version.as_str()), (1, "tone", "v1"));
}

#[tokio::test]
async fn a_running_rollout_and_a_token_that_only_aborts_go_across() {
    let (source, owner, _dir) = crate::helpers::workspace("Ada").await;
    source.create_prompt(&owner, "reply").await.expect("create");
    for text in ["one", "two"] {
        source.save_draft(&owner, "reply", NewDraft::text(text, text)).await.expect("save");
    }
    source.promote(&owner, "reply", v(1)).await.expect("promote");
    let new = vault::NewRollout { version: v(2), percent: 100.0, schedule: Vec::new(), guard: None };
    source.start_rollout(&owner, "reply", "live", new).await.expect("rollout");
    let aborter = source.create_abort_token(&owner, "watcher").await.expect("abort token");
    let key = source.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key");
    let export = source.export(None).await.expect("export");

    let (target, _target_dir) = empty_vault().await;
    target.import(&export).await.expect("import");
    let read = |unit| {
        let target = target.clone();
        let key = key.token.clone();
        async move {
            let served = target.read_prompt_for(&key, "reply", None, unit).await.expect("read");
            serde_json::from_slice::<serde_json::Value>(&served.body).expect("json")["version"].clone()
        }
    };
    assert_eq!(read(Some("ada")).await, "v2", "the rollout runs there too");
    assert_refused(target.token_actor(&aborter.secret).await, 403, "only aborts rollouts");
    let aborted = target
        .abort_rollout_with_token(&aborter.secret, "reply", "live", "moved")
        .await
        .expect("abort there");
    assert_eq!(aborted.state, "aborted");
    assert_eq!(read(Some("ada")).await, "v1");
}
