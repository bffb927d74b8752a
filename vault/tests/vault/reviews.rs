//! Who changes live: editors, admins only, or review by a second person, with requests
//! that are approved (applied at once), rejected, cancelled or go stale.

use futures::future::join_all;
use vault::{
    ActivityFilter, Actor, ChangeRule, Conflict, NewDraft, RequestAction, RequestState, Role, SettingsPatch,
};

use crate::helpers::{Fixture, PROMPT, assert_refused, v};

async fn fixture(rule: ChangeRule) -> Fixture {
    let f = Fixture::new("Ada").await;
    let patch = SettingsPatch { live_changes: Some(rule), ..Default::default() };
    f.vault.update_settings(&f.owner, patch).await.expect("settings");
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("prompt");
    for i in 1..=3 {
        let draft = NewDraft::text(format!("source {i}"), format!("v{i}"));
        f.vault.save_draft(&f.owner, PROMPT, draft).await.expect("draft");
    }
    f
}

impl Fixture {
    async fn live(&self) -> Option<i64> {
        self.vault.prompt(&self.owner, PROMPT).await.expect("prompt").live.map(|n| n.get())
    }
}

#[tokio::test]
async fn with_admins_only_editors_draft_but_do_not_change_live() {
    let f = fixture(ChangeRule::Admins).await;
    let editor = f.member(Role::Editor).await;
    let admin = f.member(Role::Admin).await;
    assert_refused(f.vault.promote(&editor, PROMPT, v(1)).await, 403, "forbidden");
    f.vault.save_draft(&editor, PROMPT, NewDraft::text("x", "m")).await.expect("draft");
    f.vault.promote(&admin, PROMPT, v(1)).await.expect("admins promote");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("owners promote");
    assert_refused(f.vault.roll_back(&editor, PROMPT, v(1)).await, 403, "forbidden");
    assert_eq!(f.live().await, Some(2));
}

#[tokio::test]
async fn under_review_a_change_is_requested_and_another_member_approves_it() {
    let f = fixture(ChangeRule::Review).await;
    let editor = f.member(Role::Editor).await;
    let viewer = f.member(Role::Viewer).await;
    assert_refused(f.vault.promote(&f.owner, PROMPT, v(1)).await, 409, "review_required");
    assert_refused(f.vault.promote(&editor, PROMPT, v(1)).await, 409, "review_required");

    let request = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(1), "first cut")
        .await
        .expect("request");
    assert_eq!(
        (request.state, request.requested_by.as_str(), request.note.as_str()),
        (RequestState::Open, "editor", "first cut")
    );
    let offered = |actor: &Actor| {
        let o = request.offered(actor);
        (o.decide, o.cancel)
    };
    assert_eq!(
        [offered(&editor), offered(&viewer), offered(&f.owner)],
        [(false, true), (false, false), (true, false)]
    );
    assert_eq!((request.current, request.label.as_str(), request.rule), (None, "live", ChangeRule::Review));
    assert_refused(f.vault.approve_request(&editor, request.id).await, 403, "forbidden");
    assert_refused(f.vault.approve_request(&viewer, request.id).await, 403, "forbidden");
    assert_eq!(f.live().await, None, "nothing applied yet");

    let state = f.vault.approve_request(&f.owner, request.id).await.expect("approve");
    assert_eq!(state.live.map(|n| n.get()), Some(1));
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    assert_eq!((moves[0].actor.as_str(), moves[0].requested_by.as_deref()), ("Ada", Some("editor")));
    let open = f.vault.requests(&f.owner, Some(RequestState::Open), None).await.expect("requests");
    assert!(open.is_empty());
    let all = f.vault.requests(&f.owner, None, None).await.expect("requests");
    assert_eq!((all[0].state, all[0].decided_by.as_deref()), (RequestState::Applied, Some("Ada")));
    assert_refused(f.vault.approve_request(&f.owner, request.id).await, 409, "not_open");

    let kinds: Vec<&str> = f
        .vault
        .activity(&f.owner, ActivityFilter::default())
        .await
        .expect("activity")
        .items
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds[..3], ["request.approved", "version.promoted", "request.opened"]);

    // A rollback is requested the same way, and must be one the operation allows.
    f.vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(2), "")
        .await
        .expect("request v2");
    let requests = f.vault.requests(&f.owner, Some(RequestState::Open), None).await.expect("open");
    f.vault.approve_request(&f.owner, requests[0].id).await.expect("approve v2");
    let refused = f.vault.request_change(&editor, PROMPT, RequestAction::RollBack, None, v(3), "").await;
    assert_refused(refused, 409, Conflict::NotPublished.code());
    let back = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::RollBack, None, v(1), "v2 is rude")
        .await
        .expect("rb");
    f.vault.approve_request(&f.owner, back.id).await.expect("approve rollback");
    assert_eq!(f.live().await, Some(1));
}

#[tokio::test]
async fn two_approvals_at_once_apply_the_request_once() {
    let f = fixture(ChangeRule::Review).await;
    let editor = f.member(Role::Editor).await;
    let admin = f.member(Role::Admin).await;
    let request = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(2), "")
        .await
        .expect("request");
    let approvers = [&f.owner, &admin, &f.owner, &admin];
    let results = join_all(approvers.iter().map(|a| f.vault.approve_request(a, request.id))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.code(), "not_open", "{refused}");
    }
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    assert_eq!(moves.len(), 1, "one pointer move");
}

