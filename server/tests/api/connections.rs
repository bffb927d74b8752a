//! Connections: one that does not finish sending its headers in time is closed, and two
//! thousand of them at once do not keep a normal client waiting; one address holds at most
//! its share while another still gets in; idle connections are closed over HTTP/1 and
//! HTTP/2, and HTTP/2 says how many requests it takes at once.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn slow_header_connections_are_closed_and_do_not_stop_a_normal_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(dir, |config| {
        config.header_read_timeout_ms = 1_000;
        config.connections_per_address = 5_000;
    })
    .await;
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

/// Whether the server closes `stream` within `limit` (reading ends or fails), reading and
/// dropping whatever it sends meanwhile.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let ended = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, ended).await.is_ok()
}

/// A connection to `address` from another loopback address than the tests' 127.0.0.1.
async fn connect_from(source: &str, address: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{source}:0").parse().expect("source")).expect("bind the source address");
    socket.connect(address.parse().expect("address")).await.expect("connect")
}

/// The status line of a `GET /healthz` sent on `stream`.
async fn health_on(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buffer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
        .await
        .expect("an answer in time")
        .expect("read");
    String::from_utf8_lossy(&buffer[..n]).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections_and_another_still_gets_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(dir, |config| config.connections_per_address = 20).await;
    let address = app.base.trim_start_matches("http://").to_owned();

    let mut many = Vec::new();
    for _ in 0..50 {
        many.push(TcpStream::connect(&address).await.expect("connect"));
    }
    let closed = futures::future::join_all(
        many.iter_mut().map(|stream| closed_within(stream, Duration::from_millis(500))),
    )
    .await;
    let refused = closed.iter().filter(|closed| **closed).count();
    assert!(refused >= 30, "at most 20 held by one address, {refused} of 50 refused");

    let mut other = connect_from("127.0.0.2", &address).await;
    assert_eq!(health_on(&mut other).await, "HTTP/1.1 200 OK", "another address gets in");

    drop(many);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = TcpStream::connect(&address).await.expect("connect");
    assert_eq!(health_on(&mut again).await, "HTTP/1.1 200 OK", "closed connections give their slots back");
}

#[tokio::test]
async fn idle_connections_are_closed_over_http1_and_http2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(dir, |config| config.idle_timeout_ms = 500).await;
    let address = app.base.trim_start_matches("http://").to_owned();

    // HTTP/1.1 kept alive after a request: closed once idle.
    let mut http1 = TcpStream::connect(&address).await.expect("connect");
    assert_eq!(health_on(&mut http1).await, "HTTP/1.1 200 OK");
    assert!(closed_within(&mut http1, Duration::from_secs(3)).await, "an idle HTTP/1 connection is closed");

    // HTTP/2 with prior knowledge (h2c): the preface and an empty SETTINGS frame, then
    // nothing. The server's SETTINGS come first, with its limit of streams at once.
    let mut http2 = TcpStream::connect(&address).await.expect("connect");
    http2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.expect("preface");
    let mut header = [0u8; 9];
    http2.read_exact(&mut header).await.expect("the server's first frame");
    assert_eq!(header[3], 0x4, "a SETTINGS frame");
    let length = usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut settings = vec![0u8; length];
    http2.read_exact(&mut settings).await.expect("settings");
    let max_streams = settings
        .chunks_exact(6)
        .find(|entry| entry[..2] == [0, 3])
        .map(|entry| u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]));
    assert_eq!(max_streams, Some(server::MAX_STREAMS_PER_CONNECTION));
    http2.write_all(b"\0\0\0\x04\x01\0\0\0\0").await.expect("settings ack");
    assert!(closed_within(&mut http2, Duration::from_secs(3)).await, "an idle HTTP/2 connection is closed");

    // A connection that sends nothing, and one that stops halfway through the HTTP/2
    // preface, while the server still waits to learn the protocol.
    let mut silent = TcpStream::connect(&address).await.expect("connect");
    let mut half = TcpStream::connect(&address).await.expect("connect");
    half.write_all(b"PRI * HTTP/2.0\r\n").await.expect("half a preface");
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await, "a silent connection is closed");
    assert!(closed_within(&mut half, Duration::from_secs(3)).await, "half a preface is closed");
}

#[tokio::test]
async fn a_full_server_still_answers_its_health_check_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(dir, |config| {
        config.max_connections = 10;
        config.connections_per_address = 100;
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    // Nine from one address, and the last, kept for addresses holding few, from another.
    let mut held = Vec::new();
    for _ in 0..9 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        assert_eq!(health_on(&mut stream).await, "HTTP/1.1 200 OK", "within the count");
        held.push(stream);
    }
    let mut last = connect_from("127.0.0.2", &address).await;
    assert_eq!(health_on(&mut last).await, "HTTP/1.1 200 OK", "the last place");
    held.push(last);
    let mut check = TcpStream::connect(&address).await.expect("connect");
    assert_eq!(health_on(&mut check).await, "HTTP/1.1 200 OK", "the health check gets in");
    assert!(closed_within(&mut check, Duration::from_secs(3)).await, "and is closed after it");
    let mut other = TcpStream::connect(&address).await.expect("connect");
    other.write_all(b"GET /v1/prompts/x HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buffer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), other.read(&mut buffer))
        .await
        .expect("answer")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 503"),
        "anything else waits for room"
    );
    drop(held);
}
