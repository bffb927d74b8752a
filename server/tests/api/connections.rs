//! Slow clients: a connection that does not finish sending its headers in time is closed,
//! and two thousand of them at once do not keep a normal client waiting.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn slow_header_connections_are_closed_and_do_not_stop_a_normal_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(dir, |config| config.header_read_timeout_ms = 1_000).await;
    let address = app.base.trim_start_matches("http://").to_owned();

    let mut slow = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        // Headers begun, never finished.
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
        slow.push(stream);
    }
    let started = Instant::now();
    let response = app.client.get(format!("{}/healthz", app.base)).send().await.expect("a normal request");
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2), "answered at once: {:?}", started.elapsed());

    // Past the timeout the server has closed them: reading ends (an empty or 408 answer).
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    for stream in slow.iter_mut().take(50) {
        let mut buffer = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buffer)).await;
        let answer = read.expect("closed by the server, not left open");
        if let Ok(n) = answer {
            let text = String::from_utf8_lossy(&buffer[..n]);
            assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
        }
    }
}

#[tokio::test]
async fn a_request_the_database_holds_up_is_answered_503_in_time_and_changes_nothing() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(dir, |config| config.request_timeout_ms = 700).await;
    app.set_up().await;
    // Another client of the database holds the prompts table.
    sqlx::any::install_default_drivers();
    let url = crate::helpers::test_database_url(app.dir.as_ref().expect("dir").path()).await;
    let mut holder = sqlx::AnyConnection::connect(&url).await.expect("connect");
    let hold = if crate::helpers::on_postgres() {
        vec!["begin", "lock table prompts in access exclusive mode"]
    } else {
        vec!["begin immediate"]
    };
    for statement in hold {
        sqlx::query(statement).execute(&mut holder).await.expect("hold");
    }
    let started = Instant::now();
    let (status, _) = app.post("/v1/manage/prompts", serde_json::json!({"name": "support/triage"})).await;
    assert_eq!(status, 503);
    assert!(started.elapsed() < Duration::from_secs(3), "answered in time: {:?}", started.elapsed());

    sqlx::query("rollback").execute(&mut holder).await.expect("release");
    let (status, body) = app.post("/v1/manage/prompts", serde_json::json!({"name": "support/triage"})).await;
    assert_eq!(status, 201, "the abandoned request created nothing: {body}");
}
