//! The outbox and the delivery rules, without HTTP: which changes make which events, who
//! receives them, the retry schedule, disabling, and the webhook lifecycle's refusals.

use std::time::Duration;

use serde_json::Value;
use vault::{
    Actor, Conflict, DueDelivery, EventKind, NewDraft, NewMember, NewWebhook, Outcome, Role, SettingsPatch,
    Vault, WebhookPatch,
};

use crate::helpers::{PROMPT, assert_refused, v};

const HOLD: Duration = Duration::from_secs(60);

async fn fixture() -> (Vault, Actor, tempfile::TempDir) {
    let (vault, owner, dir) = crate::helpers::workspace("Ada").await;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await
        .expect("staging");
    vault.create_prompt(&owner, PROMPT).await.expect("prompt");
    for i in 1..=3 {
        let draft = NewDraft::text(format!("source {i}"), format!("change {i}"));
        vault.save_draft(&owner, PROMPT, draft).await.expect("save");
    }
    (vault, owner, dir)
}

fn hook(events: &[&str]) -> NewWebhook {
    NewWebhook {
        url: "https://hooks.example.com/promptvault".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        enabled: true,
    }
}

fn failed() -> Outcome {
    Outcome { status_code: Some(500), duration: Duration::from_millis(3), error: None }
}

fn delivered() -> Outcome {
    Outcome { status_code: Some(204), duration: Duration::from_millis(2), error: None }
}

/// Every delivery due, in the order a worker sends them: claimed again and again, each
/// recorded as delivered (a claim takes one per webhook, and a workspace has only a few
/// in flight at once).
async fn deliver_everything(vault: &Vault) -> Vec<DueDelivery> {
    let mut all = Vec::new();
    loop {
        let due = vault.claim_due_deliveries(100, HOLD).await.expect("due");
        if due.is_empty() {
            return all;
        }
        for delivery in &due {
            vault.record_attempt(delivery, &delivered(), HOLD).await.expect("record");
        }
        all.extend(due);
    }
}

#[tokio::test]
async fn each_change_writes_its_event_for_the_webhooks_that_subscribe() {
    let (vault, owner, _dir) = fixture().await;
    let all = vault
        .create_webhook(
            &owner,
            hook(&["version.promoted", "version.rolled_back", "staging.changed", "draft.deleted"]),
        )
        .await
        .expect("all");
    let promotions = vault.create_webhook(&owner, hook(&["version.promoted"])).await.expect("promotions");
    let off = NewWebhook { enabled: false, ..hook(&["version.promoted"]) };
    vault.create_webhook(&owner, off).await.expect("disabled");
    assert!(all.secret.starts_with("whsec_"));

    vault.promote(&owner, PROMPT, v(1)).await.expect("promote 1");
    vault.promote(&owner, PROMPT, v(2)).await.expect("promote 2");
    vault.roll_back(&owner, PROMPT, v(1)).await.expect("roll back");
    vault.set_staging(&owner, PROMPT, Some(v(3))).await.expect("stage");
    vault.delete_draft(&owner, PROMPT, v(3)).await.expect("delete (clears staging)");

    // A claim takes each webhook's earliest delivery; claimed ones are not handed out
    // again while held.
    let first = vault.claim_due_deliveries(100, HOLD).await.expect("due");
    assert_eq!(first.len(), 2, "one for each enabled webhook: {first:?}");
    let second = vault.claim_due_deliveries(100, HOLD).await.expect("due");
    assert_eq!(second.len(), 2, "their next ones, within the workspace's share: {second:?}");
    assert!(second.iter().all(|d| first.iter().all(|f| f.delivery_id != d.delivery_id)));
    for delivery in first.iter().chain(&second) {
        vault.record_attempt(delivery, &delivered(), HOLD).await.expect("record");
    }
    let due: Vec<DueDelivery> =
        first.into_iter().chain(second).chain(deliver_everything(&vault).await).collect();
    let seen = |webhook: i64| -> Vec<&str> {
        due.iter().filter(|d| d.webhook_id == webhook).map(|d| d.event_type.as_str()).collect()
    };
    assert_eq!(
        seen(all.webhook.id),
        [
            "version.promoted",
            "version.promoted",
            "version.rolled_back",
            "staging.changed",
            "staging.changed",
            "draft.deleted"
        ]
    );
    assert_eq!(seen(promotions.webhook.id), ["version.promoted", "version.promoted"]);
    assert_eq!(due.len(), 8, "nothing for the disabled webhook");
    assert!(due.iter().all(|d| d.attempt == 1 && d.secret.starts_with("whsec_")));

    // The body: the version that became live and the one before it, who acted, no source.
    let to_all: Vec<_> = due.iter().filter(|d| d.webhook_id == all.webhook.id).collect();
    let second: Value = serde_json::from_str(&to_all[1].body).expect("json");
    assert_eq!(second["type"], "version.promoted");
    assert_eq!(second["id"], to_all[1].event_id.as_str());
    assert_eq!(second["api_version"], "v1");
    assert_eq!((&second["workspace"], &second["prompt"]), (&Value::from("Acme"), &Value::from(PROMPT)));
    assert_eq!(second["version"]["version"], "v2");
    assert_eq!(second["version"]["status"], "live");
    assert_eq!(second["version"]["message"], "change 2");
    assert!(second["version"].get("source").is_none());
    assert_eq!(second["previous"]["version"], "v1");
    assert_eq!(second["actor"]["email"], "ada@example.com");
    let first: Value = serde_json::from_str(&to_all[0].body).expect("json");
    assert_eq!(first["previous"], Value::Null);
    let deleted: Value = serde_json::from_str(&to_all[5].body).expect("json");
    assert_eq!(
        (&deleted["type"], &deleted["version"]["version"]),
        (&Value::from("draft.deleted"), &Value::from("v3"))
    );

    // The pointer moves and their events share ids: the deployments timeline names them.
    let moves = vault.deployments(&owner, PROMPT).await.expect("deployments");
    assert!(moves.iter().any(|m| m.event_id == to_all[1].event_id));
}

