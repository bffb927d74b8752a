//! Labels: the workspace's own named pointers beside live and staging, their rules
//! (protected or preview, who moves them, review), one version per label and prompt, and
//! every move recorded and announced.

use std::time::Duration;

use futures::future::join_all;
use serde_json::Value;
use vault::{
    ActivityFilter, ActivityKind, ChangeRule, Conflict, Fallback, LabelName, LabelPatch, NewLabel,
    NewWebhook, Outcome, RequestAction, RequestState, Role, Status, VaultError,
};

use crate::helpers::{Fixture, PROMPT, assert_conflict, assert_refused, draft, sql, v};

fn label(name: &str, protected: bool, rule: ChangeRule) -> NewLabel {
    NewLabel { name: name.into(), protected, rule, fallback: None }
}

/// A workspace with [`PROMPT`] (v1 published and live, v2 and v3 drafts) and two labels of
/// its own: `eu` (protected, editors) and `qa` (a preview, editors, falling back to live).
pub(crate) async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await;
    f.prompt_with_drafts(3).await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("promote v1");
    f.vault.create_label(&f.owner, label("eu", true, ChangeRule::Editors)).await.expect("eu");
    let qa = NewLabel { fallback: Some(Fallback::Live), ..label("qa", false, ChangeRule::Editors) };
    f.vault.create_label(&f.owner, qa).await.expect("qa");
    f
}

impl Fixture {
    /// Where each label points on [`PROMPT`], as `label=vN`.
    async fn pointers(&self) -> Vec<String> {
        let state = self.vault.prompt(&self.owner, PROMPT).await.expect("prompt");
        state.labels.iter().map(|(label, n)| format!("{label}={n}")).collect()
    }

    async fn status(&self, n: i64) -> Status {
        self.vault.version(&self.owner, PROMPT, v(n)).await.expect("version").status
    }
}

#[tokio::test]
async fn a_workspace_lists_live_and_staging_then_its_own_labels() {
    let f = fixture().await;
    let labels = f.vault.labels(&f.owner).await.expect("labels");
    let shown: Vec<(&str, bool, ChangeRule, Option<Fallback>, bool)> =
        labels.iter().map(|l| (l.name.as_str(), l.protected, l.rule, l.fallback, l.built_in)).collect();
    assert_eq!(
        shown,
        [
            ("live", true, ChangeRule::Editors, None, true),
            ("staging", false, ChangeRule::Editors, Some(Fallback::Live), true),
            ("eu", true, ChangeRule::Editors, None, false),
            ("qa", false, ChangeRule::Editors, Some(Fallback::Live), false),
        ]
    );
    let created = f.vault.activity(&f.owner, ActivityFilter::default()).await.expect("activity");
    assert!(created.items.iter().any(|e| e.kind == ActivityKind::LabelCreated && e.details["label"] == "qa"));
}

#[tokio::test]
async fn a_label_name_is_refused_when_it_is_taken_reserved_or_malformed() {
    let f = fixture().await;
    let refused = |name: &str| f.vault.create_label(&f.owner, label(name, true, ChangeRule::Editors));
    assert_conflict(refused("eu").await, Conflict::AlreadyExists, "exists already");
    for (name, says) in [
        ("live", "built in"),
        ("staging", "built in"),
        ("production", "Langfuse API calls live"),
        ("latest", "newest version"),
        ("EU", "not allowed in a label"),
        ("a/b", "not allowed in a label"),
        ("", "1 to 36"),
        (&"x".repeat(37), "1 to 36"),
    ] {
        assert_refused(refused(name).await, 422, says);
    }
    assert!(LabelName::parse("v1.2_canary-eu").is_ok());
}

#[tokio::test]
async fn only_admins_and_owners_make_change_and_delete_labels() {
    let f = fixture().await;
    let editor = f.member(Role::Editor).await;
    let viewer = f.member(Role::Viewer).await;
    for actor in [&editor, &viewer] {
        let made = f.vault.create_label(actor, label("canary", true, ChangeRule::Editors)).await;
        assert_refused(made, 403, "forbidden");
        assert_refused(f.vault.update_label(actor, "eu", LabelPatch::default()).await, 403, "forbidden");
        assert_refused(f.vault.delete_label(actor, "eu", false).await, 403, "forbidden");
    }
    assert_eq!(f.vault.labels(&viewer).await.expect("viewers read labels").len(), 4);
}

