//! Live updates: the client follows the server's stream (`GET /v1/stream`) and writes each
//! change into its cache as it happens, so a promote or a rollback reaches the application
//! without a request of its own. While the stream is up, cached prompts need no
//! revalidation; while it is down, the TTL revalidation serves as before, and the client
//! reconnects with backoff, resuming after the last event it received (`Last-Event-ID`), so
//! no change is missed across a reconnection or a server restart.

use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::ACCEPT;

use crate::{Entry, Inner, Prompt};

/// The first wait before reconnecting; doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The server sends a comment every 15 s: a stream silent for longer is dead.
const SILENT_FOR: Duration = Duration::from_secs(45);

/// The follower task, stopped when the last clone of its client is dropped.
pub(crate) struct Follower(tokio::task::JoinHandle<()>);

impl Drop for Follower {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts following the stream for the client behind `inner`.
pub(crate) fn follow(inner: Weak<Inner>) -> Follower {
    Follower(tokio::spawn(follow_forever(inner)))
}

/// How one connection to the stream ended.
enum Ended {
    /// The server closed it (a restart, say): reconnect at once.
    ByServer,
    /// It failed or was refused: reconnect after a backoff.
    Failed(String),
}

async fn follow_forever(inner: Weak<Inner>) {
    let http = match reqwest::Client::builder().read_timeout(SILENT_FOR).build() {
        Ok(http) => http,
        Err(error) => {
            tracing::warn!(%error, "no live updates: the HTTP client cannot be built");
            return;
        }
    };
    let mut last_event_id: Option<String> = None;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let ended = connect(&http, &inner, &mut last_event_id, &mut backoff).await;
        let Some(client) = inner.upgrade() else { return };
        client.streaming.store(false, Ordering::Relaxed);
        drop(client);
        match ended {
            Some(Ended::ByServer) => tokio::time::sleep(FIRST_BACKOFF).await,
            Some(Ended::Failed(why)) => {
                tracing::debug!(%why, "the live-update stream is down; polling until it is back");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            None => return,
        }
    }
}

/// One connection: applies its events until it ends. `None` when the client is gone.
async fn connect(
    http: &reqwest::Client,
    inner: &Weak<Inner>,
    last_event_id: &mut Option<String>,
    backoff: &mut Duration,
) -> Option<Ended> {
    let request = {
        let client = inner.upgrade()?;
        let mut request = client.identified(
            http.get(format!("{}/v1/stream", client.base_url))
                .bearer_auth(&client.key)
                .header(ACCEPT, "text/event-stream"),
        );
        if let Some(id) = last_event_id.as_deref() {
            request = request.header("last-event-id", id);
        }
        request
    };
    let mut response = match request.send().await {
        Ok(response) if response.status() == StatusCode::OK => response,
        Ok(response) => return Some(Ended::Failed(format!("the stream answered {}", response.status()))),
        Err(error) => return Some(Ended::Failed(error.to_string())),
    };
    *backoff = FIRST_BACKOFF;
    inner.upgrade()?.streaming.store(true, Ordering::Relaxed);
    let mut events = EventReader::default();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Some(Ended::ByServer),
            Err(error) => return Some(Ended::Failed(error.to_string())),
        };
        let arrived = match events.push(&chunk) {
            Ok(arrived) => arrived,
            Err(error) => return Some(Ended::Failed(error)),
        };
        for event in arrived {
            inner.upgrade()?.apply(&event);
            if let Some(id) = event.id {
                *last_event_id = Some(id);
            }
        }
    }
}

/// One Server-Sent Event.
#[derive(Debug, Default, PartialEq, Eq)]
struct Event {
    id: Option<String>,
    kind: String,
    data: String,
}

/// The longest event the SDK holds while it arrives: a served prompt is at most a few MiB
/// of JSON; a stream that sends more without an event's end is cut off (and reconnected).
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Splits the stream's bytes into events (comments and unknown fields skipped). Bytes are
/// kept as bytes until an event is whole, so that a character split across two network
/// chunks arrives intact.
#[derive(Default)]
struct EventReader {
    buffer: Vec<u8>,
    /// How far the buffer was searched for an event's end already.
    searched: usize,
}

