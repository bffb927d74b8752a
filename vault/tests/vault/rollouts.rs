//! Rollouts: a protected label split between its version and a newer one at a share of
//! units, sticky per unit; steered by hand under the label's rule (abort by anyone who may
//! move it); the label moves only by completing or aborting while one runs; each step an
//! event.

use serde_json::Value;
use vault::{ChangeRule, NewRollout, SettingsPatch};

use crate::helpers::{Fixture, PROMPT, assert_conflict, assert_refused, v};

/// A workspace with keys and PROMPT: v1 live, v2 and v3 drafts.
pub(crate) async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await.with_keys().await;
    f.prompt_with_drafts(3).await;
    f.vault.promote(&f.owner, PROMPT, v(1)).await.expect("v1 live");
    f
}

fn to(version: i64, percent: f64) -> NewRollout {
    NewRollout { version: v(version), percent, schedule: Vec::new(), guard: None }
}

/// The version `unit` reads of PROMPT with the live key.
async fn read_as(f: &Fixture, unit: Option<&str>) -> Value {
    let served = f.vault.read_prompt_for(&f.live, PROMPT, None, unit).await.expect("read");
    serde_json::from_slice(&served.body).expect("json")
}

#[tokio::test]
async fn a_rollout_splits_live_by_unit_stickily_and_completes() {
    let f = fixture().await;
    let started = f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 10.0)).await.expect("start");
    assert_eq!((started.from.as_str(), started.to.as_str(), started.percent), ("v1", "v2", 10.0));
    assert_eq!(
        f.labels().await.iter().filter(|l| l.ends_with(":live")).count(),
        2,
        "the draft was published"
    );

    let plain = read_as(&f, None).await;
    assert_eq!(plain["version"], "v1", "without a unit, the label's current version");
    assert_eq!(plain["rollout"]["to"], "v2", "with the split, for an SDK to assign units itself");
    let units: Vec<String> = (0..2000).map(|i| format!("user-{i}")).collect();
    let mut on_new = Vec::new();
    for unit in &units {
        let read = read_as(&f, Some(unit)).await;
        let new = read["version"] == "v2";
        assert_eq!(new, types::rollouts::reads_new(&started.seed, PROMPT, unit, 1000), "the SDK's rule");
        on_new.push(new);
    }
    let share = on_new.iter().filter(|&&n| n).count();
    assert!((100..=300).contains(&share), "about 10 % of 2,000 units: {share}");

    f.vault.change_rollout(&f.owner, PROMPT, "live", 50.0).await.expect("50 %");
    for (unit, was_new) in units.iter().zip(&on_new) {
        let now_new = read_as(&f, Some(unit)).await["version"] == "v2";
        assert!(now_new || !was_new, "{unit} went back to v1 as the share grew");
    }
    assert_conflict(
        f.vault.promote(&f.owner, PROMPT, v(3)).await,
        vault::Conflict::RolloutRunning,
        "complete or abort",
    );
    assert_conflict(
        f.vault.start_rollout(&f.owner, PROMPT, "live", to(3, 5.0)).await,
        vault::Conflict::RolloutRunning,
        "is running",
    );

    let done = f.vault.complete_rollout(&f.owner, PROMPT, "live").await.expect("complete");
    assert_eq!(done.state, "completed");
    let after = read_as(&f, Some("user-1")).await;
    assert_eq!((after["version"].clone(), after.get("rollout")), ("v2".into(), None));
    let moves = f.vault.deployments(&f.owner, PROMPT).await.expect("moves");
    assert_eq!(moves[0].to, Some(v(2)), "completing is a move of live, recorded");
}

#[tokio::test]
async fn the_langfuse_api_and_mcp_serve_a_unit_its_side_and_the_current_version_without_one() {
    let f = fixture().await;
    let started = f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 50.0)).await.expect("start");
    let side = |unit: &str| if types::rollouts::reads_new(&started.seed, PROMPT, unit, 5000) { 2 } else { 1 };
    let (new_unit, old_unit) = {
        let units: Vec<String> = (0..100).map(|i| format!("user-{i}")).collect();
        let new = units.iter().find(|u| side(u) == 2).expect("a unit on v2").clone();
        let old = units.iter().find(|u| side(u) == 1).expect("a unit on v1").clone();
        (new, old)
    };
    let langfuse = |unit: Option<String>| {
        let (vault, key) = (f.vault.clone(), f.live.clone());
        async move {
            let body = vault
                .read_langfuse_for(&key, PROMPT, (None, None), true, unit.as_deref())
                .await
                .expect("read");
            serde_json::from_slice::<Value>(&body).expect("json")["version"].as_i64()
        }
    };
    assert_eq!(langfuse(None).await, Some(1), "no unit: the current version");
    assert_eq!(langfuse(Some(new_unit.clone())).await, Some(2));
    assert_eq!(langfuse(Some(old_unit.clone())).await, Some(1));
    let mcp = |unit: Option<&str>| {
        let compiled =
            f.vault.agent_prompt_for(&f.live, PROMPT, &Default::default(), unit).expect("an agent's get");
        compiled.messages.into_iter().map(|(_, text)| text).collect::<String>()
    };
    assert_eq!(mcp(None), "source 1", "no unit: the current version");
    assert_eq!(mcp(Some(&new_unit)), "source 2");
    assert_eq!(mcp(Some(&old_unit)), "source 1");
}