#[tokio::test]
async fn failed_attempts_retry_on_a_growing_schedule_then_give_up() {
    let (vault, owner, _dir) = fixture().await;
    let webhook = vault.create_webhook(&owner, hook(&["version.promoted"])).await.expect("webhook").webhook;
    vault.promote(&owner, PROMPT, v(1)).await.expect("promote");
    let base = Duration::from_micros(100);
    let mut gaps = Vec::new();
    for attempt in 1..=vault::MAX_ATTEMPTS {
        let due = loop {
            let mut due = vault.claim_due_deliveries(10, HOLD).await.expect("due");
            if let Some(d) = due.pop() {
                break d;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        assert_eq!(due.attempt, attempt);
        vault.record_attempt(&due, &failed(), base).await.expect("record");
        gaps.push(vault::retry_delay(base, attempt));
    }
    assert!(gaps.windows(2).all(|w| w[1] >= w[0]), "gaps grow: {gaps:?}");
    assert_eq!(vault::retry_delay(Duration::from_secs(10), 1), Duration::from_secs(10));
    let day: Duration =
        (1..vault::MAX_ATTEMPTS).map(|n| vault::retry_delay(Duration::from_secs(10), n)).sum();
    assert!(day > Duration::from_secs(20 * 3600) && day < Duration::from_secs(30 * 3600), "{day:?}");

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(vault.claim_due_deliveries(10, HOLD).await.expect("due").is_empty(), "given up after the last");
    let log = vault.delivery_log(&owner, webhook.id).await.expect("log");
    assert_eq!(log.len() as i64, vault::MAX_ATTEMPTS);
    assert!(
        log.iter().all(|a| a.delivery_state == vault::DeliveryState::Failed && a.status_code == Some(500))
    );

    // Redeliver: one more attempt, now.
    vault.redeliver(&owner, webhook.id, &log[0].event_id).await.expect("redeliver");
    let due = vault.claim_due_deliveries(10, HOLD).await.expect("due");
    assert_eq!(due.len(), 1);
    let ok = Outcome { status_code: Some(204), duration: Duration::from_millis(2), error: None };
    vault.record_attempt(&due[0], &ok, base).await.expect("record");
    let log = vault.delivery_log(&owner, webhook.id).await.expect("log");
    assert_eq!((log[0].status_code, log[0].delivery_state.as_str()), (Some(204), "delivered"));
}

#[tokio::test]
async fn a_webhook_failing_again_and_again_is_disabled_and_gets_what_it_missed_when_enabled_again() {
    let (vault, owner, _dir) = fixture().await;
    let webhook = vault.create_webhook(&owner, hook(&["staging.changed"])).await.expect("webhook").webhook;
    let mut failures = 0;
    let mut staged = 1;
    while failures < vault::DISABLE_AFTER_FAILURES {
        staged = staged % 3 + 1;
        vault.set_staging(&owner, PROMPT, Some(v(staged))).await.expect("stage");
        for due in vault.claim_due_deliveries(100, HOLD).await.expect("due") {
            vault.record_attempt(&due, &failed(), Duration::from_secs(3600)).await.expect("record");
            failures += 1;
        }
    }
    let now = vault.webhook(&owner, webhook.id).await.expect("webhook");
    assert!(!now.enabled);
    assert!(now.disabled_reason.as_deref().is_some_and(|r| r.contains("failed attempts in a row")));
    let unstaged = vault.set_staging(&owner, PROMPT, None).await.expect("unstage");
    assert_eq!(unstaged.staging, None);
    assert!(vault.claim_due_deliveries(100, HOLD).await.expect("due").is_empty(), "disabled: nothing sent");
    assert_refused(vault.send_test_event(&owner, webhook.id).await, 409, Conflict::WebhookDisabled.code());
    let log = vault.delivery_log(&owner, webhook.id).await.expect("log");
    let refused = vault.redeliver(&owner, webhook.id, &log[0].event_id).await;
    assert_refused(refused, 409, Conflict::WebhookDisabled.code());

    // Enabled again: the count starts over, what happened while it was disabled goes out
    // (it was disabled by the server, not by a person), and so does a test event.
    let patch = WebhookPatch { enabled: Some(true), ..Default::default() };
    let again = vault.update_webhook(&owner, webhook.id, patch).await.expect("enable");
    assert!(again.enabled && again.disabled_reason.is_none());
    let test = vault.send_test_event(&owner, webhook.id).await.expect("test event");
    let due = deliver_everything(&vault).await;
    let missed: Vec<Value> = due
        .iter()
        .filter(|d| d.event_type == EventKind::StagingChanged.as_str())
        .map(|d| serde_json::from_str::<Value>(&d.body).expect("json"))
        .collect();
    assert!(
        missed.iter().any(|body| body["version"].is_null()),
        "the unstaging made while disabled: {missed:?}"
    );
    assert!(due.iter().any(|d| d.event_id == test && d.event_type == EventKind::WebhookTest.as_str()));
}

#[tokio::test]
async fn webhooks_are_for_admins_and_bad_input_is_refused() {
    let (vault, owner, _dir) = fixture().await;
    let editor = vault
        .add_member(
            &owner,
            NewMember {
                email: "ed@example.com".into(),
                name: "Ed".into(),
                password: "a long password".into(),
                role: Role::Editor,
            },
        )
        .await
        .expect("editor");
    assert_refused(vault.create_webhook(&editor, hook(&["version.promoted"])).await, 403, "forbidden");
    assert_refused(vault.webhooks(&editor).await, 403, "forbidden");
    for (url, events) in [
        ("not a url", vec!["version.promoted"]),
        ("ftp://example.com/x", vec!["version.promoted"]),
        ("https://user:pw@example.com/x", vec!["version.promoted"]),
        ("https://example.com/x", vec![]),
        ("https://example.com/x", vec!["version.published"]),
        ("https://example.com/x", vec!["webhook.test"]),
    ] {
        let input = NewWebhook {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            enabled: true,
        };
        let refused = vault.create_webhook(&owner, input).await;
        assert_refused(refused, 422, "invalid");
    }
    assert!(vault.webhooks(&owner).await.expect("list").is_empty(), "nothing was made");

    let made = vault
        .create_webhook(&owner, hook(&["draft.deleted", "version.promoted", "draft.deleted"]))
        .await
        .expect("made");
    assert_eq!(
        made.webhook.events,
        [EventKind::VersionPromoted, EventKind::DraftDeleted],
        "deduplicated, in order"
    );
    let rotated = vault.rotate_webhook_secret(&owner, made.webhook.id).await.expect("rotate");
    assert_ne!(rotated.secret, made.secret);
    assert!(!format!("{rotated:?}").contains(&rotated.secret), "Debug never shows the secret");
    vault.delete_webhook(&owner, made.webhook.id).await.expect("delete");
    assert_refused(vault.delete_webhook(&owner, made.webhook.id).await, 404, "not_found");
}

#[tokio::test]
async fn test_events_and_redeliveries_are_limited_per_workspace() {
    let (vault, owner, _dir) = fixture().await;
    let webhook = vault.create_webhook(&owner, hook(&["version.promoted"])).await.expect("webhook").webhook;
    for _ in 0..vault::MANUAL_SENDS_PER_MINUTE {
        vault.send_test_event(&owner, webhook.id).await.expect("within the limit");
    }
    let refused = vault.send_test_event(&owner, webhook.id).await.expect_err("past the limit");
    assert_eq!((refused.status(), refused.code()), (429, "rate_limited"), "{refused}");
    let log = deliver_everything(&vault).await;
    let refused = vault.redeliver(&owner, webhook.id, &log[0].event_id).await.expect_err("redeliveries too");
    assert_eq!(refused.status(), 429, "{refused}");

    // Another workspace has its own count.
    let other = vault.create_workspace(&owner, "Elsewhere").await.expect("workspace");
    let theirs = vault.create_webhook(&other, hook(&["version.promoted"])).await.expect("webhook").webhook;
    vault.send_test_event(&other, theirs.id).await.expect("a count of its own");
}