impl EventReader {
    fn push(&mut self, chunk: &[u8]) -> Result<Vec<Event>, String> {
        self.buffer.extend_from_slice(chunk);
        let mut events = Vec::new();
        // Each event is read where it lies, and the buffer moved once per chunk: a chunk of
        // many small events costs its length, not its length times its events.
        let mut start = 0;
        let mut from = self.searched.saturating_sub(1);
        while let Some(found) = self.buffer[from..].windows(2).position(|w| w == b"\n\n") {
            let end = from + found + 2;
            if let Some(event) = parse_event(&String::from_utf8_lossy(&self.buffer[start..end])) {
                events.push(event);
            }
            (start, from) = (end, end);
        }
        self.buffer.drain(..start);
        self.searched = self.buffer.len();
        if self.buffer.len() > MAX_EVENT_BYTES {
            return Err(format!("the stream sent more than {MAX_EVENT_BYTES} bytes without an event's end"));
        }
        Ok(events)
    }
}

/// One event's lines; `None` for a comment or an event without a type.
fn parse_event(block: &str) -> Option<Event> {
    let mut event = Event::default();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => event.id = Some(value.to_owned()),
            "event" => event.kind = value.to_owned(),
            "data" => event.data.push_str(value),
            _ => {}
        }
    }
    (!event.kind.is_empty()).then_some(event)
}

impl Inner {
    /// Writes one event into the cache: a prompt as served now, or its removal.
    fn apply(&self, event: &Event) {
        match event.kind.as_str() {
            "prompt" => match serde_json::from_str::<types::ServedPrompt>(&event.data) {
                Ok(served) => {
                    let prompt = Prompt::from(served);
                    let entry = Entry { prompt, etag: None, fetched: Instant::now(), refreshing: false };
                    self.lock().insert(entry.prompt.name.clone(), entry);
                }
                Err(error) => tracing::warn!(%error, "an unreadable live update; ignored"),
            },
            "removed" => {
                if let Ok(removed) = serde_json::from_str::<serde_json::Value>(&event.data)
                    && let Some(name) = removed["name"].as_str()
                {
                    self.lock().remove(name);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_across_chunks_and_comments_are_skipped() {
        let mut reader = EventReader::default();
        assert_eq!(reader.push(b": heartbeat\n\nid: 7\nevent: prompt\nda"), Ok(vec![]));
        let events = reader.push(b"ta: {\"a\":1}\n\nid:8\nevent:removed\ndata:{\"name\":\"x\"}\n\n");
        assert_eq!(
            events,
            Ok(vec![
                Event { id: Some("7".into()), kind: "prompt".into(), data: "{\"a\":1}".into() },
                Event { id: Some("8".into()), kind: "removed".into(), data: "{\"name\":\"x\"}".into() },
            ])
        );
    }

    /// Before bytes were kept until an event was whole, a character split across two
    /// chunks was decoded as two replacement characters and cached so.
    #[test]
    fn a_character_split_across_chunks_arrives_whole() {
        let mut reader = EventReader::default();
        let event = "event: prompt\ndata: {\"text\":\"héllo\"}\n\n".as_bytes();
        let split = event.iter().position(|b| *b == 0xc3).expect("é") + 1;
        assert_eq!(reader.push(&event[..split]), Ok(vec![]));
        let events = reader.push(&event[split..]).expect("events");
        assert_eq!(events[0].data, "{\"text\":\"héllo\"}");
    }

    #[test]
    fn an_events_end_split_across_chunks_is_found() {
        let mut reader = EventReader::default();
        assert_eq!(reader.push(b"event: prompt\ndata: {}\n"), Ok(vec![]));
        let events = reader.push(b"\nevent: removed\ndata: {}\n\n").expect("events");
        assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["prompt", "removed"]);
    }

    /// Once the buffer moved after every event: a chunk of many events cost its length
    /// times their number (tens of gigabytes moved here); now it costs its length.
    #[test]
    fn a_chunk_of_many_events_is_read_in_one_pass() {
        let chunk = "event: x\ndata: 1\n\n".repeat(50_000);
        let mut reader = EventReader::default();
        let started = std::time::Instant::now();
        assert_eq!(reader.push(chunk.as_bytes()).map(|events| events.len()), Ok(50_000));
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn a_stream_without_an_events_end_is_cut_off() {
        let mut reader = EventReader::default();
        let mb = vec![b'x'; 1024 * 1024];
        for _ in 0..16 {
            assert_eq!(reader.push(&mb), Ok(vec![]));
        }
        assert!(reader.push(b"x").is_err_and(|e| e.contains("without an event's end")));
    }
}