#[tokio::test]
async fn a_token_made_to_abort_rollouts_aborts_them_and_nothing_else() {
    let f = fixture().await;
    f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 10.0)).await.expect("start");
    let viewer = f.member(vault::Role::Viewer).await;
    assert_refused(f.vault.create_abort_token(&viewer, "watch").await.map(|_| ()), 403, "viewers cannot");
    let watcher = f.vault.create_abort_token(&f.owner, "canary watcher").await.expect("token");
    assert!(watcher.token.abort_only);
    assert!(f.vault.access_tokens(&f.owner).await.expect("tokens").iter().any(|t| t.abort_only));
    // Everything a member's token does is refused to it, reads of the management API too.
    assert_refused(f.vault.token_actor(&watcher.secret).await.map(|_| ()), 403, "only aborts rollouts");
    let aborted = f
        .vault
        .abort_rollout_with_token(&watcher.secret, PROMPT, "live", "error rate up")
        .await
        .expect("aborted by the automation");
    assert_eq!((aborted.state.as_str(), aborted.reason.as_deref()), ("aborted", Some("error rate up")));
    assert_eq!(aborted.started_by, "Ada");
    assert_eq!(read_as(&f, Some("anyone")).await["version"], "v1");
    // A member's own token aborts too; a revoked or unknown one does not.
    f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 10.0)).await.expect("again");
    let id = watcher.token.id;
    f.vault.revoke_access_token(&f.owner, id).await.expect("revoke");
    let refused = f.vault.abort_rollout_with_token(&watcher.secret, PROMPT, "live", "").await;
    assert_refused(refused.map(|_| ()), 401, "unknown or revoked");
}

#[tokio::test]
async fn an_abort_racing_a_ramp_step_leaves_one_consistent_state() {
    let f = fixture().await;
    for round in 0..5 {
        let schedule = vec![types::rollouts::StepJson { percent: 50.0, after_minutes: 1 }];
        let ramp = NewRollout { version: v(2), percent: 5.0, schedule, guard: None };
        f.vault.start_rollout(&f.owner, PROMPT, "live", ramp).await.expect("start");
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_millis();
        let due = format!("update rollouts set next_step_at = {} where state = 'running'", now - 1);
        crate::helpers::sql(f.dir.path(), &due).await.expect("the step due now");
        let (aborted, stepped) = tokio::join!(
            f.vault.abort_rollout(&f.owner, PROMPT, "live", "racing"),
            f.vault.advance_rollouts()
        );
        let aborted = aborted.expect("the abort always wins its own write");
        let stepped = stepped.expect("the ramp runs");
        let ended = f.vault.rollout(&f.owner, PROMPT, "live").await.expect("rollout");
        assert_eq!(ended.state, "aborted", "round {round}");
        assert!(stepped <= 1 && [5.0, 50.0].contains(&ended.percent), "round {round}: {ended:?}");
        assert_eq!(ended, aborted, "round {round}: nothing changed it after the abort");
        assert!(ended.next_step_at.is_none(), "an ended rollout has no step due");
        for unit in ["a", "b", "c", "d", "e", "f"] {
            let read = read_as(&f, Some(unit)).await;
            assert_eq!((read["version"].as_str(), read.get("rollout")), (Some("v1"), None), "round {round}");
        }
        assert_eq!(f.vault.advance_rollouts().await.expect("nothing due"), 0);
    }
}

#[tokio::test]
async fn an_abort_leaves_the_old_version_alone_and_is_allowed_under_review() {
    let f = fixture().await;
    f.vault.start_rollout(&f.owner, PROMPT, "live", to(2, 100.0)).await.expect("start at 100 %");
    assert_eq!(read_as(&f, Some("anyone")).await["version"], "v2");
    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, review).await.expect("review");
    assert_refused(f.vault.change_rollout(&f.owner, PROMPT, "live", 20.0).await, 409, "review_required");
    let aborted = f.vault.abort_rollout(&f.owner, PROMPT, "live", "errors went up").await.expect("abort");
    assert_eq!((aborted.state.as_str(), aborted.reason.as_deref()), ("aborted", Some("errors went up")));
    assert_eq!(read_as(&f, Some("anyone")).await["version"], "v1");
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").live, Some(v(1)));
    assert_refused(f.vault.abort_rollout(&f.owner, PROMPT, "live", "").await, 404, "no rollout");
    assert_eq!(f.vault.rollout(&f.owner, PROMPT, "live").await.expect("the latest").state, "aborted");
}

