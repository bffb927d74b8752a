//! Rollouts under review: starting one, or changing its share, is requested and applied
//! when another entitled member approves; completing is a request to move the label onto
//! the new version; aborting needs nobody.

use vault::{ChangeRule, NewRollout, RequestAction, RequestState, Role, SettingsPatch};

use crate::helpers::{PROMPT, assert_refused, v};
use crate::rollouts::fixture;

fn to(version: i64, percent: f64) -> NewRollout {
    NewRollout { version: v(version), percent, schedule: Vec::new(), guard: None }
}

#[tokio::test]
async fn under_review_a_rollout_is_requested_approved_by_another_and_completed_by_request() {
    let f = fixture().await;
    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, review).await.expect("review");
    let editor = f.member(Role::Editor).await;
    assert_refused(f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 10.0)).await, 409, "request it");

    let asked =
        f.vault.request_rollout(&f.owner, PROMPT, "live", to(2, 10.0), "canary first").await.expect("ask");
    assert_eq!((asked.action, asked.state), (RequestAction::Rollout, RequestState::Open));
    assert_eq!(asked.rollout.as_ref().map(|r| r.percent), Some(10.0));
    assert_refused(f.vault.rollout(&f.owner, PROMPT, "live").await, 404, "no rollout");
    assert_refused(f.vault.approve_request(&f.owner, asked.id).await, 403, "your own request");
    f.vault.approve_request(&editor, asked.id).await.expect("approved by another");
    let running = f.vault.rollout(&f.owner, PROMPT, "live").await.expect("running");
    assert_eq!((running.state.as_str(), running.to.as_str(), running.percent), ("running", "v2", 10.0));
    assert!(f.labels().await.iter().any(|l| l == "v2:live"), "the draft was published on approval");

    // The share is requested too; a rollout of another version is refused while this runs.
    let more =
        f.vault.request_rollout(&editor, PROMPT, "live", to(2, 50.0), "looks good").await.expect("ask");
    f.vault.approve_request(&f.owner, more.id).await.expect("approve");
    assert_eq!(f.vault.rollout(&f.owner, PROMPT, "live").await.expect("rollout").percent, 50.0);
    let other = f.vault.request_rollout(&f.owner, PROMPT, "live", to(3, 5.0), "").await;
    assert_refused(other, 409, "is running");

    // Completing is a request to make the new version live.
    let ship = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Promote, None, v(2), "ship")
        .await
        .expect("ask");
    f.vault.approve_request(&f.owner, ship.id).await.expect("approve");
    let done = f.vault.rollout(&f.owner, PROMPT, "live").await.expect("rollout");
    assert_eq!(done.state, "completed");
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").live, Some(v(2)));
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("moves");
    assert_eq!((moves[0].to, moves[0].requested_by.as_deref()), (Some(v(2)), Some("editor")));
}

#[tokio::test]
async fn a_rollout_request_is_refused_where_it_could_not_apply_or_no_review_is_needed() {
    let f = fixture().await;
    let direct = f.vault.request_rollout(&f.owner, PROMPT, "live", to(2, 10.0), "").await;
    assert_refused(direct, 409, "start or change the rollout directly");
    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, review).await.expect("review");
    assert_refused(f.vault.request_rollout(&f.owner, PROMPT, "live", to(1, 10.0), "").await, 422, "newer");
    assert_refused(f.vault.request_rollout(&f.owner, PROMPT, "live", to(2, 10.005), "").await, 422, "0.01");
    let viewer = f.member(Role::Viewer).await;
    assert_refused(f.vault.request_rollout(&viewer, PROMPT, "live", to(2, 10.0), "").await, 403, "viewers");
    // An open request freezes the draft it would publish; rejecting it starts nothing.
    let asked = f.vault.request_rollout(&f.owner, PROMPT, "live", to(3, 10.0), "").await.expect("ask");
    let editor = f.member(Role::Editor).await;
    f.vault.reject_request(&editor, asked.id, "not yet").await.expect("reject");
    assert_refused(f.vault.rollout(&f.owner, PROMPT, "live").await, 404, "no rollout");
}