#[tokio::test]
async fn a_protected_label_moved_to_a_draft_publishes_it_and_a_preview_label_does_not() {
    let f = fixture().await;
    let editor = f.member(Role::Editor).await;
    f.vault.move_label(&editor, PROMPT, "qa", Some(v(2))).await.expect("qa to a draft");
    assert_eq!(f.status(2).await, Status::Draft, "a preview label leaves the draft a draft");
    let state = f.vault.move_label(&editor, PROMPT, "eu", Some(v(3))).await.expect("eu to a draft");
    assert_eq!(f.status(3).await, Status::Published, "moving a protected label publishes");
    assert_eq!(state.live, Some(v(1)), "live stays where it was");
    assert_eq!(f.pointers().await, ["eu=v3", "live=v1", "qa=v2"]);

    f.vault.move_label(&editor, PROMPT, "eu", Some(v(1))).await.expect("eu back to v1");
    assert_eq!(f.pointers().await, ["eu=v1", "live=v1", "qa=v2"], "one version holds a label");
    f.vault.move_label(&editor, PROMPT, "qa", None).await.expect("qa off the prompt");
    assert_eq!(f.pointers().await, ["eu=v1", "live=v1"]);

    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    let shown: Vec<String> = moves
        .iter()
        .take(4)
        .map(|m| {
            format!("{} {:?}→{:?} by {}", m.label, m.from.map(|n| n.get()), m.to.map(|n| n.get()), m.actor)
        })
        .collect();
    assert_eq!(
        shown,
        [
            "qa Some(2)→None by editor",
            "eu Some(3)→Some(1) by editor",
            "eu None→Some(3) by editor",
            "qa None→Some(2) by editor",
        ]
    );
    assert_eq!(moves[0].channel(), None, "a label of the workspace's own is no channel");

    let of_eu = f.vault.label_deployments(&f.owner, PROMPT, "eu").await.expect("eu's moves");
    let to: Vec<_> = of_eu.iter().map(|m| (m.label.as_str(), m.to.map(|n| n.get()))).collect();
    assert_eq!(to, [("eu", Some(1)), ("eu", Some(3))], "only eu's moves, newest first");
    let error = f.vault.label_deployments(&f.owner, PROMPT, "not a label!").await.expect_err("bad name");
    assert!(matches!(error, VaultError::Invalid { field: "label", .. }), "{error:?}");
}

#[tokio::test]
async fn live_and_staging_move_as_labels_under_their_own_rules() {
    let f = fixture().await;
    f.staging(true).await;
    let editor = f.member(Role::Editor).await;
    let state = f.vault.move_label(&editor, PROMPT, "live", Some(v(2))).await.expect("live to v2: a promote");
    assert_eq!((state.live, f.status(2).await), (Some(v(2)), Status::Published));
    f.vault.move_label(&editor, PROMPT, "live", Some(v(1))).await.expect("live back to v1: a rollback");
    assert_refused(f.vault.move_label(&editor, PROMPT, "live", None).await, 422, "never cleared");
    let state = f.vault.move_label(&editor, PROMPT, "staging", Some(v(3))).await.expect("staging to a draft");
    assert_eq!((state.staging, f.status(3).await), (Some(v(3)), Status::Draft));
    let kinds: Vec<ActivityKind> = f
        .vault
        .activity(&f.owner, ActivityFilter { prompt: Some(PROMPT.into()), ..Default::default() })
        .await
        .expect("activity")
        .items
        .iter()
        .take(3)
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [ActivityKind::StagingChanged, ActivityKind::VersionRolledBack, ActivityKind::VersionPromoted]
    );

    f.staging(false).await;
    assert_conflict(
        f.vault.move_label(&editor, PROMPT, "staging", Some(v(2))).await,
        Conflict::StagingDisabled,
        "disabled",
    );
    let viewer = f.member(Role::Viewer).await;
    assert_refused(f.vault.move_label(&viewer, PROMPT, "eu", Some(v(1))).await, 403, "forbidden");
    assert_refused(
        f.vault.move_label(&editor, PROMPT, "nowhere", Some(v(1))).await,
        404,
        "no label named nowhere",
    );
    assert_refused(f.vault.move_label(&editor, PROMPT, "eu", Some(v(9))).await, 404, "no version");
    assert_eq!(f.pointers().await, ["live=v1"], "refusals change nothing");
}

