//! Every rule of PRODUCT.md and every refusal, against a real SQLite database, without HTTP.

use futures::future::join_all;
use vault::{
    Actor, Channel, Conflict, Credential, Cursor, NewDraft, PageRequest, Rewrite, Role, SetUp, SettingsPatch,
    Status, Vault, VaultError,
};

use crate::helpers::{Fixture, PROMPT, assert_refused, sql, v};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

fn draft(source: &str) -> NewDraft {
    NewDraft::text(source, format!("msg {source}"))
}

impl Fixture {
    async fn prompt_with_drafts(&self, count: usize) {
        self.vault.create_prompt(&self.owner, PROMPT).await.expect("create prompt");
        for i in 1..=count {
            self.vault.save_draft(&self.owner, PROMPT, draft(&format!("source {i}"))).await.expect("save");
        }
    }

    async fn labels(&self) -> Vec<String> {
        let page = PageRequest { limit: Some(200), ..Default::default() };
        let page = self.vault.versions(&self.owner, PROMPT, page).await.expect("versions");
        page.items.iter().map(|v| format!("{}:{}", v.number, v.status.as_str())).collect()
    }
}

/// A refusal by a rule: the reason callers act on, and a message that says it in words.
#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: Result<T, VaultError>, expected: Conflict, needle: &str) {
    let error = assert_refused(result, 409, needle);
    assert_eq!(error.code(), expected.code(), "{error:?}");
}

#[tokio::test]
async fn setup_happens_once() {
    let f = fixture().await;
    assert!(!f.vault.needs_setup().await.expect("needs_setup"));
    let again = SetUp {
        workspace: "B".into(),
        email: "b@example.com".into(),
        password: "long enough".into(),
        name: "B".into(),
    };
    assert_conflict(f.vault.set_up(again).await, Conflict::AlreadySetUp, "already set up");
}

#[tokio::test]
async fn setup_refuses_bad_input_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::helpers::open(dir.path()).await;
    let base = SetUp {
        workspace: "Acme".into(),
        email: "a@example.com".into(),
        password: "long enough".into(),
        name: "A".into(),
    };
    for (bad, field) in [
        (SetUp { email: "nope".into(), ..base.clone() }, "email"),
        (SetUp { password: "short".into(), ..base.clone() }, "password"),
        (SetUp { workspace: " ".into(), ..base.clone() }, "workspace"),
        (SetUp { name: "".into(), ..base.clone() }, "name"),
    ] {
        match vault.set_up(bad).await {
            Err(VaultError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected invalid {field}, got {:?}", other.map(|_| ())),
        }
    }
    assert!(vault.needs_setup().await.expect("needs_setup"));
}

#[tokio::test]
async fn two_first_run_setups_at_once_through_two_instances_make_one_workspace() {
    for round in 0..4 {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = crate::helpers::storage(dir.path()).await;
        let other = tempfile::tempdir().expect("the second instance's directory");
        let first = Vault::open(&storage).await.expect("open");
        if first.backend() == vault::Backend::Sqlite {
            // Several instances share PostgreSQL only; an SQLite file has one server.
            return;
        }
        let elsewhere = vault::Storage { data_dir: other.path().to_owned(), ..storage.clone() };
        let second = Vault::open(&elsewhere).await.expect("open the same database again");
        let setup = |who: &str| SetUp {
            workspace: format!("{who}'s"),
            email: format!("{who}@example.com"),
            password: "correct horse".into(),
            name: who.into(),
        };
        let (a, b) = tokio::join!(first.set_up(setup("ada")), second.set_up(setup("eve")));
        assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "round {round}: one setup succeeds");
        let refused = a.err().or(b.err()).expect("the other is refused");
        assert_conflict::<()>(Err(refused), Conflict::AlreadySetUp, "already set up");
        let ada = first.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.is_ok();
        let eve = first.sign_in("eve@example.com", "correct horse", crate::helpers::HERE).await.is_ok();
        assert!(ada != eve, "round {round}: one account, not two (ada {ada}, eve {eve})");
    }
}

