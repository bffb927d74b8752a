//! A database made before labels (the schema of the migrations before them, with the rows
//! that schema held) opens in this version with nothing any key reads changed: live and
//! staging where they were, the keys reading what they read, the moves and requests kept,
//! the workspace's usage counted.

use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::migrate::Migrator;
use vault::{KeyKind, NewDraft, Quotas, Vault};

use crate::helpers::{storage, v};

/// The first migration of each backend that knows labels.
const LABELS_SQLITE: i64 = 15;
const LABELS_POSTGRES: i64 = 8;

const LIVE_KEY: &str = "pv_live_madebeforelabels0000000000000000";
const TEST_KEY: &str = "pv_test_madebeforelabels0000000000000000";
const TOKEN: &str = "pv_pat_madebeforelabels00000000000000000";

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a workspace held before labels, as that schema stored it.
fn rows() -> Vec<String> {
    vec![
        "insert into workspaces (id, name, staging_enabled, created_at, live_changes) values (1, 'Acme', 1, 0, 'review')".into(),
        "insert into accounts (id, email, name, password_hash, created_at) values \
         (1, 'ada@example.com', 'Ada', 'x', 0), (2, 'bob@example.com', 'Bob', 'x', 0)"
            .into(),
        "insert into members (id, workspace_id, account_id, role, joined_at) values (1, 1, 1, 'owner', 0), (2, 1, 2, 'editor', 0)".into(),
        format!(
            "insert into access_tokens (id, account_id, workspace_id, name, token_hash, last_four, created_at) \
             values (1, 1, 1, 'ci', '{}', '0000', 0)",
            hash(TOKEN)
        ),
        "insert into prompts (id, workspace_id, name, last_number, created_at, updated_at) values (1, 1, 'support/triage', 3, 0, 0)".into(),
        // Versions without ids: PostgreSQL's sequence then hands out the next one.
        "insert into versions (prompt_id, number, status, source, message, author_id, created_at) values \
         (1, 1, 'live', 'one', 'm1', 1, 0), (1, 2, 'live', 'two', 'm2', 1, 0), (1, 3, 'draft', 'three', 'm3', 1, 0)"
            .into(),
        "update prompts set live_number = 2, staging_number = 3 where id = 1".into(),
        "insert into pointer_moves (prompt_id, channel, from_number, to_number, actor_id, at, event_id) values \
         (1, 'live', null, 1, 1, 1, 'evt_a'), (1, 'live', 1, 2, 1, 2, 'evt_b'), (1, 'staging', null, 3, 1, 3, 'evt_c')"
            .into(),
        format!(
            "insert into api_keys (id, workspace_id, kind, name, token_hash, last_four, created_by, created_at) values \
             (1, 1, 'live', 'prod', '{}', '0000', 1, 0), (2, 1, 'test', 'preview', '{}', '0000', 1, 0)",
            hash(LIVE_KEY),
            hash(TEST_KEY)
        ),
        "insert into requests (id, workspace_id, prompt_id, action, number, note, requested_by, created_at) \
         values (1, 1, 1, 'promote', 3, 'please', 2, 0)"
            .into(),
    ]
}

/// The database at `dir` migrated to just before labels, holding [`rows`].
async fn made_before_labels(dir: &Path) -> vault::Storage {
    let storage = storage(dir).await;
    sqlx::any::install_default_drivers();
    let postgres = storage.database_url.starts_with("postgres");
    let (folder, first_with_labels) =
        if postgres { ("postgres", LABELS_POSTGRES) } else { ("sqlite", LABELS_SQLITE) };
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(folder);
    let all = Migrator::new(folder).await.expect("the migration files");
    let before: Vec<_> = all.iter().filter(|m| m.version < first_with_labels).cloned().collect();
    let old = Migrator::with_migrations(before);
    let pool = sqlx::AnyPool::connect(&storage.database_url).await.expect("the old database");
    old.run(&pool).await.expect("the old schema");
    for statement in rows() {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&pool).await.expect("an old row");
    }
    pool.close().await;
    storage
}

#[tokio::test]
async fn a_database_made_before_labels_keeps_what_every_key_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = made_before_labels(dir.path()).await;
    let vault = Vault::open(&storage).await.expect("opened, and migrated");
    let served = |token: &'static str| {
        let vault = vault.clone();
        async move {
            let served = vault.read_prompt(token, "support/triage", None).await.expect("read");
            let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
            v(body["number"].as_i64().expect("a number"))
        }
    };
    assert_eq!(served(LIVE_KEY).await, v(2), "live keys read live");
    assert_eq!(served(TEST_KEY).await, v(3), "test keys read staging");

    let ada = vault.token_actor(TOKEN).await.expect("the token still works");
    let state = vault.prompt(&ada, "support/triage").await.expect("prompt");
    let labels: Vec<String> = state.labels.iter().map(|(l, n)| format!("{l}={n}")).collect();
    assert_eq!(labels, ["live=v2", "staging=v3"]);
    let moves = vault.deployments(&ada, "support/triage").await.expect("moves");
    let kept: Vec<String> =
        moves.iter().map(|m| format!("{} {:?}", m.label, m.to.map(|n| n.get()))).collect();
    assert_eq!(kept, ["staging Some(3)", "live Some(2)", "live Some(1)"]);
    let requests = vault.requests(&ada, None, None).await.expect("requests");
    assert_eq!((requests[0].label.as_str(), requests[0].number), ("live", v(3)));
    let keys = vault.api_keys(&ada).await.expect("keys");
    assert_eq!(
        keys.iter().map(|k| k.kind).collect::<Vec<_>>(),
        [KeyKind::Test, KeyKind::Live],
        "newest first"
    );
    let labels = vault.labels(&ada).await.expect("labels");
    assert_eq!(
        labels.iter().map(|l| (l.name.as_str(), l.keys)).collect::<Vec<_>>(),
        [("live", 1), ("staging", 1)]
    );

    // The request made before labels is approved as it would have been.
    let bob = vault.members(&ada).await.expect("members");
    assert_eq!(bob.len(), 2);
    vault.approve_request(&ada, 1).await.expect("approved");
    assert_eq!(served(LIVE_KEY).await, v(3));

    // The workspace's usage was counted from the versions it held: three, so a quota of four
    // takes one more, and no other.
    let four = vault.with_quotas(Quotas { versions_per_workspace: 4, ..Quotas::default() });
    let draft = || NewDraft::text("four".to_owned(), "m");
    four.save_draft(&ada, "support/triage", draft()).await.expect("a fourth version");
    let error = four.save_draft(&ada, "support/triage", draft()).await.expect_err("a fifth");
    assert!(error.to_string().contains("--max-versions-per-workspace"), "{error}");
}
