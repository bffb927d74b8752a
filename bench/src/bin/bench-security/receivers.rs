//! The webhook receivers of the deliveries part: one that never answers, one that answers
//! at once.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A receiver that takes requests and never answers.
pub async fn silent_receiver() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/slow", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
            });
        }
    });
    Ok(url)
}

/// A receiver that answers 204 at once and remembers when the first request came.
pub async fn fast_receiver() -> anyhow::Result<(String, Arc<Mutex<Option<Instant>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/fast", listener.local_addr()?);
    let first = Arc::new(Mutex::new(None));
    let seen = first.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer_at_once(stream, seen.clone()));
        }
    });
    Ok((url, first))
}

async fn answer_at_once(mut stream: TcpStream, seen: Arc<Mutex<Option<Instant>>>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buffer[..n]);
        if request.windows(4).any(|w| w == b"\r\n\r\n") {
            seen.lock().expect("seen").get_or_insert_with(Instant::now);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
            return;
        }
    }
}