#[tokio::test]
async fn sign_in_opens_a_session_and_sign_out_ends_it() {
    let f = fixture().await;
    let (actor, cookie) =
        f.vault.sign_in("ADA@example.com ", "correct horse", crate::helpers::HERE).await.expect("sign in");
    assert_eq!(actor, f.owner);
    assert_eq!(f.vault.session_actor(&cookie.value).await.expect("session"), f.owner);

    // A tampered cookie is refused.
    let tampered = format!("x{}", cookie.value);
    assert_refused(f.vault.session_actor(&tampered).await, 401, "unauthorized");

    f.vault.sign_out(&cookie.value).await.expect("sign out");
    assert_refused(f.vault.session_actor(&cookie.value).await, 401, "unauthorized");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_refusal() {
    let f = fixture().await;
    let wrong = f
        .vault
        .sign_in("ada@example.com", "wrong horse", crate::helpers::HERE)
        .await
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    let unknown = f
        .vault
        .sign_in("bob@example.com", "correct horse", crate::helpers::HERE)
        .await
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("email or password is wrong"));
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let f = fixture().await;
    let (_, cookie) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    sql(f.dir.path(), "update sessions set expires_at = 0").await.expect("expire");
    assert_refused(f.vault.session_actor(&cookie.value).await, 401, "expired");
}

#[tokio::test]
async fn a_session_unused_for_three_days_ends_and_one_in_use_goes_on() {
    let f = fixture().await;
    let (_, idle) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let (_, busy) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let days_ago = |days: i64| vault::Timestamp::now().0 - days * 24 * 60 * 60 * 1000;
    sql(f.dir.path(), &format!("update sessions set created_at = {}, last_used_at = null", days_ago(4)))
        .await
        .expect("age both");
    // A request two days ago keeps one of them going.
    let busy_hash = sha256_hex(busy.value.split('.').next().expect("token"));
    sql(
        f.dir.path(),
        &format!("update sessions set last_used_at = {} where token_hash = '{busy_hash}'", days_ago(2)),
    )
    .await
    .expect("use one");
    assert_refused(f.vault.session_actor(&idle.value).await, 401, "without use");
    f.vault.session_actor(&busy.value).await.expect("the session in use goes on");
    assert!(f.vault.session_actor(&idle.value).await.is_err(), "and the idle one stays ended");
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn access_tokens_work_until_revoked() {
    let f = fixture().await;
    let created = f.vault.create_access_token(&f.owner, "ci").await.expect("create");
    assert!(created.secret.starts_with("pv_pat_"));
    assert!(created.secret.ends_with(&created.token.last_four));
    let by_token = f.vault.token_actor(&created.secret).await.expect("token works");
    assert_eq!(by_token, Actor { credential: Credential::AccessToken, ..f.owner.clone() });
    // A token cannot make another (a leaked one could then outlive its revocation).
    let minted = f.vault.create_access_token(&by_token, "persistence").await;
    assert_refused(minted, 403, "dashboard");
    assert_eq!(f.vault.access_tokens(&f.owner).await.expect("list").len(), 2, "nothing made");
    // Nor by creating a workspace: its owner acts there with the token's credential.
    let side = f.vault.create_workspace(&by_token, "Side").await.expect("a token may create a workspace");
    assert_eq!(side.credential, Credential::AccessToken);
    let minted = f.vault.create_access_token(&side, "persistence").await;
    assert_refused(minted, 403, "forbidden");

    let listed = f.vault.access_tokens(&f.owner).await.expect("list");
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["ci", "first token"]);
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");

    f.vault.revoke_access_token(&f.owner, created.token.id).await.expect("revoke");
    assert_refused(f.vault.token_actor(&created.secret).await, 401, "unauthorized");
    assert_refused(f.vault.revoke_access_token(&f.owner, created.token.id).await, 404, "not_found");
    assert_refused(f.vault.token_actor("pv_pat_guess").await, 401, "unauthorized");
}

