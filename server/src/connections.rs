//! The connection loop: accepts connections and serves each with hyper, with what
//! `axum::serve` leaves out:
//!
//! - each connection takes a slot of the vault's [`ConnectionShares`] first (one address
//!   cannot hold more than its share, and the last slots are kept for newcomers); one
//!   refused is closed at once, before it costs a task;
//! - a client must send a request's headers within a timeout (slow-header clients cannot
//!   hold connections);
//! - a connection with no request in flight for the idle time is closed, over HTTP/1 and
//!   HTTP/2 alike (hyper closes neither on its own: an idle HTTP/2 connection costs its
//!   client nothing and would hold a slot for ever);
//! - an HTTP/2 connection carries at most [`MAX_STREAMS_PER_CONNECTION`] requests at once;
//! - a stop lets requests in flight finish, for a while.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;
use vault::{ConnectionLimits, ConnectionShares};

/// How long a client has to send a request's headers, from connecting or from the end of
/// its previous request, unless configured.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay open with no request in flight, unless configured.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Requests one HTTP/2 connection may have in flight at once.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 100;
/// Streams a client may open and reset before the server reads them (a "rapid reset"
/// flood), and streams the server may reset for a client's errors, before the connection
/// is closed.
const MAX_RESET_STREAMS: usize = 20;
const MAX_ERROR_RESET_STREAMS: usize = 256;
/// How long a stop waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);
/// How long a connection closed for idleness has to go (HTTP/2: after GOAWAY). It has no
/// request in flight, and h2 waits for a PING answer that a hostile peer never sends, so
/// the wait is short and then the socket is dropped.
pub const IDLE_GRACE: Duration = Duration::from_secs(1);

/// Connections the kernel completes and holds for the server to accept (capped by the
/// kernel's `net.core.somaxconn`): tokio's default of 1,024 fills under a flood of
/// connections, and then every other client's handshake waits a second for its retry.
const LISTEN_BACKLOG: u32 = 4_096;

/// The listening socket on `addr`, with room for a flood of connections in its backlog.
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket =
        if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Connections past the full count that may still ask `/healthz` at once (and nothing
/// else, then closed): a load balancer's check is answered while the server is full.
const HEALTH_SLOTS: usize = 4;
/// How long such a connection has to send its request, and to be done.
const HEALTH_READ: Duration = Duration::from_secs(2);

/// How connections are held and let go.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub limits: ConnectionLimits,
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let shares = ConnectionShares::new(settings.limits.clone());
    let health_slots = Arc::new(tokio::sync::Semaphore::new(HEALTH_SLOTS));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or the peer left first: wait a moment.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // What is written goes out at once: a page streamed in parts, or a stream's events,
        // does not wait (Nagle's algorithm) for the client to acknowledge the previous part.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not turn off Nagle's algorithm");
        }
        let slot = match shares.take(peer.ip()) {
            Ok(slot) => slot,
            Err(refused) => {
                tracing::debug!(%peer, ?refused, "refused a connection");
                // Not for an address over its own share: only a full server takes the check.
                if refused != vault::ConnectionRefused::AddressShare
                    && let Ok(permit) = health_slots.clone().try_acquire_owned()
                {
                    tokio::spawn(health_only(stream, router.clone(), permit));
                }
                continue;
            }
        };
        let connection = Connection { peer, router: router.clone(), activity: Arc::default() };
        let (settings, stopping) = (settings.clone(), stopping.clone());
        tokio::spawn(async move {
            connection.serve(stream, &settings, stopping).await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async {
        while shares.open() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(DRAIN, drained).await.is_err() {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// A connection the full server takes only to answer `/healthz`: one HTTP/1 request, then
/// closed; any other path is answered 503.
async fn health_only(
    stream: tokio::net::TcpStream,
    router: Router,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    use axum::response::IntoResponse;
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            if request.uri().path() != "/healthz" {
                let full = (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "the server holds all the connections it may",
                );
                return Ok::<_, Infallible>(full.into_response());
            }
            Ok(router.oneshot(request.map(Body::new)).await.unwrap_or_else(|e| match e {}))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(false).timer(TokioTimer::new()).header_read_timeout(HEALTH_READ);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(HEALTH_READ * 2, served).await;
}

/// One accepted connection.
struct Connection {
    peer: std::net::SocketAddr,
    router: Router,
    activity: Arc<Activity>,
}

impl Connection {
    /// Serves the connection until the client leaves, it is idle too long, or the server
    /// stops; the last two close it gracefully (HTTP/2: GOAWAY), within [`IDLE_GRACE`] or
    /// [`DRAIN`].
    async fn serve(
        self,
        stream: tokio::net::TcpStream,
        settings: &ConnectionSettings,
        mut stopping: watch::Receiver<bool>,
    ) {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(settings.header_read_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
            .max_pending_accept_reset_streams(MAX_RESET_STREAMS)
            .max_local_error_reset_streams(MAX_ERROR_RESET_STREAMS);
        let Connection { peer, router, activity } = self;
        // Each request knows its connection's address (the attempt limits count by it) and
        // counts as activity until its response body is sent.
        let requests = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let (router, busy) = (router.clone(), requests.begin());
            async move {
                let response = router.oneshot(request.map(Body::new)).await.unwrap_or_else(|e| match e {});
                Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _busy: busy })))
            }
        });
        // No upgrades (nothing here speaks WebSocket): a socket lives exactly as long as
        // this future, and so does its slot.
        let served = builder.serve_connection(TokioIo::new(stream), service).into_owned();
        let mut served = std::pin::pin!(served);
        let grace = tokio::select! {
            result = served.as_mut() => return ended(result),
            () = activity.idle_for(settings.idle_timeout) => IDLE_GRACE,
            _ = stopping.wait_for(|stop| *stop) => DRAIN,
        };
        served.as_mut().graceful_shutdown();
        match tokio::time::timeout(grace, served).await {
            Ok(result) => ended(result),
            Err(_) => tracing::debug!("a connection did not close in time; dropped"),
        }
    }
}

fn ended(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(error) = result {
        tracing::debug!(%error, "a connection ended with an error");
    }
}

/// Requests in flight on one connection, and when the last one ended.
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity { in_flight: AtomicUsize::new(0), last: Mutex::new(Instant::now()) }
    }
}

/// One request in flight, until its response body is dropped.
struct Busy(Arc<Activity>);

impl Activity {
    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves once no request has been in flight for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let busy = self.in_flight.load(Ordering::SeqCst) > 0;
            let since = self.last().elapsed();
            if !busy && since >= limit {
                return;
            }
            // A busy connection is looked at again after a whole idle time.
            tokio::time::sleep(if busy { limit } else { limit - since }).await;
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request counted as in flight until it is sent (a
/// stream's body lasts as long as the stream).
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
