//! The server SIGKILLed under a mixed write load, then restarted: every acknowledged write
//! is there, each prompt's numbers are gapless, live points at an acknowledged promote, and
//! the search index (rebuilt or caught up from the database) finds every saved version, and
//! the outbox delivers every acknowledged promotion to the webhook, under one event id each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Process, read};
use crate::receiver::Receiver;

const PROMPTS: usize = 4;

#[tokio::test]
async fn a_server_killed_under_writes_keeps_every_acknowledged_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Process::start(dir.path()).await;
    let client = reqwest::Client::new();
    let setup =
        json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"});
    let (_, body) =
        read(client.post(format!("{}/v1/setup", server.base)).json(&setup).send().await.expect("setup"))
            .await;
    let token = body["token"].as_str().expect("token").to_owned();
    for p in 0..PROMPTS {
        let request = client.post(format!("{}/v1/manage/prompts", server.base)).bearer_auth(&token);
        request.json(&json!({"name": format!("load/p{p}")})).send().await.expect("prompt");
    }
    let receiver = Receiver::start(&[]).await;
    let webhook = json!({"url": receiver.url, "events": ["version.promoted"]});
    let request = client.post(format!("{}/v1/manage/webhooks", server.base)).bearer_auth(&token);
    assert_eq!(request.json(&webhook).send().await.expect("webhook").status(), 201);

    // Writers save and promote until the server dies under them; each keeps what was
    // acknowledged: (prompt, number, message) saved, and the numbers promoted.
    let saved: Arc<Mutex<Vec<(usize, i64, String)>>> = Arc::default();
    let promoted: Arc<Mutex<BTreeMap<usize, Vec<i64>>>> = Arc::default();
    let mut writers = Vec::new();
    for p in 0..PROMPTS {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        let (saved, promoted) = (saved.clone(), promoted.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let message = format!("load p{p} save {i}");
                let save = client
                    .post(format!("{base}/v1/manage/prompts/load%2Fp{p}/versions"))
                    .bearer_auth(&token)
                    .json(&json!({"source": format!("text {i}"), "message": message}))
                    .send()
                    .await;
                let Ok(response) = save else { return };
                if response.status() != 201 {
                    return;
                }
                let Ok(version) = response.json::<Value>().await else { return };
                let number = version["number"].as_i64().expect("number");
                saved.lock().expect("saved").push((p, number, message));
                if i % 3 == 0 {
                    let promote = client
                        .post(format!("{base}/v1/manage/prompts/load%2Fp{p}/versions/{number}/promote"))
                        .bearer_auth(&token)
                        .json(&json!({}))
                        .send()
                        .await;
                    match promote {
                        Ok(r) if r.status() == 200 => {
                            promoted.lock().expect("promoted").entry(p).or_default().push(number)
                        }
                        _ => return,
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.kill();
    for writer in writers {
        writer.await.expect("writer");
    }
    let saved = saved.lock().expect("saved").clone();
    let promoted = promoted.lock().expect("promoted").clone();
    assert!(saved.len() >= 8, "the load ran: {} saves acknowledged", saved.len());

    let restarted = Process::start(dir.path()).await;
    let get = |path: String| {
        let request = client.get(format!("{}{path}", restarted.base)).bearer_auth(&token);
        async move { read(request.send().await.expect("get")).await }
    };
    for p in 0..PROMPTS {
        let (status, versions) = get(format!("/v1/manage/prompts/load%2Fp{p}/versions?limit=200")).await;
        assert_eq!(status, 200);
        let mut numbers: Vec<i64> = versions["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|v| v["number"].as_i64().expect("n"))
            .collect();
        numbers.sort_unstable();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, expected, "p{p}: numbers gapless, no half-written version");
        for (_, number, _) in saved.iter().filter(|(q, ..)| *q == p) {
            assert!(numbers.contains(number), "p{p}: acknowledged v{number} is there");
        }
        let (_, state) = get(format!("/v1/manage/prompts/load%2Fp{p}")).await;
        if let Some(last) = promoted.get(&p).and_then(|n| n.last()) {
            let live = state["live"].as_str().and_then(|l| l.trim_start_matches('v').parse::<i64>().ok());
            assert!(
                live.is_some_and(|live| live >= *last),
                "p{p}: live {live:?} is at or past the last acknowledged promote v{last}"
            );
        }
    }
    // The search index follows the database: every acknowledged save is found.
    let (_, sample) = saved.last().cloned().map(|(p, n, m)| (p, (n, m))).expect("a save");
    let query = sample.1.replace(' ', "+");
    let mut found = false;
    for _ in 0..100 {
        let (_, hits) = get(format!("/v1/manage/search?q=%22{query}%22")).await;
        if hits["items"].as_array().is_some_and(|items| !items.is_empty()) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "the last acknowledged save is searchable after the restart");

    // The outbox: every acknowledged promotion reaches the webhook (a delivery cut off by the
    // kill is sent again after the restart, so an event may arrive twice, under one id).
    let wanted: BTreeSet<(String, i64)> = promoted
        .iter()
        .flat_map(|(p, numbers)| numbers.iter().map(move |n| (format!("load/p{p}"), *n)))
        .collect();
    let mut events = BTreeMap::new();
    for _ in 0..300 {
        events = receiver
            .received()
            .iter()
            .map(|r| {
                let event: Value = serde_json::from_str(&r.body).expect("event");
                let promotion = (
                    event["prompt"].as_str().expect("prompt").to_owned(),
                    event["version"]["number"].as_i64().expect("number"),
                );
                (event["id"].as_str().expect("id").to_owned(), promotion)
            })
            .collect::<BTreeMap<_, _>>();
        let delivered: BTreeSet<_> = events.values().cloned().collect();
        if wanted.is_subset(&delivered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered: BTreeSet<_> = events.values().cloned().collect();
    assert!(
        wanted.is_subset(&delivered),
        "every acknowledged promotion is delivered: {wanted:?} ⊄ {delivered:?}"
    );
    assert_eq!(delivered.len(), events.len(), "one event id per promotion, never two");
    drop(restarted);
}