#[tokio::test]
async fn prompt_names_are_checked_and_unique() {
    let f = fixture().await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create");
    assert_conflict(f.vault.create_prompt(&f.owner, PROMPT).await, Conflict::AlreadyExists, "already exists");
    assert_eq!(
        assert_refused(f.vault.create_prompt(&f.owner, "Bad Name").await, 422, "invalid").field(),
        Some("name")
    );
    let names: Vec<_> =
        f.vault.prompts(&f.owner).await.expect("list").into_iter().map(|p| p.state.name).collect();
    assert_eq!(names, [PROMPT]);
}

#[tokio::test]
async fn labels_increment_and_are_never_reused() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    f.vault.delete_draft(&f.owner, PROMPT, v(2)).await.expect("delete v2");
    let v3 = f.vault.save_draft(&f.owner, PROMPT, draft("again")).await.expect("save");
    assert_eq!(v3.number.label(), "v3");
    assert_eq!(v3.status, Status::Draft);
    assert_eq!(v3.author, "Ada");
    assert_eq!(f.labels().await, ["v3:draft", "v1:draft"]);
}

#[tokio::test]
async fn bad_sources_are_refused_and_change_nothing() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let empty = f.vault.save_draft(&f.owner, PROMPT, draft("  \n")).await;
    assert_eq!(assert_refused(empty, 422, "invalid").field(), Some("source"));
    let huge = "x".repeat(vault::MAX_SOURCE_BYTES + 1);
    let too_large = f.vault.save_draft(&f.owner, PROMPT, draft(&huge)).await;
    assert_eq!(assert_refused(too_large, 413, "too_large").field(), Some("source"));
    let unknown = f.vault.save_draft(&f.owner, "no/such", draft("x")).await;
    assert_refused(unknown, 404, "not_found");
    assert_eq!(f.labels().await, ["v1:draft"]);
    // The refused saves consumed no number.
    let next = f.vault.save_draft(&f.owner, PROMPT, draft("ok")).await.expect("save");
    assert_eq!(next.number, v(2));
}

#[tokio::test]
async fn drafts_can_be_rewritten_and_live_versions_cannot() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    let rewrite = Rewrite { body: Some(vault::DraftBody::Text("better".into())), ..Rewrite::default() };
    let rewritten = f.vault.rewrite_draft(&f.owner, PROMPT, v(2), rewrite.clone()).await.expect("rewrite");
    assert_eq!(
        (rewritten.text(), rewritten.message.as_str(), rewritten.revision),
        ("better", "msg source 2", 2)
    );

    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    assert_conflict(f.vault.rewrite_draft(&f.owner, PROMPT, v(1), rewrite).await, Conflict::Frozen, "frozen");
    let v1 = f.vault.version(&f.owner, PROMPT, v(1)).await.expect("v1");
    assert_eq!((v1.text(), v1.status), ("source 1", Status::Published));
}

#[tokio::test]
async fn a_stale_rewrite_is_refused_and_changes_nothing() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let loaded = f.vault.version(&f.owner, PROMPT, v(1)).await.expect("load");
    let theirs = Rewrite {
        body: Some(vault::DraftBody::Text("theirs".into())),
        expected_revision: Some(loaded.revision),
        ..Rewrite::default()
    };
    f.vault.rewrite_draft(&f.owner, PROMPT, v(1), theirs).await.expect("first writer wins");
    let mine = Rewrite {
        body: Some(vault::DraftBody::Text("mine".into())),
        expected_revision: Some(loaded.revision),
        ..Rewrite::default()
    };
    match f.vault.rewrite_draft(&f.owner, PROMPT, v(1), mine).await {
        Err(VaultError::Stale { current }) => assert_eq!(current.text(), "theirs"),
        other => panic!("expected stale, got {other:?}"),
    }
    assert_eq!(f.vault.version(&f.owner, PROMPT, v(1)).await.expect("v1").text(), "theirs");
}

