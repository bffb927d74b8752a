//! The fleet view: what the applications serve, from their reports and from the reads and
//! streams that name their client; usage counted in memory and written in batches, losing
//! nothing under concurrent reports.

use vault::ClientId;

use crate::helpers::{PROMPT, assert_refused, v};
use crate::rollouts::{fixture, report};

#[tokio::test]
async fn the_fleet_shows_which_versions_are_served_and_who_is_stale() {
    let f = fixture().await;
    f.vault.record_usage(&f.live, &report(&[(PROMPT, 1, 10, 1)])).await.expect("i-1 on v1");
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("v2 live");
    let mut second = report(&[(PROMPT, 2, 5, 0)]);
    second.instance = "i-2".into();
    f.vault.record_usage(&f.live, &second).await.expect("i-2 on v2");
    let fleet = f.vault.fleet(&f.owner, Some(PROMPT), Some("live")).await.expect("fleet");
    assert_eq!(fleet.items.len(), 1);
    let live = &fleet.items[0];
    assert_eq!((live.label.as_str(), live.version.as_deref()), ("live", Some("v2")));
    let versions: Vec<_> =
        live.versions.iter().map(|v| (v.version.as_str(), v.instances, v.uses_60m, v.failures_60m)).collect();
    assert_eq!(versions, [("v2", 1, 5, 0), ("v1", 1, 10, 1)]);
    let stale: Vec<_> = live.stale.iter().map(|s| (s.instance.as_str(), s.version.as_str())).collect();
    assert_eq!(stale, [("i-1", "v1")], "i-1 still serves v1, older than live's v2");
    assert!(
        f.vault
            .fleet(&f.owner, None, None)
            .await
            .expect("whole workspace")
            .items
            .iter()
            .any(|i| i.prompt == PROMPT)
    );
}

#[tokio::test]
async fn a_client_that_names_itself_is_seen_serving_what_it_read_before_any_use() {
    let f = fixture().await;
    let client = ClientId::new("support-bot", "i-9").expect("a client");
    f.vault.note_served(&f.live, PROMPT, v(1), &client);
    let fleet = f.vault.fleet(&f.owner, Some(PROMPT), Some("live")).await.expect("fleet");
    let seen: Vec<_> =
        fleet.items[0].versions.iter().map(|v| (v.version.as_str(), v.instances_now, v.uses_60m)).collect();
    assert_eq!(seen, [("v1", 1, 0)], "served v1 just now, no use counted");

    // A promote reaches it (its stream, or its next read): not stale, serving v2 now.
    f.vault.promote(&f.owner, PROMPT, v(2)).await.expect("v2 live");
    f.vault.note_served(&f.live, PROMPT, v(2), &client);
    let fleet = f.vault.fleet(&f.owner, Some(PROMPT), Some("live")).await.expect("fleet");
    assert!(fleet.items[0].stale.is_empty(), "{fleet:?}");
    assert_eq!(fleet.items[0].versions[0].version, "v2");
    assert_eq!(fleet.items[0].versions[0].instances_now, 1);

    f.vault.note_served("pv_live_unknown", PROMPT, v(2), &ClientId::new("x", "y").expect("client"));
    let fleet = f.vault.fleet(&f.owner, Some(PROMPT), Some("live")).await.expect("fleet");
    assert_eq!(fleet.items[0].versions[0].instances_now, 1, "an unknown key's read notes nothing");
    assert_refused(ClientId::new("", "i-1").map(|_| ()), 422, "app is 1 to 100 bytes");
    assert_refused(ClientId::new("a", &"i".repeat(101)).map(|_| ()), 422, "instance is 1 to 100 bytes");
}

#[tokio::test]
async fn concurrent_reports_are_written_in_batches_and_none_is_lost_or_counted_twice() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for task in 0..8 {
        let (vault, key) = (f.vault.clone(), f.live.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..250 {
                let mut one = report(&[(PROMPT, 1, 2, u64::from(i % 2 == 0))]);
                one.instance = format!("i-{task}-{}", i % 10);
                vault.record_usage(&key, &one).await.expect("report");
                if i % 50 == 0 {
                    vault.flush_usage().await.expect("a write while others report");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("reports");
    }
    let fleet = f.vault.fleet(&f.owner, Some(PROMPT), Some("live")).await.expect("fleet");
    let v1 = &fleet.items[0].versions[0];
    assert_eq!((v1.uses_60m, v1.failures_60m, v1.instances), (4000, 1000, 80), "{v1:?}");
    assert_eq!(f.vault.flush_usage().await.expect("nothing left"), 0);
}
