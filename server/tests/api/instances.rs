//! Two real server processes on one PostgreSQL database, as behind a load balancer: what
//! one instance changes, the other serves within a second; a lost notification connection
//! still converges; webhooks are delivered once, and an instance killed mid-delivery loses
//! nothing. These run in the suite's PostgreSQL pass (`scripts/test.sh`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Process, on_postgres, read, test_database_url};
use crate::receiver::{Receiver, Reply};
use crate::stream::EventStream;

const MANAGE: &str = "/v1/manage/prompts/support%2Ftriage";
const READ: &str = "/v1/prompts/support%2Ftriage";
/// The promise: a change through one instance is served by every other within this.
const WITHIN: Duration = Duration::from_secs(1);

/// Two instances on one database, each with a data directory (search index) of its own.
struct Cluster {
    first: Process,
    second: Process,
    database_url: String,
    client: reqwest::Client,
    token: String,
    _dirs: (TempDir, TempDir),
}

impl Cluster {
    /// Both instances running, the workspace set up through the first, with a prompt.
    async fn start() -> Cluster {
        let (dir, other) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
        let database_url = test_database_url(dir.path()).await;
        let first = Process::start_on(dir.path(), &database_url).await;
        let second = Process::start_on(other.path(), &database_url).await;
        let mut cluster = Cluster {
            first,
            second,
            database_url,
            client: reqwest::Client::new(),
            token: String::new(),
            _dirs: (dir, other),
        };
        let setup = json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"});
        let (status, body) = cluster.post(&cluster.first.base, "/v1/setup", setup).await;
        assert_eq!(status, 201, "{body}");
        cluster.token = body["token"].as_str().expect("token").to_owned();
        cluster.post(&cluster.first.base, "/v1/manage/prompts", json!({"name": "support/triage"})).await;
        cluster
    }

    /// Two instances, a live key, and v1 promoted through the first and served by the second.
    async fn serving_v1() -> (Cluster, i64, String) {
        let cluster = Cluster::start().await;
        let (key_id, key) = cluster.new_key().await;
        cluster.save_and_promote(&cluster.first.base, 1).await;
        cluster.until_served(&cluster.second.base, &key, (200, "v1"), WITHIN).await;
        (cluster, key_id, key)
    }

    async fn post(&self, base: &str, path: &str, body: Value) -> (u16, Value) {
        let request = self.client.post(format!("{base}{path}")).bearer_auth(&self.token).json(&body);
        read(request.send().await.expect("post")).await
    }