#[tokio::test]
async fn a_rollout_is_refused_on_a_preview_label_backwards_or_with_a_bad_share() {
    let f = fixture().await;
    f.staging(true).await;
    f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await.expect("staging");
    assert_refused(
        f.vault.start_rollout(&f.owner, PROMPT, "staging", to(3, 10.0)).await,
        422,
        "preview label",
    );
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("v2 live");
    assert_refused(f.vault.start_rollout(&f.owner, PROMPT, "live", to(1, 10.0)).await, 422, "newer version");
    assert_refused(
        f.vault.start_rollout(&f.owner, PROMPT, "live", to(3, 10.005)).await,
        422,
        "steps of 0.01",
    );
    assert_refused(
        f.vault.start_rollout(&f.owner, PROMPT, "live", to(3, 120.0)).await,
        422,
        "between 0 and 100",
    );
    let schedule = vec![
        types::rollouts::StepJson { percent: 25.0, after_minutes: 10 },
        types::rollouts::StepJson { percent: 20.0, after_minutes: 10 },
    ];
    let ramp = NewRollout { schedule, ..to(3, 5.0) };
    assert_refused(f.vault.start_rollout(&f.owner, PROMPT, "live", ramp).await, 422, "raises the share");
    let viewer = f.member(vault::Role::Viewer).await;
    assert_refused(f.vault.start_rollout(&viewer, PROMPT, "live", to(3, 10.0)).await, 403, "forbidden");
    assert_eq!(f.vault.prompt(&f.owner, PROMPT).await.expect("state").live, Some(v(2)), "nothing changed");
}

pub(crate) fn report(items: &[(&str, i64, u64, u64)]) -> types::fleet::ReportJson {
    types::fleet::ReportJson {
        app: "support-bot".into(),
        instance: "i-1".into(),
        items: items
            .iter()
            .map(|&(prompt, version, uses, failures)| types::fleet::ReportItemJson {
                prompt: prompt.into(),
                version: serde_json::json!(format!("v{version}")),
                uses,
                failures,
            })
            .collect(),
    }
}

#[tokio::test]
async fn the_guard_aborts_at_the_right_sample_and_not_before_and_revoked_keys_report_nothing() {
    let f = fixture().await;
    let guard = types::rollouts::GuardJson { max_failure_increase: 0.02, min_uses: 500 };
    let ramp = NewRollout { guard: Some(guard), ..to(2, 50.0) };
    f.vault.start_rollout(&f.owner, PROMPT, "live", ramp).await.expect("start");
    f.vault
        .record_usage(&f.live, &report(&[(PROMPT, 1, 1000, 10), (PROMPT, 2, 499, 100)]))
        .await
        .expect("report");
    assert_eq!(f.vault.check_guards().await.expect("check"), 0, "499 uses of v2: not yet");
    assert_eq!(f.vault.rollout(&f.owner, PROMPT, "live").await.expect("rollout").state, "running");
    f.vault.record_usage(&f.live, &report(&[(PROMPT, 2, 1, 0)])).await.expect("one more use");
    assert_eq!(f.vault.check_guards().await.expect("check"), 1, "500 uses, 20 % failing against 1 %");
    let stopped = f.vault.rollout(&f.owner, PROMPT, "live").await.expect("rollout");
    assert_eq!(stopped.state, "aborted");
    assert!(stopped.reason.as_deref().is_some_and(|why| why.contains("guard")), "{stopped:?}");
    assert_eq!(read_as(&f, Some("anyone")).await["version"], "v1");

    let bad = report(&[(PROMPT, 1, 1, 2)]);
    assert_refused(f.vault.record_usage(&f.live, &bad).await, 422, "failures are at most the uses");
    assert_refused(f.vault.record_usage(&f.live, &report(&[("no/such", 1, 1, 0)])).await, 404, "no prompt");
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    let live = keys.iter().find(|k| k.name == "prod").expect("the live key");
    f.vault.revoke_api_key(&f.owner, live.id).await.expect("revoke");
    assert_refused(f.vault.record_usage(&f.live, &report(&[(PROMPT, 1, 1, 0)])).await, 401, "not revoked");
}
