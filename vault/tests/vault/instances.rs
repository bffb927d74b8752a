//! Several instances on one database (PostgreSQL in production; SQLite's file works the same
//! way for two vaults in one process): each instance's read model and search index follow
//! the writes of the other, concurrent writes through both lose nothing, and a webhook
//! delivery is claimed by one instance only.

use std::collections::HashSet;
use std::time::Duration;

use tempfile::TempDir;
use vault::{
    Actor, Backend, Conflict, KeyKind, NewDraft, NewMember, NewWebhook, Outcome, PageRequest, ReadRefused,
    Role, SettingsPatch, Storage, Vault, VaultError,
};

use crate::helpers::{PROMPT, v};

/// Two vaults on one database, each with a search index of its own.
struct Pair {
    first: Vault,
    second: Vault,
    owner: Actor,
    _dirs: (TempDir, TempDir),
}

async fn pair() -> Pair {
    let (first, owner, dir) = crate::helpers::workspace("Ada").await;
    let other_dir = tempfile::tempdir().expect("temp dir");
    let storage = Storage {
        database_url: crate::helpers::storage(dir.path()).await.database_url,
        data_dir: other_dir.path().to_owned(),
    };
    let second = Vault::open(&storage).await.expect("second instance");
    first.create_prompt(&owner, PROMPT).await.expect("create");
    Pair { first, second, owner, _dirs: (dir, other_dir) }
}

/// Several instances writing at once is PostgreSQL's job: an SQLite file serves one
/// instance, whose single writer orders its writes (tested by the other files). These
/// tests run when `scripts/test.sh` runs the suite on PostgreSQL.
fn several_writers_unsupported(p: &Pair) -> bool {
    p.first.backend() == Backend::Sqlite
}

fn draft(source: &str) -> NewDraft {
    NewDraft::text(source, format!("msg {source}"))
}

async fn version_read(vault: &Vault, key: &str) -> Result<String, ReadRefused> {
    let served = vault.read_prompt(key, PROMPT, None).await?;
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    Ok(body["version"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_other_instance_serves_a_promote_a_rollback_and_a_revocation_once_it_follows_the_feed() {
    let p = pair().await;
    let key = p.first.create_api_key(&p.owner, KeyKind::Live, "prod").await.expect("key");
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &key.token).await, Err(ReadRefused::NotFound), "the key works there");

    for i in 1..=2 {
        p.first.save_draft(&p.owner, PROMPT, draft(&format!("v{i}"))).await.expect("save");
        p.first.promote(&p.owner, PROMPT, v(i)).await.expect("promote");
    }
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &key.token).await.as_deref(), Ok("v2"));
    assert_eq!(p.second.revision(), p.first.revision(), "both at the same revision");
    assert_eq!(p.second.revision(), p.second.feed_revision().await.expect("feed"));

    p.first.roll_back(&p.owner, PROMPT, v(1)).await.expect("rollback");
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &key.token).await.as_deref(), Ok("v1"));

    p.first.revoke_api_key(&p.owner, key.key.id).await.expect("revoke");
    assert_eq!(version_read(&p.second, &key.token).await.as_deref(), Ok("v1"), "not followed yet");
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &key.token).await, Err(ReadRefused::Unauthorized));
}

#[tokio::test]
async fn staging_settings_and_renames_reach_the_other_instance() {
    let p = pair().await;
    let test_key = p.first.create_api_key(&p.owner, KeyKind::Test, "preview").await.expect("key");
    p.first.save_draft(&p.owner, PROMPT, draft("one")).await.expect("save");
    p.first.promote(&p.owner, PROMPT, v(1)).await.expect("promote");
    p.first.save_draft(&p.owner, PROMPT, draft("two")).await.expect("save");
    let on = SettingsPatch { staging_enabled: Some(true), ..Default::default() };
    p.first.update_settings(&p.owner, on).await.expect("settings");
    p.first.set_staging(&p.owner, PROMPT, Some(v(2))).await.expect("stage");
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &test_key.token).await.as_deref(), Ok("v2"));

    // The staged draft rewritten: test keys read the new text on the other instance too.
    let rewrite =
        vault::Rewrite { body: Some(vault::DraftBody::Text("two, better".into())), ..Default::default() };
    p.first.rewrite_draft(&p.owner, PROMPT, v(2), rewrite).await.expect("rewrite");
    p.first.rename_member(&p.owner, "Ada Lovelace").await.expect("rename");
    p.second.catch_up().await.expect("follow");
    let served = p.second.read_prompt(&test_key.token, PROMPT, None).await.expect("read");
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    assert_eq!(
        (body["source"].as_str(), body["author"].as_str()),
        (Some("two, better"), Some("Ada Lovelace"))
    );

    let off = SettingsPatch { staging_enabled: Some(false), ..Default::default() };
    p.first.update_settings(&p.owner, off).await.expect("settings");
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &test_key.token).await.as_deref(), Ok("v1"), "staging off: live");
}

