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