#[tokio::test]
async fn a_label_for_admins_refuses_editors_and_a_label_under_review_moves_by_request() {
    let f = fixture().await;
    let editor = f.member(Role::Editor).await;
    let admin = f.member(Role::Admin).await;
    f.vault.create_label(&f.owner, label("prod-eu", true, ChangeRule::Admins)).await.expect("admins' label");
    f.vault.create_label(&f.owner, label("prod-us", true, ChangeRule::Review)).await.expect("reviewed label");
    assert_refused(
        f.vault.move_label(&editor, PROMPT, "prod-eu", Some(v(1))).await,
        403,
        "only admins and owners move prod-eu",
    );
    f.vault.move_label(&admin, PROMPT, "prod-eu", Some(v(1))).await.expect("admins move it");

    assert_conflict(
        f.vault.move_label(&admin, PROMPT, "prod-us", Some(v(2))).await,
        Conflict::ReviewRequired,
        "reviews every move of prod-us",
    );
    let request = f
        .vault
        .request_change(&editor, PROMPT, RequestAction::Move, Some("prod-us"), v(2), "ship to the US")
        .await
        .expect("request");
    assert_eq!(
        (request.label.as_str(), request.rule, request.current),
        ("prod-us", ChangeRule::Review, None)
    );
    assert_eq!(f.status(2).await, Status::Draft, "nothing applied yet");
    assert_refused(f.vault.approve_request(&editor, request.id).await, 403, "your own request");
    f.vault.approve_request(&admin, request.id).await.expect("approved");
    assert_eq!(f.pointers().await, ["live=v1", "prod-eu=v1", "prod-us=v2"]);
    assert_eq!(f.status(2).await, Status::Published, "approving the move published the draft");
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    assert_eq!((moves[0].actor.as_str(), moves[0].requested_by.as_deref()), ("admin", Some("editor")));
    let requests = f.vault.requests(&f.owner, Some(RequestState::Applied), None).await.expect("requests");
    assert_eq!(requests.len(), 1);

    let not_reviewed =
        f.vault.request_change(&editor, PROMPT, RequestAction::Move, Some("eu"), v(2), "").await;
    assert_conflict(not_reviewed, Conflict::ReviewOff, "eu is not under review");
    let live = f.vault.request_change(&editor, PROMPT, RequestAction::Move, Some("live"), v(2), "").await;
    assert_refused(live, 422, "promote or rollback");
}

#[tokio::test]
async fn concurrent_moves_of_one_label_leave_it_on_one_version() {
    let f = fixture().await;
    for i in 4..=8 {
        f.vault.save_draft(&f.owner, PROMPT, draft(&format!("source {i}"))).await.expect("draft");
    }
    let moves = (1..=8).map(|n| f.vault.move_label(&f.owner, PROMPT, "qa", Some(v(n))));
    for moved in join_all(moves).await {
        moved.expect("each move applies in turn");
    }
    let pointers = f.pointers().await;
    let qa: Vec<&String> = pointers.iter().filter(|p| p.starts_with("qa=")).collect();
    assert_eq!(qa.len(), 1, "{pointers:?}");
    let history = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    let last = history.iter().find(|m| m.label.as_str() == "qa").expect("a move of qa");
    assert_eq!(
        qa[0],
        &format!("qa={}", last.to.expect("to a version")),
        "the last move recorded is where qa is"
    );
}

#[tokio::test]
async fn deleting_a_draft_takes_preview_labels_off_it() {
    let f = fixture().await;
    f.vault.move_label(&f.owner, PROMPT, "qa", Some(v(3))).await.expect("qa on v3");
    f.vault.delete_draft(&f.owner, PROMPT, v(3)).await.expect("delete v3");
    assert_eq!(f.pointers().await, ["live=v1"]);
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("deployments");
    assert_eq!((moves[0].label.as_str(), moves[0].from, moves[0].to), ("qa", Some(v(3)), None));
}

#[tokio::test]
async fn protecting_a_label_on_a_draft_is_refused_and_the_database_backs_it() {
    let f = fixture().await;
    f.vault.move_label(&f.owner, PROMPT, "qa", Some(v(2))).await.expect("qa on a draft");
    let protect = LabelPatch { protected: Some(true), ..Default::default() };
    assert_conflict(
        f.vault.update_label(&f.owner, "qa", protect.clone()).await,
        Conflict::NotPublished,
        PROMPT,
    );
    f.vault.move_label(&f.owner, PROMPT, "qa", Some(v(1))).await.expect("qa on a published version");
    let qa = f.vault.update_label(&f.owner, "qa", protect).await.expect("now it may be protected");
    assert!(qa.protected);
    let behind_its_back = sql(
        f.dir.path(),
        "update prompt_labels set number = 3 where label_id = (select id from labels where name = 'qa')",
    )
    .await;
    assert!(behind_its_back.is_err(), "a protected label on a draft is refused by the database");
}