    /// Saves version `n` and promotes it through the instance at `base`.
    async fn save_and_promote(&self, base: &str, n: i64) {
        let (status, body) =
            self.post(base, &format!("{MANAGE}/versions"), json!({"source": format!("text {n}")})).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = self.post(base, &format!("{MANAGE}/versions/{n}/promote"), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }

    async fn new_key(&self) -> (i64, String) {
        let (status, key) =
            self.post(&self.first.base, "/v1/manage/keys", json!({"kind": "live", "name": "prod"})).await;
        assert_eq!(status, 201, "{key}");
        (key["id"].as_i64().expect("id"), key["token"].as_str().expect("token").to_owned())
    }

    /// An SDK read on the instance at `base`: its status and the version served.
    async fn sdk_read(&self, base: &str, key: &str) -> (u16, String) {
        let response = self.client.get(format!("{base}{READ}")).bearer_auth(key).send().await.expect("read");
        let (status, body) = read(response).await;
        (status, body["version"].as_str().unwrap_or_default().to_owned())
    }

    /// How long until the instance at `base` answers `expected`; fails after `limit`.
    async fn until_served(&self, base: &str, key: &str, expected: (u16, &str), limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let (status, version) = self.sdk_read(base, key).await;
            if (status, version.as_str()) == expected {
                return started.elapsed();
            }
            assert!(started.elapsed() < limit, "{base} still answers {status} {version}, not {expected:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Runs a statement on the shared database, behind the instances' backs.
    async fn sql(&self, statement: &str) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.database_url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut conn).await.expect("sql");
    }

    async fn revision(&self, base: &str) -> i64 {
        let health: Value = self
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("json");
        assert_eq!(health["database"], "postgres");
        health["revision"].as_i64().expect("revision")
    }
}

#[tokio::test]
async fn the_second_instance_serves_promotes_and_revocations_made_through_the_first_within_a_second() {
    if !on_postgres() {
        return;
    }
    let (cluster, key_id, key) = Cluster::serving_v1().await;
    let second = cluster.second.base.clone();
    cluster.save_and_promote(&cluster.first.base, 2).await;
    cluster.until_served(&second, &key, (200, "v2"), WITHIN).await;

    let (status, _) = read(
        cluster
            .client
            .delete(format!("{}/v1/manage/keys/{key_id}", cluster.first.base))
            .bearer_auth(&cluster.token)
            .send()
            .await
            .expect("revoke"),
    )
    .await;
    assert_eq!(status, 204);
    cluster.until_served(&second, &key, (401, ""), WITHIN).await;
    assert_eq!(cluster.revision(&cluster.first.base).await, cluster.revision(&second).await, "no drift");
}

#[tokio::test]
async fn a_stream_on_the_second_instance_pushes_a_promote_made_through_the_first_and_resumes_on_either() {
    if !on_postgres() {
        return;
    }
    let (cluster, _, key) = Cluster::serving_v1().await;
    let (status, mut there) = EventStream::open(&cluster.second.base, &key, "", None).await;
    assert_eq!(status, 200);
    let (first_id, _, _) = there.next(WITHIN).await.expect("what the key reads");

    cluster.save_and_promote(&cluster.first.base, 2).await;
    let (id, kind, data) = there.next(WITHIN).await.expect("pushed within a second");
    assert_eq!(kind, "prompt");
    assert!(data.contains(r#""version":"v2""#), "{data}");
    // The client moves to the first instance with the id the second sent it: nothing missed,
    // nothing repeated; then a change made through the second reaches it there.
    let (_, mut here) = EventStream::open(&cluster.first.base, &key, "", Some(&first_id)).await;
    let (again, _, _) = here.next(WITHIN).await.expect("the missed promote");
    assert_eq!(again, id);
    cluster.save_and_promote(&cluster.second.base, 3).await;
    let (_, _, data) = here.next(WITHIN).await.expect("pushed");
    assert!(data.contains(r#""version":"v3""#), "{data}");
}

#[tokio::test]
async fn an_instance_whose_listening_connection_is_killed_still_converges() {
    if !on_postgres() {
        return;
    }
    let (cluster, _, key) = Cluster::serving_v1().await;

    // Every listening connection on this database, the second instance's among them.
    cluster
        .sql(
            "select pg_terminate_backend(pid) from pg_stat_activity \
             where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()",
        )
        .await;
    cluster.save_and_promote(&cluster.first.base, 2).await;
    cluster.until_served(&cluster.second.base, &key, (200, "v2"), Duration::from_secs(5)).await;
    // And once listening again, a change is served within the second as before.
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.save_and_promote(&cluster.first.base, 3).await;
    cluster.until_served(&cluster.second.base, &key, (200, "v3"), WITHIN).await;
}

#[tokio::test]
async fn each_webhook_event_is_delivered_once_while_both_instances_run() {
    if !on_postgres() {
        return;
    }
    let receiver = Receiver::start(&[]).await;
    let cluster = Cluster::start().await;
    let webhook = json!({"url": receiver.url, "events": ["version.promoted"]});
    let (status, body) = cluster.post(&cluster.first.base, "/v1/manage/webhooks", webhook).await;
    assert_eq!(status, 201, "{body}");
    for n in 1..=6 {
        let base = if n % 2 == 0 { cluster.first.base.clone() } else { cluster.second.base.clone() };
        cluster.save_and_promote(&base, n).await;
    }
    receiver.wait_for(6, Duration::from_secs(10)).await;
    // Time for a second delivery of any of them, were one to be made.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let deliveries: Vec<String> =
        receiver.received().iter().map(|r| r.header("promptvault-delivery").to_owned()).collect();
    let unique: HashSet<&String> = deliveries.iter().collect();
    assert_eq!((deliveries.len(), unique.len()), (6, 6), "each event delivered exactly once: {deliveries:?}");
}

#[tokio::test]
async fn an_instance_killed_mid_delivery_loses_nothing_the_other_delivers() {
    if !on_postgres() {
        return;
    }
    // The first request hangs: the instance sending it is killed meanwhile.
    let receiver = Receiver::start(&[Reply::Hang]).await;
    let (dir, other) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let database_url = test_database_url(dir.path()).await;
    let first = Process::start_on(dir.path(), &database_url).await;
    let client = reqwest::Client::new();
    let setup =
        json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"});
    let (_, body) =
        read(client.post(format!("{}/v1/setup", first.base)).json(&setup).send().await.expect("setup")).await;
    let token = body["token"].as_str().expect("token").to_owned();
    let post = |path: String, body: Value| {
        client.post(format!("{}{path}", first.base)).bearer_auth(&token).json(&body).send()
    };
    post("/v1/manage/prompts".into(), json!({"name": "support/triage"})).await.expect("prompt");
    post(format!("{MANAGE}/versions"), json!({"source": "text"})).await.expect("save");
    post("/v1/manage/webhooks".into(), json!({"url": receiver.url, "events": ["version.promoted"]}))
        .await
        .expect("webhook");
    post(format!("{MANAGE}/versions/1/promote"), json!({})).await.expect("promote");
    let hung = receiver.wait_for(1, Duration::from_secs(5)).await;

    let second = Process::start_on(other.path(), &database_url).await;
    first.kill();
    // The dead instance's claim runs out (its send timeout and a margin), then the other
    // instance sends the same event.
    let received = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(received[1].header("promptvault-delivery"), hung[0].header("promptvault-delivery"));
    drop(second);
}
