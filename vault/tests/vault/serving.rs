//! SDK reads from the in-memory model: every cell of PRODUCT.md's "Serving SDK reads",
//! every pointer move seen by the very next read, and API keys.

use vault::{KeyKind, NewDraft, NewMember, ReadRefused, Rewrite, Role};

use crate::helpers::{Fixture, PROMPT, assert_refused, v};

/// A prompt with drafts v1…v3, a live key and a test key.
async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create");
    for i in 1..=3 {
        let draft = NewDraft::text(format!("source {i}"), String::new());
        f.vault.save_draft(&f.owner, PROMPT, draft).await.expect("save");
    }
    f.with_keys().await
}

impl Fixture {
    /// `(version, channel, source)` of what `key` reads, or why it got nothing.
    async fn read(&self, key: &str) -> Result<(String, String, String), ReadRefused> {
        self.read_pinned(key, None).await
    }

    async fn read_pinned(
        &self,
        key: &str,
        pinned: Option<i64>,
    ) -> Result<(String, String, String), ReadRefused> {
        let served = self.vault.read_prompt(key, PROMPT, pinned.map(v)).await?;
        let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
        let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
        Ok((field("version"), field("channel"), field("source")))
    }
}

fn read(version: &str, channel: &str, source: &str) -> Result<(String, String, String), ReadRefused> {
    Ok((version.into(), channel.into(), source.into()))
}

#[tokio::test]
async fn nothing_is_served_before_the_first_promote_and_drafts_never_to_live_keys() {
    let f = fixture().await;
    assert_eq!(f.read(&f.live).await, Err(ReadRefused::NotFound));
    assert_eq!(f.read(&f.test).await, Err(ReadRefused::NotFound));
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    assert_eq!(f.read(&f.live).await, read("v2", "live", "source 2"));
    // The test key falls back to live: staging is disabled.
    assert_eq!(f.read(&f.test).await, read("v2", "live", "source 2"));
    assert_eq!(f.vault.read_prompt(&f.live, "no/such", None).await.map(|_| ()), Err(ReadRefused::NotFound));
}

#[tokio::test]
async fn test_keys_read_staging_which_may_be_a_draft() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    f.staging(true).await;
    // Staging unset: test keys read live.
    assert_eq!(f.read(&f.test).await, read("v1", "live", "source 1"));
    f.vault.set_staging(&f.owner, PROMPT, Some(v(3))).await.expect("stage draft");
    assert_eq!(f.read(&f.test).await, read("v3", "staging", "source 3"));
    assert_eq!(f.read(&f.live).await, read("v1", "live", "source 1"), "live keys never see the draft");

    // Rewriting the staged draft is visible to the next test read.
    let rewrite = Rewrite { body: Some(vault::DraftBody::Text("source 3b".into())), ..Rewrite::default() };
    f.vault.rewrite_draft(&f.owner, PROMPT, v(3), rewrite).await.expect("rewrite");
    assert_eq!(f.read(&f.test).await, read("v3", "staging", "source 3b"));

    // Disabling staging makes test keys read live at once; enabling brings staging back.
    f.staging(false).await;
    assert_eq!(f.read(&f.test).await, read("v1", "live", "source 1"));
    f.staging(true).await;
    assert_eq!(f.read(&f.test).await, read("v3", "staging", "source 3b"));

    // Clearing staging, and deleting the staged draft, fall back to live.
    f.vault.set_staging(&f.owner, PROMPT, None).await.expect("clear");
    assert_eq!(f.read(&f.test).await, read("v1", "live", "source 1"));
    f.vault.set_staging(&f.owner, PROMPT, Some(v(3))).await.expect("stage again");
    f.vault.delete_draft(&f.owner, PROMPT, v(3)).await.expect("delete staged draft");
    assert_eq!(f.read(&f.test).await, read("v1", "live", "source 1"));
}

#[tokio::test]
async fn every_live_pointer_move_is_served_by_the_next_read() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote v1");
    let first = f.vault.read_prompt(&f.live, PROMPT, None).await.expect("read");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote v2");
    assert_eq!(f.read(&f.live).await, read("v2", "live", "source 2"));
    f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    assert_eq!(f.read(&f.live).await, read("v1", "live", "source 1"));
    // Same version, same bytes, same ETag: clients revalidate with 304.
    let again = f.vault.read_prompt(&f.live, PROMPT, None).await.expect("read");
    assert_eq!((&again.etag, &again.body), (&first.etag, &first.body));
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote v2 again");
    let moved = f.vault.read_prompt(&f.live, PROMPT, None).await.expect("read");
    assert_ne!(moved.etag, first.etag);
}

