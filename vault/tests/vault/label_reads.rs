//! Reading through labels: a key of a label (with its fallback), its stream, the Langfuse
//! API, a label's deletion with its keys, and the bundle of every prompt.

use std::time::Duration;

use serde_json::Value;
use vault::{Conflict, Fallback, KeyKind, LabelPatch, Resume, StreamEvent};

use crate::helpers::{Fixture, PROMPT, assert_conflict, assert_refused, draft, v};
use crate::labels::fixture;

/// The JSON a key reads for [`PROMPT`], or why not.
async fn read(f: &Fixture, token: &str) -> Result<Value, vault::ReadRefused> {
    let served = f.vault.read_prompt(token, PROMPT, None).await?;
    Ok(serde_json::from_slice(&served.body).expect("json"))
}

#[tokio::test]
async fn a_key_reads_its_label_and_where_it_points_nowhere_its_fallback() {
    let f = fixture().await;
    let eu = f.vault.create_label_key(&f.owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    let qa = f.vault.create_label_key(&f.owner, KeyKind::Test, "qa app", Some("qa")).await.expect("qa key");
    assert_eq!((eu.key.label.as_str(), eu.token.starts_with("pv_live_")), ("eu", true));
    assert_eq!(read(&f, &eu.token).await.err(), Some(vault::ReadRefused::NotFound), "eu has no fallback");
    let body = read(&f, &qa.token).await.expect("qa falls back to live");
    assert_eq!((body["version"].clone(), body["label"].clone()), ("v1".into(), "live".into()));

    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(2))).await.expect("eu on v2");
    f.vault.move_label(&f.owner, PROMPT, "qa", Some(v(3))).await.expect("qa on a draft");
    let body = read(&f, &eu.token).await.expect("eu reads v2 at once");
    assert_eq!(
        (body["version"].clone(), body["label"].clone(), body.get("channel")),
        ("v2".into(), "eu".into(), None)
    );
    assert_eq!(read(&f, &qa.token).await.expect("qa")["version"], "v3", "a preview label serves its draft");

    f.vault.move_label(&f.owner, PROMPT, "eu", None).await.expect("eu off");
    let patch = LabelPatch { fallback: Some(Some(Fallback::Live)), ..Default::default() };
    f.vault.update_label(&f.owner, "eu", patch).await.expect("eu falls back to live now");
    assert_eq!(read(&f, &eu.token).await.expect("eu")["version"], "v1");

    let pinned =
        f.vault.read_prompt(&eu.token, PROMPT, Some(v(2))).await.expect("a published version by number");
    let pinned: Value = serde_json::from_slice(&pinned.body).expect("json");
    assert_eq!((pinned["version"].clone(), pinned["label"].clone()), ("v2".into(), "eu".into()));
    let none = f.vault.create_label_key(&f.owner, KeyKind::Live, "x", Some("nowhere")).await;
    assert_refused(none, 404, "no label named nowhere");
}

