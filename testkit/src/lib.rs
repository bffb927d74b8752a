//! What the tests of the server and the SDK share, so that each starts, waits for and stops
//! a server the same way: [`RunningServer`] runs the real server (`server::launch`) in the
//! test's process on a port of its own, and [`wait_until_healthy`] waits for any server,
//! in-process or a child process, to answer its health check.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a server may take to answer its health check before a test gives up.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The real server, running in the test's process until [`RunningServer::stop`] (or the end
/// of the test's runtime).
pub struct RunningServer {
    /// Where it listens: start another on the same address to restart it.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// Starts the server with `config` on `addr` (port 0: any free port), and returns once it
    /// answers `/healthz`.
    pub async fn start(config: server::Config, addr: SocketAddr) -> RunningServer {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the server's address");
        let addr = listener.local_addr().expect("the bound address");
        let base = format!("http://{addr}");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::launch(config, listener, async {
            let _ = stopped.await;
        }));
        wait_until_healthy(&base).await;
        RunningServer { addr, base, stop, task }
    }

    /// `http://127.0.0.1:<port>`, owned.
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// Stops the server gracefully, and fails the test if it did not run cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the server's task").expect("the server ran cleanly");
    }
}

/// Waits until the server at `base` answers `/healthz` with 200; panics after
/// [`START_TIMEOUT`].
pub async fn wait_until_healthy(base: &str) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        let answer = http.get(format!("{base}/healthz")).send().await;
        if answer.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server at {base} did not become healthy within {START_TIMEOUT:?}");
}