#[tokio::test]
async fn a_full_resync_reads_the_same_model_as_following_the_feed() {
    let p = pair().await;
    let key = p.first.create_api_key(&p.owner, KeyKind::Live, "prod").await.expect("key");
    p.first.save_draft(&p.owner, PROMPT, draft("one")).await.expect("save");
    p.first.promote(&p.owner, PROMPT, v(1)).await.expect("promote");
    p.second.resync().await.expect("resync");
    assert_eq!(version_read(&p.second, &key.token).await.as_deref(), Ok("v1"));
    assert_eq!(p.second.revision(), p.first.revision());
    // Entries older than a day are pruned; the newest stays, so the revision stands.
    p.first.prune_changes().await.expect("prune");
    assert_eq!(p.first.feed_revision().await.expect("feed"), p.first.revision());
}

#[tokio::test]
async fn concurrent_saves_and_promotes_through_both_instances_lose_nothing() {
    let p = pair().await;
    if several_writers_unsupported(&p) {
        return;
    }
    let mut saves = Vec::new();
    for i in 0..10 {
        let vault = if i % 2 == 0 { p.first.clone() } else { p.second.clone() };
        let owner = p.owner.clone();
        saves.push(tokio::spawn(
            async move { vault.save_draft(&owner, PROMPT, draft(&format!("s{i}"))).await },
        ));
    }
    let mut numbers = HashSet::new();
    for save in saves {
        numbers.insert(save.await.expect("join").expect("save").number.get());
    }
    assert_eq!(numbers, (1..=10).collect::<HashSet<_>>(), "every save its own number, none skipped");

    let mut promotes = Vec::new();
    for i in 1..=10 {
        let vault = if i % 2 == 0 { p.first.clone() } else { p.second.clone() };
        let owner = p.owner.clone();
        promotes.push(tokio::spawn(async move { vault.promote(&owner, PROMPT, v(i)).await }));
    }
    for promote in promotes {
        promote.await.expect("join").expect("promote");
    }
    // Every move recorded from the pointer it really moved: the moves form one chain.
    let moves = p.first.deployments(&p.owner, PROMPT).await.expect("deployments");
    assert_eq!(moves.len(), 10);
    for two in moves.windows(2) {
        assert_eq!(two[0].from, two[1].to, "each move starts where the one before ended");
    }
    p.first.catch_up().await.expect("follow");
    p.second.catch_up().await.expect("follow");
    let live = p.first.prompt(&p.owner, PROMPT).await.expect("prompt").live;
    let key = p.second.create_api_key(&p.owner, KeyKind::Live, "prod").await.expect("key");
    p.first.catch_up().await.expect("follow");
    let expected = live.map(|n| n.label());
    assert_eq!(version_read(&p.first, &key.token).await.ok(), expected);
    assert_eq!(version_read(&p.second, &key.token).await.ok(), expected);
}

#[tokio::test]
async fn each_instance_search_index_finds_the_other_instance_saves() {
    let p = pair().await;
    p.first.save_draft(&p.owner, PROMPT, draft("refund policy")).await.expect("save");
    p.second.search_caught_up().await.expect("index");
    let search = PageRequest { search: Some("refund".into()), ..Default::default() };
    let found = p.second.search(&p.owner, search).await.expect("search");
    assert_eq!(found.items.len(), 1, "the second instance's index holds the first one's save");
}

#[tokio::test]
async fn a_due_webhook_delivery_is_claimed_by_one_instance_only_within_the_workspaces_share() {
    let p = pair().await;
    if several_writers_unsupported(&p) {
        return;
    }
    for i in 0..6 {
        let hook = NewWebhook {
            url: format!("https://hooks.example.com/promptvault/{i}"),
            events: vec!["version.promoted".into()],
            enabled: true,
        };
        p.first.create_webhook(&p.owner, hook).await.expect("webhook");
    }
    p.first.save_draft(&p.owner, PROMPT, draft("v1")).await.expect("save");
    p.first.promote(&p.owner, PROMPT, v(1)).await.expect("promote");
    let hold = Duration::from_secs(60);
    let (a, b) =
        tokio::join!(p.first.claim_due_deliveries(16, hold), p.second.claim_due_deliveries(16, hold));
    let (a, b) = (a.expect("claim"), b.expect("claim"));
    let ids: Vec<i64> = a.iter().chain(&b).map(|d| d.delivery_id).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "no delivery claimed twice");
    assert_eq!(
        unique.len(),
        vault::IN_FLIGHT_PER_WORKSPACE,
        "both instances together send the workspace's share"
    );
    let sent = Outcome { status_code: Some(204), duration: Duration::from_millis(2), error: None };
    for delivery in a.iter().chain(&b) {
        p.second.record_attempt(delivery, &sent, hold).await.expect("record");
    }
    let rest = p.first.claim_due_deliveries(16, hold).await.expect("claim");
    assert_eq!(rest.len(), 6 - vault::IN_FLIGHT_PER_WORKSPACE, "the others once those are sent");
    assert!(rest.iter().all(|d| !unique.contains(&d.delivery_id)));
}

