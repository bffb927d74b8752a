//! Live updates (PRODUCT.md "Live updates and agents"): a stream of what a read key reads,
//! an event per change with the bytes an SDK read answers, resumable from an event id on
//! any instance, ended when its key is revoked, and limited per key.

use std::time::Duration;

use vault::{
    KeyKind, NewDraft, Resume, SettingsPatch, Storage, StreamEvent, StreamRefused, Subscription, Vault,
};

use crate::helpers::{Fixture, PROMPT, v};

const OTHER: &str = "support/reply";

/// A workspace with staging on, two prompts (PROMPT live at v1 with a draft v2, OTHER with
/// a draft only) and a live and a test key.
async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await;
    f.staging(true).await;
    let (vault, owner) = (&f.vault, &f.owner);
    for name in [PROMPT, OTHER] {
        vault.create_prompt(owner, name).await.expect("create");
    }
    for source in ["one", "two"] {
        vault.save_draft(owner, PROMPT, NewDraft::text(source, source)).await.expect("draft");
    }
    vault.save_draft(owner, OTHER, NewDraft::text("other", "other")).await.expect("draft");
    vault.promote(owner, PROMPT, v(1)).await.expect("promote");
    f.with_keys().await
}

async fn open(vault: &Vault, key: &str, resume: Resume) -> (Subscription, Vec<StreamEvent>) {
    vault.subscribe(key, None, resume).await.expect("subscribe")
}

/// The next events, or none within a moment.
async fn next(subscription: &mut Subscription) -> Option<Vec<StreamEvent>> {
    tokio::time::timeout(Duration::from_secs(2), subscription.next()).await.expect("an event in time")
}

async fn nothing_within_a_moment(subscription: &mut Subscription) {
    let waited = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await;
    assert!(waited.is_err(), "no event expected, got {waited:?}");
}

/// `(name, version)` of each event; `None` for a removal.
fn seen(events: &[StreamEvent]) -> Vec<(String, Option<String>)> {
    events
        .iter()
        .map(|event| match event {
            StreamEvent::Prompt { name, body, .. } => {
                let json: serde_json::Value = serde_json::from_slice(body).expect("json");
                (name.clone(), json["version"].as_str().map(str::to_owned))
            }
            StreamEvent::Removed { name, .. } => (name.clone(), None),
        })
        .collect()
}

fn pair(name: &str, version: Option<&str>) -> (String, Option<String>) {
    (name.to_owned(), version.map(str::to_owned))
}

#[tokio::test]
async fn a_fresh_stream_starts_with_what_the_key_reads_and_then_gets_each_change_as_served() {
    let f = fixture().await;
    let (mut live, first) = open(&f.vault, &f.live, Resume::Fresh).await;
    assert_eq!(seen(&first), [pair(PROMPT, Some("v1"))], "OTHER has nothing live");

    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    let events = next(&mut live).await.expect("open");
    assert_eq!(seen(&events), [pair(PROMPT, Some("v2"))]);
    // The same bytes an SDK read answers, with a later id.
    let served = f.vault.read_prompt(&f.live, PROMPT, None).await.expect("read");
    let StreamEvent::Prompt { body, id, .. } = &events[0] else { panic!("a prompt event") };
    assert_eq!(body, &served.body);
    assert!(*id > first[0].id());

    // The first live version of a prompt is news too; a draft saved is not.
    f.vault.save_draft(&f.owner, PROMPT, NewDraft::text("three", "three")).await.expect("draft");
    nothing_within_a_moment(&mut live).await;
    f.vault.promote(&f.owner, OTHER, v(1)).await.expect("promote");
    assert_eq!(seen(&next(&mut live).await.expect("open")), [pair(OTHER, Some("v1"))]);
    f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    assert_eq!(seen(&next(&mut live).await.expect("open")), [pair(PROMPT, Some("v1"))]);
}

