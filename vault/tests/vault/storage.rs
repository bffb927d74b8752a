//! What the storage guarantees: pages of long histories, the database refusing on its own,
//! racing writers, a restart, and the demo seeded once.

use futures::future::join_all;
use vault::{Cursor, NewDraft, PageRequest};

use crate::helpers::{Fixture, PROMPT, assert_refused, draft, sql, v};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

#[tokio::test]
async fn history_pages_are_keyset_cursors_and_tampered_cursors_are_refused() {
    let f = fixture().await;
    f.prompt_with_drafts(7).await;
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = f
            .vault
            .versions(&f.owner, PROMPT, PageRequest { limit: Some(3), cursor, search: None })
            .await
            .expect("page");
        seen.extend(page.items.iter().map(|v| v.number.get()));
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::parse(&next).expect("own cursor parses")),
            None => break,
        }
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1]);
    for bad in ["", "!!!", "YmVmb3JlOng", "bm9wZQ"] {
        assert_refused(Cursor::parse(bad), 400, "malformed");
    }
    let too_many = PageRequest { limit: Some(1000), ..Default::default() };
    assert_eq!(
        assert_refused(f.vault.versions(&f.owner, PROMPT, too_many).await, 422, "invalid").field(),
        Some("limit")
    );
}

#[tokio::test]
async fn a_page_of_big_versions_is_bounded_by_its_content_and_the_cursor_goes_on() {
    let f = fixture().await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create");
    // Six sources just under a megabyte each: a page of 200 would carry six megabytes. Of
    // two-byte characters, so that counting characters instead of bytes would let a page
    // carry all six.
    for n in 1..=6 {
        let source = format!("{n}{}", "é".repeat((vault::MAX_SOURCE_BYTES - 16) / 2));
        f.vault.save_draft(&f.owner, PROMPT, NewDraft::text(source, "big")).await.expect("save");
    }
    let page = |cursor| PageRequest { limit: Some(200), cursor, search: None };
    let first = f.vault.versions(&f.owner, PROMPT, page(None)).await.expect("first page");
    let content: usize = first.items.iter().map(|v| v.text().len()).sum();
    assert!(content <= vault::MAX_PAGE_CONTENT as usize, "{content}");
    assert_eq!(first.items.iter().map(|v| v.number.get()).collect::<Vec<_>>(), [6, 5, 4, 3]);
    let next = Cursor::parse(first.next_cursor.as_deref().expect("a cut page has a cursor")).expect("cursor");
    let second = f.vault.versions(&f.owner, PROMPT, page(Some(next))).await.expect("second page");
    assert_eq!(second.items.iter().map(|v| v.number.get()).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn the_database_refuses_changes_to_live_versions_on_its_own() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    for statement in [
        "update versions set source = 'sneaky' where number = 1",
        "update versions set message = 'sneaky' where number = 1",
        "update versions set status = 'draft' where number = 1",
        "delete from versions where number = 1",
        "update prompts set live_number = 2",
        "update prompts set staging_number = 9",
    ] {
        assert!(sql(f.dir.path(), statement).await.is_err(), "{statement}");
    }
    assert_eq!(f.vault.version(&f.owner, PROMPT, v(1)).await.expect("v1").text(), "source 1");
    assert!(
        sql(
            f.dir.path(),
            "insert into versions (prompt_id, number, status, source, message, author_id, created_at) \
        select prompt_id, 1, 'draft', 'dup', '', author_id, 0 from versions limit 1"
        )
        .await
        .is_err(),
        "unique (prompt, number)"
    );
}

#[tokio::test]
async fn racing_creations_of_one_name_make_one_prompt_and_conflicts() {
    let f = fixture().await;
    let creations = (0..8).map(|_| {
        let (vault, owner) = (f.vault.clone(), f.owner.clone());
        tokio::spawn(async move { vault.create_prompt(&owner, "race/one-name").await })
    });
    let results: Vec<_> = join_all(creations).await.into_iter().map(|joined| joined.expect("join")).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for refused in results.into_iter().filter_map(Result::err) {
        assert_eq!(refused.code(), "already_exists", "{refused:?}");
        assert_eq!(refused.status(), 409);
    }
}

#[tokio::test]
async fn fifty_concurrent_saves_get_v1_to_v50_without_errors_or_gaps() {
    let f = fixture().await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create");
    let saves = (0..50).map(|i| {
        let vault = f.vault.clone();
        let owner = f.owner.clone();
        tokio::spawn(async move { vault.save_draft(&owner, PROMPT, draft(&format!("concurrent {i}"))).await })
    });
    let mut numbers: Vec<i64> = join_all(saves)
        .await
        .into_iter()
        .map(|joined| joined.expect("task").expect("save never fails").number.get())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").versions, 50);
}

#[tokio::test]
async fn everything_is_there_after_a_restart() {
    let f = fixture().await;
    f.prompt_with_drafts(3).await;
    f.staging(true).await;
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    f.vault.set_staging(&f.owner, PROMPT, Some(v(3))).await.expect("stage");
    let token = f.vault.create_access_token(&f.owner, "ci").await.expect("token");
    let (_, cookie) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let before = f.labels().await;
    f.vault.close().await;

    let reopened = crate::helpers::open(f.dir.path()).await;
    let state = reopened.prompt(&f.owner, PROMPT).await.expect("state");
    assert_eq!((state.live, state.staging, state.versions), (Some(v(2)), Some(v(3)), 3));
    let survived = reopened.token_actor(&token.secret).await.expect("token survives");
    assert_eq!(survived.member_id, f.owner.member_id);
    assert_eq!(reopened.session_actor(&cookie.value).await.expect("session survives"), f.owner);
    assert_eq!(reopened.deployments(&f.owner, PROMPT).await.expect("history").len(), 2);
    let f = Fixture { vault: reopened, ..f };
    assert_eq!(f.labels().await, before);
    assert_eq!(f.vault.save_draft(&f.owner, PROMPT, draft("after")).await.expect("save").number, v(4));
}

#[tokio::test]
async fn the_demo_seeds_an_empty_database_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::helpers::open(dir.path()).await;
    assert!(vault::demo::seed(&vault).await.expect("seed"));
    assert!(!vault::demo::seed(&vault).await.expect("second seed does nothing"));
    let (owner, _) = vault
        .sign_in(vault::demo::DEMO_EMAIL, vault::demo::DEMO_PASSWORD, crate::helpers::HERE)
        .await
        .expect("demo sign in");
    let prompts = vault.prompts(&owner).await.expect("prompts");
    assert_eq!(prompts.len(), 4);
    assert!(prompts.iter().any(|p| p.state.live.is_some() && p.state.staging.is_some()));
    assert!(prompts.iter().any(|p| p.state.kind == vault::PromptType::Chat && p.state.live.is_some()));
}