#[tokio::test]
async fn promote_publishes_freezes_and_moves_the_live_pointer() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").live, None);

    let state = f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote v1");
    assert_eq!((state.live, state.versions), (Some(v(1)), 2));
    let state = f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote v2");
    assert_eq!(state.live, Some(v(2)));
    assert_eq!(f.labels().await, ["v2:live", "v1:live"]);

    // Promoting an older published version moves the pointer back; promoting the live one
    // again is a no-op that records nothing.
    assert_eq!(f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("again").live, Some(v(1)));
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("no-op");
    assert_eq!(f.vault.deployments(&f.owner, PROMPT).await.expect("history").len(), 3);

    assert_refused(f.vault.promote(&f.owner, PROMPT, v(9)).await, 404, "not_found");
}

#[tokio::test]
async fn live_versions_are_never_deleted() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    assert_conflict(f.vault.delete_draft(&f.owner, PROMPT, v(1)).await, Conflict::Frozen, "never deleted");
    assert_eq!(f.labels().await, ["v1:live"]);
    assert_refused(f.vault.delete_draft(&f.owner, PROMPT, v(5)).await, 404, "not_found");
}

#[tokio::test]
async fn rollback_goes_back_to_an_older_published_version_and_keeps_newer_ones() {
    let f = fixture().await;
    f.prompt_with_drafts(4).await;
    assert_conflict(
        f.vault.roll_back(&f.owner, PROMPT, v(1)).await,
        Conflict::NothingLive,
        "no live version",
    );
    for n in [1, 2, 3] {
        f.vault.promote(&f.owner, PROMPT, v(n)).await.expect("promote");
    }
    let rolled = f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    assert_eq!((rolled.state.live, rolled.based_on, rolled.version.text()), (Some(v(1)), v(1), "source 1"));
    assert_eq!(f.labels().await, ["v4:draft", "v3:live", "v2:live", "v1:live"]);

    // Only to an older, published version.
    assert_conflict(f.vault.roll_back(&f.owner, PROMPT, v(4)).await, Conflict::NotPublished, "draft");
    assert_conflict(
        f.vault.roll_back(&f.owner, PROMPT, v(3)).await,
        Conflict::NotOlder,
        "older than the live v1",
    );
    assert_conflict(
        f.vault.roll_back(&f.owner, PROMPT, v(1)).await,
        Conflict::NotOlder,
        "older than the live v1",
    );
    assert_refused(f.vault.roll_back(&f.owner, PROMPT, v(7)).await, 404, "not_found");

    // A version left behind by the rollback can be promoted again.
    assert_eq!(f.vault.promote(&f.owner, PROMPT, v(3)).await.expect("promote again").live, Some(v(3)));
}

#[tokio::test]
async fn staging_is_refused_while_disabled_and_may_point_at_a_draft() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    assert_conflict(
        f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await,
        Conflict::StagingDisabled,
        "disabled",
    );
    assert!(!f.vault.settings(&f.owner).await.expect("settings").staging_enabled);

    f.staging(true).await;
    let state = f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await.expect("stage draft");
    assert_eq!((state.staging, state.live), (Some(v(2)), None));
    assert_eq!(
        f.vault.version(&f.owner, PROMPT, v(2)).await.expect("v2").status,
        Status::Draft,
        "not published"
    );
    assert_refused(f.vault.set_staging(&f.owner, PROMPT, Some(v(8))).await, 404, "not_found");

    let cleared = f.vault.set_staging(&f.owner, PROMPT, None).await.expect("clear");
    assert_eq!(cleared.staging, None);
}

#[tokio::test]
async fn deleting_the_staged_draft_clears_staging_in_the_same_transaction() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    f.staging(true).await;
    f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await.expect("stage");
    let state = f.vault.delete_draft(&f.owner, PROMPT, v(2)).await.expect("delete");
    assert_eq!((state.staging, state.versions), (None, 1));
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("history");
    assert_eq!((moves[0].channel, moves[0].from, moves[0].to), (Channel::Staging, Some(v(2)), None));
}