#[tokio::test]
async fn a_test_key_follows_staging_its_draft_rewrites_and_its_removal() {
    let f = fixture().await;
    let (mut test, first) = open(&f.vault, &f.test, Resume::Fresh).await;
    assert_eq!(seen(&first), [pair(PROMPT, Some("v1"))], "staging unset: live");
    let (mut live, _) = open(&f.vault, &f.live, Resume::Fresh).await;

    // Staging a draft: the test key's stream hears of it, the live key's does not.
    f.vault.set_staging(&f.owner, PROMPT, Some(v(2))).await.expect("stage");
    assert_eq!(seen(&next(&mut test).await.expect("open")), [pair(PROMPT, Some("v2"))]);
    let rewrite =
        vault::Rewrite { body: Some(vault::DraftBody::Text("two, better".into())), ..Default::default() };
    f.vault.rewrite_draft(&f.owner, PROMPT, v(2), rewrite).await.expect("rewrite");
    let events = next(&mut test).await.expect("open");
    let StreamEvent::Prompt { body, .. } = &events[0] else { panic!("a prompt event") };
    assert!(String::from_utf8_lossy(body).contains("two, better"));
    nothing_within_a_moment(&mut live).await;

    // OTHER: staged, then its draft deleted (staging cleared, nothing live): removed.
    f.vault.set_staging(&f.owner, OTHER, Some(v(1))).await.expect("stage");
    assert_eq!(seen(&next(&mut test).await.expect("open")), [pair(OTHER, Some("v1"))]);
    f.vault.delete_draft(&f.owner, OTHER, v(1)).await.expect("delete");
    assert_eq!(seen(&next(&mut test).await.expect("open")), [pair(OTHER, None)]);

    // Staging turned off: test keys read live again.
    f.vault
        .update_settings(&f.owner, SettingsPatch { staging_enabled: Some(false), ..Default::default() })
        .await
        .expect("staging off");
    assert_eq!(seen(&next(&mut test).await.expect("open")), [pair(PROMPT, Some("v1"))]);
}

#[tokio::test]
async fn a_stream_resumed_from_an_id_gets_what_changed_after_it_and_nothing_else() {
    let f = fixture().await;
    let (live, first) = open(&f.vault, &f.live, Resume::Fresh).await;
    let last = first[0].id();
    drop(live);
    // While the client is away: OTHER goes live, PROMPT moves and comes back (still v1).
    f.vault.promote(&f.owner, OTHER, v(1)).await.expect("promote");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    let moved = f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    assert_eq!(moved.state.live, Some(v(1)));
    let (_, missed) = open(&f.vault, &f.live, Resume::After(last)).await;
    let missed = seen(&missed);
    assert!(missed.contains(&pair(OTHER, Some("v1"))), "{missed:?}");
    assert!(missed.iter().all(|(name, _)| name == OTHER || name == PROMPT), "{missed:?}");
    // Resuming from the newest id: nothing is due.
    let (_, newest) = open(&f.vault, &f.live, Resume::Fresh).await;
    let newest_id = newest.iter().map(StreamEvent::id).max().expect("events");
    let (_, none) = open(&f.vault, &f.live, Resume::After(newest_id)).await;
    assert_eq!(none, []);
    // Ids are in order: a client that saw the last one has seen everything before it.
    assert!(newest.windows(2).all(|w| w[0].id() <= w[1].id()));
}

#[tokio::test]
async fn another_instance_resumes_a_stream_from_an_id_this_one_sent() {
    let f = fixture().await;
    let other_dir = tempfile::tempdir().expect("temp dir");
    let storage = Storage {
        database_url: crate::helpers::storage(f.dir.path()).await.database_url,
        data_dir: other_dir.path().to_owned(),
    };
    let second = Vault::open(&storage).await.expect("second instance");
    let (mut here, _) = open(&f.vault, &f.live, Resume::Fresh).await;
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    let seen_here = next(&mut here).await.expect("open");
    // Another change the client has not seen yet, then it moves to the other instance,
    // which has not followed the feed yet.
    f.vault.promote(&f.owner, OTHER, v(1)).await.expect("promote");
    let (mut there, missed) = open(&second, &f.live, Resume::After(seen_here[0].id())).await;
    assert_eq!(seen(&missed), [pair(OTHER, Some("v1"))]);
    // And it hears of changes made through the first, once it follows the feed.
    f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    second.catch_up().await.expect("follow");
    assert_eq!(seen(&next(&mut there).await.expect("open")), [pair(PROMPT, Some("v1"))]);
}