#[tokio::test]
async fn two_owners_demoting_each_other_through_two_instances_leave_one_owner() {
    let p = pair().await;
    if several_writers_unsupported(&p) {
        return;
    }
    let grace = NewMember {
        email: "grace@example.com".into(),
        password: "long enough".into(),
        name: "Grace".into(),
        role: Role::Owner,
    };
    let grace = p.first.add_member(&p.owner, grace).await.expect("second owner");
    let (one, two) = tokio::join!(
        p.first.change_role(&p.owner, grace.member_id, Role::Editor),
        p.second.change_role(&grace, p.owner.member_id, Role::Editor),
    );
    assert!(one.is_ok() != two.is_ok(), "exactly one demotion: {one:?} {two:?}");
    let refused = one.err().or(two.err()).expect("one refused");
    assert!(matches!(refused, VaultError::Conflict { reason: Conflict::LastOwner, .. }), "{refused:?}");
    let members = p.first.members(&p.owner).await.expect("members");
    assert_eq!(members.iter().filter(|m| m.role == Role::Owner).count(), 1, "one owner left");
}

#[tokio::test]
async fn a_change_the_read_model_could_not_apply_is_applied_at_the_next_try() {
    let p = pair().await;
    let key = p.first.create_api_key(&p.owner, KeyKind::Live, "prod").await.expect("key");
    p.first.save_draft(&p.owner, PROMPT, draft("one")).await.expect("save");
    p.first.promote(&p.owner, PROMPT, v(1)).await.expect("promote");
    // The second instance cannot read the versions when it first tries to follow.
    crate::helpers::sql(p._dirs.0.path(), "alter table versions rename to versions_away")
        .await
        .expect("hide");
    assert!(p.second.catch_up().await.is_err(), "the refresh fails");
    assert!(p.second.revision() < p.first.revision(), "its revision stays behind the change it missed");
    crate::helpers::sql(p._dirs.0.path(), "alter table versions_away rename to versions")
        .await
        .expect("back");
    // Nothing was skipped: the next try (the periodic check's) applies it.
    p.second.catch_up().await.expect("follow");
    assert_eq!(version_read(&p.second, &key.token).await.as_deref(), Ok("v1"));
}

#[tokio::test]
async fn a_ramp_step_is_taken_once_with_two_instances_running() {
    let p = pair().await;
    if several_writers_unsupported(&p) {
        return;
    }
    for source in ["one", "two"] {
        p.first.save_draft(&p.owner, PROMPT, NewDraft::text(source, source)).await.expect("save");
    }
    p.first.promote(&p.owner, PROMPT, v(1)).await.expect("v1 live");
    let schedule = vec![
        types::rollouts::StepJson { percent: 10.0, after_minutes: 1 },
        types::rollouts::StepJson { percent: 50.0, after_minutes: 1 },
    ];
    let ramp = vault::NewRollout { version: v(2), percent: 5.0, schedule, guard: None };
    p.first.start_rollout(&p.owner, PROMPT, "live", ramp).await.expect("start");
    assert_eq!(
        (p.first.advance_rollouts().await.ok(), p.second.advance_rollouts().await.ok()),
        (Some(0), Some(0))
    );

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_millis();
    let due = format!("update rollouts set next_step_at = {}", now - 1);
    crate::helpers::sql(p._dirs.0.path(), &due).await.expect("the first step due now");
    let (first, second) = tokio::join!(p.first.advance_rollouts(), p.second.advance_rollouts());
    assert_eq!(first.expect("first") + second.expect("second"), 1, "one instance took the step");
    let rollout = p.second.rollout(&p.owner, PROMPT, "live").await.expect("rollout");
    assert_eq!((rollout.percent, rollout.schedule.len()), (10.0, 1));
    assert!(rollout.next_step_at.is_some(), "the next step is due a minute after this one was");
    assert_eq!(p.first.advance_rollouts().await.ok(), Some(0), "not due yet");
}