#[tokio::test]
async fn pinned_reads_serve_published_versions_only() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote v1");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote v2");
    assert_eq!(f.read_pinned(&f.live, Some(1)).await, read("v1", "live", "source 1"));
    assert_eq!(f.read_pinned(&f.test, Some(1)).await.map(|r| r.0), Ok("v1".into()));
    assert_eq!(f.read_pinned(&f.live, Some(3)).await, Err(ReadRefused::NotFound), "v3 is a draft");
    assert_eq!(f.read_pinned(&f.live, Some(9)).await, Err(ReadRefused::NotFound));
    // Once v3 is published it can be pinned.
    f.vault.promote(&f.owner, PROMPT, v(3)).await.expect("promote v3");
    assert_eq!(f.read_pinned(&f.live, Some(3)).await, read("v3", "live", "source 3"));
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_refused_at_once() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    assert_eq!(f.read("pv_live_guess").await, Err(ReadRefused::Unauthorized));
    assert_eq!(f.read("").await, Err(ReadRefused::Unauthorized));
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    let prod = keys.iter().find(|k| k.name == "prod").expect("prod key");
    f.vault.revoke_api_key(&f.owner, prod.id).await.expect("revoke");
    assert_eq!(f.read(&f.live).await, Err(ReadRefused::Unauthorized));
    assert_refused(f.vault.revoke_api_key(&f.owner, prod.id).await, 404, "not_found");
    assert!(f.read(&f.test).await.is_ok(), "other keys keep working");
}

#[tokio::test]
async fn keys_are_listed_without_their_token_and_last_use_is_kept_without_a_write_per_read() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    let listed: Vec<_> = keys.iter().map(|k| (k.name.as_str(), k.kind, k.prefix)).collect();
    assert_eq!(listed, [("preview", KeyKind::Test, "pv_test_"), ("prod", KeyKind::Live, "pv_live_")]);
    assert!(f.live.starts_with("pv_live_") && f.live.ends_with(&keys[1].last_four));
    assert!(keys.iter().all(|k| k.last_used_at.is_none()));

    f.read(&f.live).await.expect("read");
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    assert!(keys[1].last_used_at.is_some(), "seen from memory before any flush");

    // Flushed at shutdown, so it survives a restart, like the keys themselves.
    f.vault.close().await;
    let reopened = crate::helpers::open(f.dir.path()).await;
    let keys = reopened.api_keys(&f.owner).await.expect("keys");
    assert!(keys[1].last_used_at.is_some());
    let served = reopened.read_prompt(&f.live, PROMPT, None).await.expect("read after restart");
    assert!(std::str::from_utf8(&served.body).is_ok_and(|b| b.contains("source 1")));
}

#[tokio::test]
async fn only_admins_manage_keys() {
    let f = fixture().await;
    let member = NewMember {
        email: "ed@example.com".into(),
        password: "long enough".into(),
        name: "Ed".into(),
        role: Role::Editor,
    };
    let editor = f.vault.add_member(&f.owner, member).await.expect("editor");
    assert_refused(f.vault.create_api_key(&editor, KeyKind::Live, "x").await, 403, "forbidden");
    assert_refused(f.vault.api_keys(&editor).await, 403, "forbidden");
    assert_refused(f.vault.create_api_key(&f.owner, KeyKind::Live, " ").await, 422, "invalid");
}

#[tokio::test]
async fn pinned_reads_of_unpublished_versions_are_answered_from_memory() {
    let f = fixture().await;
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    // v1 a draft below the newest published one: found out once; v3 a draft and v99 beyond it.
    assert_eq!(f.read_pinned(&f.live, Some(1)).await, Err(ReadRefused::NotFound));
    assert_eq!(f.read_pinned(&f.live, Some(2)).await.map(|r| r.0), Ok("v2".into()));

    // With the versions out of the database's reach, memory still knows all three answers.
    crate::helpers::sql(f.dir.path(), "alter table versions rename to versions_away").await.expect("hide");
    assert_eq!(f.read_pinned(&f.live, Some(1)).await, Err(ReadRefused::NotFound), "no query: remembered");
    assert_eq!(f.read_pinned(&f.live, Some(3)).await, Err(ReadRefused::NotFound), "newer than v2: no query");
    assert_eq!(f.read_pinned(&f.live, Some(99)).await, Err(ReadRefused::NotFound));
    assert_eq!(f.read_pinned(&f.live, Some(2)).await.map(|r| r.0), Ok("v2".into()), "cached");
    // What memory does not know is not claimed missing: the database cannot say.
    assert_eq!(f.read_pinned(&f.test, Some(2)).await, Err(ReadRefused::Unavailable));
    crate::helpers::sql(f.dir.path(), "alter table versions_away rename to versions").await.expect("back");

    // Publishing v1 later (a rollback target) makes it readable by number.
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote v1");
    assert_eq!(f.read_pinned(&f.live, Some(1)).await.map(|r| r.0), Ok("v1".into()));
}