#[tokio::test]
async fn a_revoked_key_ends_its_streams_and_bad_subscriptions_are_refused() {
    let f = fixture().await;
    let (mut live, _) = open(&f.vault, &f.live, Resume::Fresh).await;
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    let id = keys.iter().find(|k| k.kind == KeyKind::Live).expect("live key").id;
    f.vault.revoke_api_key(&f.owner, id).await.expect("revoke");
    assert_eq!(next(&mut live).await, None, "the stream ends");
    let refused = f.vault.subscribe(&f.live, None, Resume::Fresh).await.err();
    assert_eq!(refused, Some(StreamRefused::Unauthorized));
    assert_eq!(
        f.vault.subscribe("pv_live_nope", None, Resume::Fresh).await.err(),
        Some(StreamRefused::Unauthorized)
    );

    // Only some prompts; a name the workspace lacks is refused by name.
    let (mut only, first) =
        f.vault.subscribe(&f.test, Some(vec![OTHER.into()]), Resume::Fresh).await.expect("open");
    assert_eq!(first, [], "OTHER serves nothing yet");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    nothing_within_a_moment(&mut only).await;
    let unknown = f.vault.subscribe(&f.test, Some(vec!["no/such".into()]), Resume::Fresh).await.err();
    assert_eq!(unknown, Some(StreamRefused::UnknownPrompt("no/such".into())));
    assert!(vault::prompt_filter("support/triage, support/reply").is_ok());
    assert!(vault::prompt_filter("Not|A|Name").is_err());
    let named = vault::prompt_filter("a%2Cb,Support+Triage,%C3%A9t%C3%A9%2Fnotes").expect("encoded names");
    assert_eq!(named, ["a,b", "Support Triage", "été/notes"], "split first, then each decoded");
    assert!(vault::prompt_filter("%FF").is_err(), "not UTF-8");
    assert!(Resume::parse(Some("x")).is_err() && Resume::parse(Some("-1")).is_err());
    assert_eq!(Resume::parse(Some(" 42 ")).ok(), Some(Resume::After(42)));
    assert_eq!(Resume::parse(None).ok(), Some(Resume::Fresh));
}

#[tokio::test]
async fn streams_per_key_are_limited_and_a_closed_one_frees_its_place() {
    let f = fixture().await;
    let vault = f.vault.clone().limit_streams_per_key(2);
    let (a, _) = open(&vault, &f.test, Resume::Fresh).await;
    let (_b, _) = open(&vault, &f.test, Resume::Fresh).await;
    assert_eq!(vault.subscribe(&f.test, None, Resume::Fresh).await.err(), Some(StreamRefused::TooMany));
    // Another key has its own count.
    assert!(vault.subscribe(&f.live, None, Resume::Fresh).await.is_ok());
    drop(a);
    assert!(vault.subscribe(&f.test, None, Resume::Fresh).await.is_ok());
    // Stopping the server ends every stream.
    let (mut c, _) = open(&vault, &f.live, Resume::Fresh).await;
    vault.end_streams();
    assert_eq!(next(&mut c).await, None);
}

#[tokio::test]
async fn a_workspaces_keys_together_hold_at_most_its_share_of_streams() {
    let f = fixture().await;
    let vault = f.vault.clone().limit_streams_per_workspace(3);
    let (_a, _) = open(&vault, &f.test, Resume::Fresh).await;
    let (b, _) = open(&vault, &f.live, Resume::Fresh).await;
    // A new key does not bring a new share: keys are cheap to make.
    let third = vault.create_api_key(&f.owner, KeyKind::Live, "more").await.expect("key").token;
    let (_c, _) = open(&vault, &third, Resume::Fresh).await;
    let fourth = vault.create_api_key(&f.owner, KeyKind::Live, "even more").await.expect("key").token;
    assert_eq!(
        vault.subscribe(&fourth, None, Resume::Fresh).await.err(),
        Some(StreamRefused::TooManyInWorkspace)
    );
    // Another workspace has its own share.
    let other = vault.create_workspace(&f.owner, "Elsewhere").await.expect("workspace");
    let elsewhere = vault.create_api_key(&other, KeyKind::Live, "prod").await.expect("key").token;
    assert!(vault.subscribe(&elsewhere, None, Resume::Fresh).await.is_ok());
    drop(b);
    assert!(vault.subscribe(&fourth, None, Resume::Fresh).await.is_ok(), "a closed stream frees its place");
}
