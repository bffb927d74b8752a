//! The activity log: every change recorded with its change, newest first, paged and
//! filtered; a refused change records nothing.

use crate::helpers::{PROMPT, assert_refused, v, workspace};
use vault::{
    ActivityEntry, ActivityFilter, ActivityKind, KeyKind, NewDraft, NewMember, NewWebhook, PageRequest, Role,
    SettingsPatch, Vault, VaultError,
};

fn draft(source: &str) -> NewDraft {
    NewDraft::text(source, format!("about {source}"))
}

async fn all(vault: &Vault, actor: &vault::Actor, filter: ActivityFilter) -> Vec<ActivityEntry> {
    vault.activity(actor, filter).await.expect("activity").items
}

fn kinds(entries: &[ActivityEntry]) -> Vec<&'static str> {
    entries.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test]
async fn every_change_is_recorded_newest_first_with_its_details() {
    let (vault, owner, _dir) = workspace("Ada").await;
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    vault.save_draft(&owner, PROMPT, draft("one")).await.expect("save");
    let rewrite =
        vault::Rewrite { body: Some(vault::DraftBody::Text("one, again".into())), ..Default::default() };
    vault.rewrite_draft(&owner, PROMPT, v(1), rewrite).await.expect("rewrite");
    vault.promote(&owner, PROMPT, v(1)).await.expect("promote");
    vault.save_draft(&owner, PROMPT, draft("two")).await.expect("save");
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await
        .expect("settings");
    vault.set_staging(&owner, PROMPT, Some(v(2))).await.expect("stage");
    vault.delete_draft(&owner, PROMPT, v(2)).await.expect("delete");
    let key = vault.create_api_key(&owner, KeyKind::Live, "web").await.expect("key");
    vault.revoke_api_key(&owner, key.key.id).await.expect("revoke key");
    let token = vault.create_access_token(&owner, "ci").await.expect("token");
    vault.revoke_access_token(&owner, token.token.id).await.expect("revoke token");
    let hook = NewWebhook {
        url: "https://hooks.example.com/pv?token=s3cret".into(),
        events: vec!["version.promoted".into()],
        enabled: true,
    };
    let hook = vault.create_webhook(&owner, hook).await.expect("webhook");
    vault.rotate_webhook_secret(&owner, hook.webhook.id).await.expect("rotate");
    vault.delete_webhook(&owner, hook.webhook.id).await.expect("delete webhook");

    let entries = all(&vault, &owner, ActivityFilter::default()).await;
    assert_eq!(
        kinds(&entries),
        [
            "webhook.deleted",
            "webhook.secret_rotated",
            "webhook.created",
            "token.revoked",
            "token.created",
            "key.revoked",
            "key.created",
            "draft.deleted",
            // Deleting the staged draft clears staging in the same transaction.
            "staging.changed",
            "staging.changed",
            "setting.changed",
            "version.saved",
            "version.promoted",
            "version.rewritten",
            "version.saved",
            "prompt.created",
        ]
    );
    assert!(entries.iter().all(|e| e.actor == "Ada" && e.at.0 > 0));
    let promoted = entries.iter().find(|e| e.kind == ActivityKind::VersionPromoted).expect("promoted");
    assert_eq!(promoted.prompt.as_deref(), Some(PROMPT));
    assert_eq!(
        (&promoted.details["from"], &promoted.details["to"]),
        (&serde_json::Value::Null, &"v1".into())
    );
    assert!(promoted.details["event_id"].as_str().is_some_and(|id| id.starts_with("evt_")));
    let webhook_entries = entries.iter().filter(|e| e.kind.as_str().starts_with("webhook."));
    for entry in webhook_entries {
        assert!(!entry.details.to_string().contains("s3cret"), "no URL or secret in {}", entry.details);
    }
}

#[tokio::test]
async fn pages_and_filters_by_prompt_member_and_kind() {
    let (vault, owner, _dir) = workspace("Ada").await;
    let editor = NewMember {
        email: "grace@example.com".into(),
        password: "long enough".into(),
        name: "Grace".into(),
        role: Role::Editor,
    };
    let editor = vault.add_member(&owner, editor).await.expect("member");
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    vault.create_prompt(&editor, "other").await.expect("create");
    for i in 0..5 {
        vault.save_draft(&editor, PROMPT, draft(&format!("d{i}"))).await.expect("save");
    }
    vault.save_draft(&owner, "other", draft("x")).await.expect("save");

    let by = |prompt: Option<&str>, member: Option<&str>, kind: Option<&str>| ActivityFilter {
        prompt: prompt.map(str::to_owned),
        member: member.map(str::to_owned),
        kind: kind.map(|kind| ActivityKind::parse(kind).expect("a kind")),
        ..Default::default()
    };
    assert_eq!(all(&vault, &owner, by(Some(PROMPT), None, None)).await.len(), 6);
    assert_eq!(all(&vault, &owner, by(None, Some("Grace@Example.com"), None)).await.len(), 6);
    assert_eq!(all(&vault, &owner, by(None, None, Some("prompt.created"))).await.len(), 2);
    assert_eq!(
        all(&vault, &owner, by(Some("other"), Some("ada@example.com"), Some("version.saved"))).await.len(),
        1
    );

    // Pages of 3 cover all 8 entries once, newest first.
    let mut seen = Vec::new();
    let mut filter =
        ActivityFilter { page: PageRequest { limit: Some(3), ..Default::default() }, ..Default::default() };
    loop {
        let page = vault.activity(&owner, filter.clone()).await.expect("page");
        seen.extend(page.items.iter().map(|e| e.id));
        let Some(next) = page.next_cursor else { break };
        filter.page.cursor = Some(vault::Cursor::parse(&next).expect("cursor"));
    }
    assert_eq!(seen.len(), 8);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));

    // Bad filters are refused, naming the field: a kind where its word is read (the filter
    // holds an `ActivityKind`), an email by the vault.
    let refused: Result<(), VaultError> =
        Err(ActivityKind::parse("everything").expect_err("no such kind").into());
    assert_eq!(assert_refused(refused, 422, "invalid").field(), Some("kind"));
    let refused = vault.activity(&owner, by(None, Some("not an email"), None)).await;
    assert_eq!(assert_refused(refused, 422, "invalid").field(), Some("email"));
}

#[tokio::test]
async fn a_refused_change_records_nothing() {
    let (vault, owner, _dir) = workspace("Ada").await;
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    vault.save_draft(&owner, PROMPT, draft("one")).await.expect("save");
    vault.promote(&owner, PROMPT, v(1)).await.expect("promote");
    let before = all(&vault, &owner, ActivityFilter::default()).await.len();
    assert!(vault.create_prompt(&owner, PROMPT).await.is_err());
    assert!(vault.delete_draft(&owner, PROMPT, v(1)).await.is_err());
    assert!(vault.roll_back(&owner, PROMPT, v(1)).await.is_err());
    assert!(vault.set_staging(&owner, PROMPT, Some(v(1))).await.is_err());
    assert_eq!(all(&vault, &owner, ActivityFilter::default()).await.len(), before);
}
