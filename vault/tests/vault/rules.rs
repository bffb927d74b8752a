//! Every rule of PRODUCT.md about prompts, versions and pointers, and every refusal, against
//! the real database, without HTTP. Accounts and sessions are in `accounts`.

use vault::{Channel, Conflict, Rewrite, Role, Status, VaultError};

use crate::helpers::{Fixture, PROMPT, assert_conflict, assert_refused, draft, v};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

#[tokio::test]
async fn prompt_names_are_checked_and_unique() {
    let f = fixture().await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create");
    assert_conflict(f.vault.create_prompt(&f.owner, PROMPT).await, Conflict::AlreadyExists, "already exists");
    assert_eq!(
        assert_refused(f.vault.create_prompt(&f.owner, "Bad|Name").await, 422, "invalid").field(),
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
    assert_eq!((moves[0].channel(), moves[0].from, moves[0].to), (Some(Channel::Staging), Some(v(2)), None));
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
        .map(|m| (m.label.as_str(), m.from.map(|n| n.get()), m.to.map(|n| n.get()), m.actor.as_str()))
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