#[tokio::test]
async fn requests_are_rejected_with_a_note_cancelled_by_their_requester_or_go_stale() {
    let f = fixture(ChangeRule::Review).await;
    let editor = f.member(Role::Editor).await;
    let first = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(1), "")
        .await
        .expect("request");
    assert_refused(f.vault.reject_request(&editor, first.id, "no").await, 403, "forbidden");
    let rejected = f.vault.reject_request(&f.owner, first.id, "too terse").await.expect("reject");
    assert_eq!(
        (rejected.state, rejected.decision_note.as_deref()),
        (RequestState::Rejected, Some("too terse"))
    );

    let second = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(2), "")
        .await
        .expect("request");
    assert_refused(f.vault.cancel_request(&f.owner, second.id).await, 403, "forbidden");
    let cancelled = f.vault.cancel_request(&editor, second.id).await.expect("cancel");
    assert_eq!(cancelled.state, RequestState::Cancelled);

    let third = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(3), "")
        .await
        .expect("request");
    f.vault.delete_draft(&f.owner, PROMPT, v(3)).await.expect("delete");
    let all = f.vault.requests(&f.owner, None, None).await.expect("requests");
    assert_eq!(all.iter().find(|r| r.id == third.id).map(|r| r.state), Some(RequestState::Stale));
    assert_refused(f.vault.approve_request(&f.owner, third.id).await, 409, "not_open");
    assert_eq!(f.live().await, None);
}

#[tokio::test]
async fn requests_only_under_review_and_only_in_ones_own_workspace() {
    let f = fixture(ChangeRule::Editors).await;
    assert_refused(
        f.vault.request_change(&f.owner, PROMPT, RequestAction::Promote, None, v(1), "").await,
        409,
        "review_off",
    );
    let viewer = f.member(Role::Viewer).await;
    assert_refused(
        f.vault.request_change(&viewer, PROMPT, RequestAction::Promote, None, v(1), "").await,
        403,
        "forbidden",
    );
    let elsewhere = f.vault.create_workspace(&f.owner, "Lab").await.expect("lab");
    assert_refused(f.vault.approve_request(&elsewhere, 1).await, 404, "not_found");
    let long = "x".repeat(2001);
    let patch = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, patch).await.expect("review");
    assert_refused(
        f.vault.request_change(&f.owner, PROMPT, RequestAction::Promote, None, v(1), &long).await,
        413,
        "too_large",
    );
}

fn rewrite(text: &str) -> vault::Rewrite {
    vault::Rewrite { body: Some(vault::DraftBody::Text(text.into())), ..vault::Rewrite::default() }
}

/// What an approval publishes is exactly what the reviewer saw: a draft under an open
/// request cannot be rewritten (nor behind the vault's back, in the database) until the
/// request is decided; deleting it makes the request stale (see above).
#[tokio::test]
async fn a_draft_under_an_open_request_is_frozen_until_it_is_decided() {
    let f = fixture(ChangeRule::Review).await;
    let editor = f.member(Role::Editor).await;
    let request = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(2), "ready")
        .await
        .expect("request");
    let state = f.vault.prompt(&editor, PROMPT).await.expect("state");
    assert_eq!(state.under_review, [v(2)]);
    let listed = f.vault.prompts(&editor).await.expect("list");
    assert_eq!(listed[0].state.under_review, [v(2)], "the list says it too");
    let settings = f.vault.settings(&editor).await.expect("settings");
    let offered = vault::offered(&editor, &state, settings, vault::Status::Draft, v(2));
    assert!(!offered.edit && offered.delete && offered.promote, "{offered:?}");
    assert!(
        vault::offered(&editor, &state, settings, vault::Status::Draft, v(3)).edit,
        "other drafts edit on"
    );

    let sneaky = rewrite("something nobody reviewed");
    assert_refused(f.vault.rewrite_draft(&editor, PROMPT, v(2), sneaky.clone()).await, 409, "under_review");
    let behind = "update versions set source = 'behind its back' where number = 2";
    assert!(crate::helpers::sql(f.dir.path(), behind).await.is_err(), "the database refuses it too");
    f.vault.rewrite_draft(&editor, PROMPT, v(3), rewrite("v3 edits on")).await.expect("v3");

    f.vault.approve_request(&f.owner, request.id).await.expect("approved");
    let live = f.vault.version(&f.owner, PROMPT, v(2)).await.expect("v2");
    assert_eq!(live.text(), "source 2", "what was reviewed went live");

    // A rejected request frees its draft again.
    let request = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(3), "next")
        .await
        .expect("request");
    f.vault.reject_request(&f.owner, request.id, "not yet").await.expect("rejected");
    f.vault.rewrite_draft(&editor, PROMPT, v(3), sneaky).await.expect("editable again");
}

/// A prompt's requests are chosen by the query, not picked out of the workspace's newest
/// afterwards (which would lose them behind 200 of other prompts').
#[tokio::test]
async fn one_prompts_requests_are_listed_by_the_vault() {
    let f = fixture(ChangeRule::Review).await;
    let editor = f.member(Role::Editor).await;
    f.vault.create_prompt(&f.owner, "other").await.expect("other prompt");
    f.vault.save_draft(&f.owner, "other", NewDraft::text("x", "x")).await.expect("draft");
    for (name, number) in [(PROMPT, 1), ("other", 1), (PROMPT, 2)] {
        f.vault
            .request_change(&editor, name, RequestAction::Promote, None, v(number), "")
            .await
            .expect("request");
    }
    let f = &f;
    let listed = |prompt| async move {
        let requests = f.vault.requests(&f.owner, None, prompt).await.expect("requests");
        requests.iter().map(|r| (r.prompt.clone(), r.number.get())).collect::<Vec<_>>()
    };
    assert_eq!(listed(Some(PROMPT)).await, [(PROMPT.to_owned(), 2), (PROMPT.to_owned(), 1)]);
    assert_eq!(listed(Some("other")).await, [("other".to_owned(), 1)]);
    assert_eq!(listed(None).await.len(), 3);
    assert!(listed(Some("nothing/here")).await.is_empty());
}