#[tokio::test]
async fn a_stream_of_a_label_key_hears_of_its_moves() {
    let f = fixture().await;
    let eu = f.vault.create_label_key(&f.owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    let (mut stream, first) = f.vault.subscribe(&eu.token, None, Resume::Fresh).await.expect("stream");
    assert!(first.is_empty(), "eu serves nothing yet");
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu on v1");
    let events =
        tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("in time").expect("events");
    assert!(matches!(&events[..], [StreamEvent::Prompt { name, .. }] if name == PROMPT), "{events:?}");
    f.vault.move_label(&f.owner, PROMPT, "eu", None).await.expect("eu off");
    let events =
        tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("in time").expect("events");
    assert!(matches!(&events[..], [StreamEvent::Removed { .. }]), "{events:?}");
}

#[tokio::test]
async fn a_label_read_by_keys_is_deleted_only_with_its_keys() {
    let f = fixture().await;
    let eu = f.vault.create_label_key(&f.owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu on v1");
    assert_eq!(f.vault.label(&f.owner, "eu").await.expect("eu").keys, 1);
    assert_conflict(f.vault.delete_label(&f.owner, "eu", false).await, Conflict::LabelInUse, "1 API key");
    assert!(read(&f, &eu.token).await.is_ok(), "refused: nothing changed");
    f.vault.delete_label(&f.owner, "eu", true).await.expect("deleted with its keys");
    assert_eq!(read(&f, &eu.token).await.err(), Some(vault::ReadRefused::Unauthorized), "its key is revoked");
}

#[tokio::test]
async fn the_langfuse_api_reads_a_label_key_by_its_label_and_names_every_label_of_a_version() {
    let f = fixture().await;
    let eu = f.vault.create_label_key(&f.owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu on v1");
    for label in [None, Some("production"), Some("eu")] {
        let body = f.vault.read_langfuse(&eu.token, PROMPT, (label, None), true).await.expect("read");
        let body: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            body["labels"],
            serde_json::json!(["eu", "production", "latest"]),
            "newest move first: {label:?}"
        );
    }
    let other = f.vault.read_langfuse(&eu.token, PROMPT, (Some("qa"), None), true).await;
    assert!(matches!(other, Err(vault::LangfuseRefused::NotFound(m)) if m.contains("this key reads eu")));
}

#[tokio::test]
async fn a_bundle_serves_every_prompt_of_the_key_s_label_under_one_etag() {
    let f = fixture().await.with_keys().await;
    f.vault.create_prompt(&f.owner, "a/first").await.expect("a first prompt");
    f.vault.save_draft(&f.owner, "a/first", draft("first")).await.expect("draft");
    f.vault.promote(&f.owner, "a/first", v(1)).await.expect("live");
    let bundle = f.vault.read_bundle(&f.live).expect("bundle");
    let body: Value = serde_json::from_slice(&bundle.body()).expect("json");
    let names: Vec<&str> =
        body["items"].as_array().expect("items").iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["a/first", PROMPT], "by name");
    let single = f.vault.read_prompt(&f.live, PROMPT, None).await.expect("one read");
    let single: Value = serde_json::from_slice(&single.body).expect("json");
    assert_eq!(body["items"][1], single, "each item is what the one read answers");
    assert_eq!(f.vault.read_bundle(&f.live).expect("again").etag, bundle.etag, "unchanged, the same ETag");

    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("promote");
    assert_ne!(f.vault.read_bundle(&f.live).expect("after").etag, bundle.etag);
    let eu = f.vault.create_label_key(&f.owner, KeyKind::Live, "eu app", Some("eu")).await.expect("eu key");
    assert!(f.vault.read_bundle(&eu.token).expect("eu bundle").is_empty(), "eu points nowhere, no fallback");
    let to_live = LabelPatch { fallback: Some(Some(Fallback::Live)), ..Default::default() };
    f.vault.update_label(&f.owner, "eu", to_live).await.expect("eu falls back to live");
    assert_eq!(f.vault.read_bundle(&eu.token).expect("eu falls back").len(), 2, "a built bundle is not kept");
    let no_fallback = LabelPatch { fallback: Some(None), ..Default::default() };
    f.vault.update_label(&f.owner, "eu", no_fallback).await.expect("eu alone again");
    f.vault.move_label(&f.owner, PROMPT, "eu", Some(v(1))).await.expect("eu on v1");
    let eu_bundle: Value =
        serde_json::from_slice(&f.vault.read_bundle(&eu.token).expect("eu").body()).expect("json");
    assert_eq!(
        (eu_bundle["items"][0]["version"].clone(), eu_bundle["items"][0]["label"].clone()),
        ("v1".into(), "eu".into())
    );
    assert_eq!(f.vault.read_bundle("pv_live_unknown").err(), Some(vault::ReadRefused::Unauthorized));
}