#[tokio::test]
async fn built_in_labels_keep_their_fields_and_live_takes_the_workspace_rule() {
    let f = fixture().await;
    let live = f.vault.update_label(
        &f.owner,
        "live",
        LabelPatch { rule: Some(ChangeRule::Review), ..Default::default() },
    );
    assert_eq!(live.await.expect("live's rule").rule, ChangeRule::Review);
    assert_eq!(f.vault.settings(&f.owner).await.expect("settings").live_changes, ChangeRule::Review);
    for (name, patch, field) in [
        ("live", LabelPatch { protected: Some(false), ..Default::default() }, "protected"),
        ("live", LabelPatch { fallback: Some(Some(Fallback::Live)), ..Default::default() }, "fallback"),
        ("staging", LabelPatch { rule: Some(ChangeRule::Admins), ..Default::default() }, "rule"),
    ] {
        let error = assert_refused(f.vault.update_label(&f.owner, name, patch).await, 422, "built in");
        assert_eq!(error.field(), Some(field));
    }
    assert_refused(f.vault.delete_label(&f.owner, "staging", false).await, 422, "built in");
}

#[tokio::test]
async fn a_deleted_label_leaves_every_prompt_and_says_so_in_the_activity() {
    let f = fixture().await;
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu");
    f.vault.delete_label(&f.owner, "eu", false).await.expect("deleted");
    assert_eq!(f.pointers().await, ["live=v1"]);
    assert_refused(f.vault.label(&f.owner, "eu").await, 404, "no label named eu");
    let entries = f.vault.activity(&f.owner, ActivityFilter::default()).await.expect("activity").items;
    let deleted = entries.iter().find(|e| e.kind == ActivityKind::LabelDeleted).expect("recorded");
    assert_eq!(
        (deleted.details["label"].clone(), deleted.details["prompts"].clone()),
        ("eu".into(), 1.into())
    );
    f.vault
        .create_label(&f.owner, label("eu", false, ChangeRule::Admins))
        .await
        .expect("the name is free again");
}

#[tokio::test]
async fn every_move_is_a_label_moved_event_and_live_keeps_its_own_too() {
    let f = fixture().await;
    let hook = NewWebhook {
        url: "https://hooks.example.com/labels".into(),
        events: vec!["label.moved".into(), "version.promoted".into()],
        enabled: true,
    };
    f.vault.create_webhook(&f.owner, hook).await.expect("webhook");
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    // A claim takes one delivery per webhook: claim, record, until none is left.
    let mut due = Vec::new();
    loop {
        let claimed = f.vault.claim_due_deliveries(100, Duration::from_secs(60)).await.expect("due");
        if claimed.is_empty() {
            break;
        }
        for delivery in &claimed {
            let sent = Outcome { status_code: Some(204), duration: Duration::from_millis(1), error: None };
            f.vault.record_attempt(delivery, &sent, Duration::from_secs(60)).await.expect("recorded");
        }
        due.extend(claimed);
    }
    let mut types: Vec<&str> = due.iter().map(|d| d.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["label.moved", "label.moved", "version.promoted"]);
    let bodies: Vec<Value> = due.iter().map(|d| serde_json::from_str(&d.body).expect("json")).collect();
    let eu = bodies.iter().find(|b| b["label"] == "eu").expect("the move of eu");
    assert_eq!((eu["type"].clone(), eu["version"]["version"].clone()), ("label.moved".into(), "v1".into()));
    assert!(bodies.iter().filter(|b| b["label"] == "live").count() == 2, "{bodies:?}");
}

#[tokio::test]
async fn a_workspace_holds_as_many_labels_as_its_quota() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let quotas = vault::Quotas { labels_per_workspace: 1, ..Default::default() };
    let vault = vault.with_quotas(quotas);
    vault.create_label(&owner, label("one", true, ChangeRule::Editors)).await.expect("the first");
    let second = vault.create_label(&owner, label("two", true, ChangeRule::Editors)).await;
    assert_conflict(second, Conflict::QuotaReached, "--max-labels-per-workspace");
}

#[tokio::test]
async fn publishing_a_draft_by_a_protected_label_takes_the_right_to_change_live() {
    let f = fixture().await;
    let editor = f.member(Role::Editor).await;
    let review = vault::SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, review).await.expect("live under review");
    let moved = f.vault.move_label(&editor, PROMPT, "eu", Some(v(2))).await;
    assert_conflict(moved, Conflict::ReviewRequired, "moving eu to a draft publishes it");
    assert_eq!(f.status(2).await, Status::Draft);
    f.vault.move_label(&editor, PROMPT, "eu", Some(v(1))).await.expect("to a published version, directly");
    let request = f.vault.request_change(&editor, PROMPT, RequestAction::Move, Some("eu"), v(2), "").await;
    let request = request.expect("so it is requested");
    f.vault.approve_request(&f.owner, request.id).await.expect("and approved");
    assert_eq!(f.status(2).await, Status::Published);
    assert!(f.pointers().await.contains(&"eu=v2".to_owned()));
}