#[tokio::test]
async fn disabling_staging_hides_the_pointer_and_deletes_nothing() {
    let f = fixture().await;
    f.prompt_with_drafts(2).await;
    f.staging(true).await;
    f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await.expect("stage");
    f.staging(false).await;
    let state = f.vault.prompt(&f.owner, PROMPT).await.expect("state");
    assert_eq!((state.staging, state.versions), (None, 2));
    assert_eq!(f.vault.deployments(&f.owner, PROMPT).await.expect("history").len(), 1);
    assert_conflict(f.vault.set_staging(&f.owner, PROMPT, None).await, Conflict::StagingDisabled, "disabled");
    f.staging(true).await;
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").staging, Some(v(2)));
}

#[tokio::test]
async fn every_pointer_move_is_recorded_with_who_when_from_and_to() {
    let f = fixture().await;
    f.prompt_with_drafts(3).await;
    let editor = f.member(Role::Editor).await;
    f.staging(true).await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote");
    f.vault.promote(&editor, PROMPT, v(2)).await.expect("promote");
    f.vault.roll_back(&editor, PROMPT, v(1)).await.expect("rollback");
    f.vault.set_staging(&f.owner, PROMPT, Some(v(3))).await.expect("stage");
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("history");
    let seen: Vec<_> = moves
        .iter()
        .map(|m| (m.channel.as_str(), m.from.map(|n| n.get()), m.to.map(|n| n.get()), m.actor.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("staging", None, Some(3), "Ada"),
            ("live", Some(2), Some(1), "editor"),
            ("live", Some(1), Some(2), "editor"),
            ("live", None, Some(1), "Ada"),
        ]
    );
    assert!(moves.iter().all(|m| m.event_id.starts_with("evt_") && m.at.0 > 0));
    let mut ids: Vec<_> = moves.iter().map(|m| m.event_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn roles_limit_who_changes_what() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let viewer = f.member(Role::Viewer).await;
    let editor = f.member(Role::Editor).await;
    assert_refused(f.vault.save_draft(&viewer, PROMPT, draft("x")).await, 403, "forbidden");
    assert_refused(f.vault.promote(&viewer, PROMPT, v(1)).await, 403, "forbidden");
    assert_refused(f.vault.create_prompt(&viewer, "other").await, 403, "forbidden");
    assert_eq!(f.vault.versions(&viewer, PROMPT, PageRequest::default()).await.expect("read").items.len(), 1);
    let patch = SettingsPatch { staging_enabled: Some(true), ..Default::default() };
    assert_refused(f.vault.update_settings(&editor, patch).await, 403, "forbidden");
    assert!(f.vault.save_draft(&editor, PROMPT, draft("y")).await.is_ok());
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

#[tokio::test]
async fn the_actions_offered_on_each_version_follow_the_rules() {
    let f = fixture().await;
    f.prompt_with_drafts(4).await;
    f.staging(true).await;
    for n in [1, 3] {
        f.vault.promote(&f.owner, PROMPT, v(n)).await.expect("promote");
    }
    f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    f.vault.set_staging(&f.owner, PROMPT, Some(v(4))).await.expect("stage");
    let state = f.vault.prompt(&f.owner, PROMPT).await.expect("state");
    let staged = vault::Settings { staging_enabled: true, live_changes: vault::LiveChanges::Editors };
    let unstaged = vault::Settings { staging_enabled: false, ..staged };
    let offered = |actor: &Actor, n: i64| {
        let status = if n <= 3 && n != 2 { Status::Published } else { Status::Draft };
        let o = vault::offered(actor, &state, staged, status, v(n));
        [o.edit, o.delete, o.promote, o.roll_back, o.stage, o.unstage]
    };
    // v1 live; v2 a draft; v3 published, newer than live; v4 a staged draft.
    assert_eq!(offered(&f.owner, 1), [false, false, false, false, true, false], "the live version");
    assert_eq!(offered(&f.owner, 2), [true, true, true, false, true, false], "a draft");
    assert_eq!(offered(&f.owner, 3), [false, false, true, false, true, false], "published, newer than live");
    assert_eq!(offered(&f.owner, 4), [true, true, true, false, false, true], "the staged draft");
    f.vault.promote(&f.owner, PROMPT, v(3)).await.expect("promote again");
    let state = f.vault.prompt(&f.owner, PROMPT).await.expect("state");
    let o = vault::offered(&f.owner, &state, staged, Status::Published, v(1));
    assert!(o.roll_back && !o.promote, "an older published version is offered a rollback");
    let o = vault::offered(&f.owner, &state, unstaged, Status::Draft, v(2));
    assert!(!o.stage && !o.unstage, "no staging actions while staging is disabled");
    let viewer = f.member(Role::Viewer).await;
    assert_eq!(vault::offered(&viewer, &state, staged, Status::Draft, v(2)), vault::Offered::default());
    // Admins only: an editor is offered no promote or rollback; under review, requests.
    let editor = f.member(Role::Editor).await;
    let admins = vault::Settings { live_changes: vault::LiveChanges::Admins, ..staged };
    let o = vault::offered(&editor, &state, admins, Status::Draft, v(2));
    assert!(o.edit && !o.promote && !o.roll_back, "{o:?}");
    let review = vault::Settings { live_changes: vault::LiveChanges::Review, ..staged };
    let o = vault::offered(&editor, &state, review, Status::Draft, v(2));
    assert!(o.promote && o.by_request, "{o:?}");
}

#[tokio::test]
async fn a_member_renames_themselves_and_is_found_by_the_new_name() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let renamed = f.vault.rename_member(&f.owner, "  Ada Lovelace ").await.expect("rename");
    assert_eq!(renamed.name, "Ada Lovelace");
    let v1 = f.vault.version(&f.owner, PROMPT, v(1)).await.expect("v1");
    assert_eq!(v1.author, "Ada Lovelace", "versions show the new name");
    let search = |q: &str| PageRequest { search: Some(q.into()), ..Default::default() };
    let mut found = 0;
    for _ in 0..40 {
        found = f.vault.versions(&f.owner, PROMPT, search("lovelace")).await.expect("search").items.len();
        if found == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, 1, "search finds the versions by the new name");
    assert_eq!(
        assert_refused(f.vault.rename_member(&f.owner, " ").await, 422, "invalid").field(),
        Some("name")
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions_and_tokens() {
    let f = fixture().await;
    let token = f.vault.create_access_token(&f.owner, "ci").await.expect("token");
    let (_, here) = f
        .vault
        .sign_in("ada@example.com", "correct horse", crate::helpers::HERE)
        .await
        .expect("sign in here");
    let (_, elsewhere) = f
        .vault
        .sign_in("ada@example.com", "correct horse", crate::helpers::HERE)
        .await
        .expect("sign in elsewhere");
    let wrong = f
        .vault
        .change_password(&f.owner, "not it", "a new long password", Some(&here.value), crate::helpers::HERE)
        .await;
    assert_eq!(assert_refused(wrong, 422, "invalid").field(), Some("current_password"));
    let short = f
        .vault
        .change_password(&f.owner, "correct horse", "short", Some(&here.value), crate::helpers::HERE)
        .await;
    assert_eq!(assert_refused(short, 422, "invalid").field(), Some("password"));
    assert!(f.vault.session_actor(&elsewhere.value).await.is_ok(), "a refused change ends nothing");
    assert!(f.vault.token_actor(&token.secret).await.is_ok(), "nor revokes anything");

    f.vault
        .change_password(
            &f.owner,
            "correct horse",
            "a new long password",
            Some(&here.value),
            crate::helpers::HERE,
        )
        .await
        .expect("change");
    assert!(f.vault.session_actor(&here.value).await.is_ok(), "the session that changed it goes on");
    assert_refused(f.vault.session_actor(&elsewhere.value).await, 401, "unauthorized");
    assert_refused(f.vault.token_actor(&token.secret).await, 401, "unauthorized");
    assert!(f.vault.access_tokens(&f.owner).await.expect("list").is_empty());
    assert!(f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.is_err());
    assert!(f.vault.sign_in("ada@example.com", "a new long password", crate::helpers::HERE).await.is_ok());

    f.vault.sign_out_everywhere(&f.owner).await.expect("sign out everywhere");
    assert_refused(f.vault.session_actor(&here.value).await, 401, "unauthorized");
}
