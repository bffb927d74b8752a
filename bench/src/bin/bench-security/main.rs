//! The security benchmark (`scripts/bench-security.sh`): what hostile input costs a release
//! server, and whether everyone else is still served meanwhile. Four parts, each run
//! `--runs` times on a new server and data directory, each figure printed as the median
//! with its range:
//!
//! 1. a megabyte of braces saved, served and listed (milliseconds), and the p99 of other
//!    clients' reads of a small prompt meanwhile;
//! 2. an MCP `prompts/get` whose naive output would be some 200 GB (a megabyte of
//!    `{{a}}` with a megabyte for `a`): how fast it is refused, and the server's memory
//!    before and after;
//! 3. `--connections` idle connections from 127.0.0.2, half HTTP/2 (the preface and
//!    SETTINGS, then nothing) and half HTTP/1 (one request, then nothing): the slowest
//!    answer a client on 127.0.0.1 got meanwhile, and how long after the idle limit each
//!    idle connection was closed;
//! 4. one workspace with 200 webhooks to a receiver that never answers and another with one
//!    fast receiver: how long the fast one's delivery takes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

mod receivers;
mod server;

use receivers::{fast_receiver, silent_receiver};
use server::{ADDR, Server, seed};

#[derive(Parser)]
struct Args {
    /// The release server binary.
    #[arg(long, default_value = "target/release/promptvault")]
    binary: PathBuf,
    /// Where the servers keep their data (emptied first).
    #[arg(long, default_value = "target/bench-security")]
    work: PathBuf,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
}

/// The idle limit the connections part runs with, and the grace after it.
const IDLE: Duration = Duration::from_secs(5);
const GRACE: Duration = Duration::from_secs(1);
/// The send timeout the deliveries part runs with.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(3);
const SLOW_WEBHOOKS: usize = 200;

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median of `values` and their range, as printed.
fn summary(values: &mut [f64], unit: &str) -> String {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    let (low, high) = (values[0], values[values.len() - 1]);
    if unit.is_empty() {
        return format!("{median:.0} (range {low:.0}–{high:.0})");
    }
    format!("{median:.1} {unit} (range {low:.1}–{high:.1})")
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

/// Part 1: (save, serve, list) in ms, and the p99 of other reads meanwhile.
async fn braces(args: &Args, run: usize) -> anyhow::Result<[f64; 4]> {
    let data = args.work.join(format!("braces-{run}"));
    let (token, _) = seed(&data).await?;
    let server = Server::start(&args.binary, &data, &[]).await?;
    server.live_prompt(&token, "small", "Hello {{name}}").await?;
    let key = server.live_key(&token).await?;
    let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, key) =
                (server.client.clone(), format!("{}/v1/prompts/small", server.base), key.clone());
            let (reading, latencies) = (reading.clone(), latencies.clone());
            tokio::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    let started = Instant::now();
                    if client.get(&url).bearer_auth(&key).send().await.is_ok_and(|r| r.status() == 200) {
                        latencies.lock().expect("latencies").push(ms(started.elapsed()));
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let braces = "{".repeat(1_000_000);
    let post = reqwest::Method::POST;
    server.call(&token, post.clone(), "/v1/manage/prompts", json!({"name": "braces"})).await?;
    let started = Instant::now();
    let versions = "/v1/manage/prompts/braces/versions";
    server.call(&token, post.clone(), versions, json!({"source": braces, "message": "braces"})).await?;
    let save = ms(started.elapsed());
    server.call(&token, post, &format!("{versions}/1/promote"), json!({})).await?;
    let started = Instant::now();
    let served =
        server.client.get(format!("{}/v1/prompts/braces", server.base)).bearer_auth(&key).send().await?;
    let served_ok = served.status() == 200 && served.bytes().await?.len() > 1_000_000;
    let serve = ms(started.elapsed());
    let started = Instant::now();
    server.call(&token, reqwest::Method::GET, "/v1/manage/prompts", Value::Null).await?;
    let list = ms(started.elapsed());
    tokio::time::sleep(Duration::from_millis(200)).await;
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.await?;
    }
    if !served_ok {
        bail!("the braces were not served");
    }
    let p99 = percentile(&mut latencies.lock().expect("latencies"), 0.99);
    Ok([save, serve, list, p99])
}

/// Part 2: (refused in ms, memory before, memory after).
async fn mcp_bomb(args: &Args, run: usize) -> anyhow::Result<[f64; 3]> {
    let data = args.work.join(format!("mcp-{run}"));
    let (token, _) = seed(&data).await?;
    let server = Server::start(&args.binary, &data, &[]).await?;
    server.live_prompt(&token, "bomb", &"{{a}}".repeat(200_000)).await?;
    let key = server.live_key(&token).await?;
    let before = server.memory_mb();
    let get = json!({"jsonrpc": "2.0", "id": 1, "method": "prompts/get",
        "params": {"name": "bomb", "arguments": {"a": "x".repeat(1_000_000)}}});
    let started = Instant::now();
    let answer = server
        .client
        .post(format!("{}/mcp", server.base))
        .bearer_auth(&key)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&get)
        .send()
        .await?
        .text()
        .await?;
    let refused = ms(started.elapsed());
    if !answer.contains("\"error\"") {
        bail!("the MCP get was not refused: {}", &answer[..answer.len().min(300)]);
    }
    Ok([refused, before, server.memory_mb()])
}

/// One idle connection from 127.0.0.2: opened, one exchange, then nothing until the server
/// closes it. Returns how long after its last activity it was closed (None: not within the
/// bound).
async fn idle_connection(addr: SocketAddr, http2: bool) -> anyhow::Result<Option<Duration>> {
    let socket = TcpSocket::new_v4()?;
    socket.bind("127.0.0.2:0".parse()?)?;
    let mut stream = socket.connect(addr).await?;
    let mut buffer = [0u8; 4096];
    if http2 {
        stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await?;
    } else {
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n").await?;
        let n = stream.read(&mut buffer).await?;
        if !buffer[..n].starts_with(b"HTTP/1.1 200") {
            bail!("no answer to the HTTP/1 request");
        }
    }
    let active = Instant::now();
    let closed = tokio::time::timeout(IDLE + GRACE + Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    Ok(closed.ok().map(|()| active.elapsed()))
}

/// Part 3: (slowest other client's answer in ms, connections held, closed in time, the
/// latest close after the idle limit in ms).
async fn idle_connections(args: &Args, run: usize) -> anyhow::Result<[f64; 4]> {
    let data = args.work.join(format!("connections-{run}"));
    seed(&data).await?;
    let idle = IDLE.as_millis().to_string();
    let most = (args.connections + 2_000).to_string();
    let extra = ["--idle-timeout-ms", &idle, "--max-connections", &most, "--connections-per-address", &most];
    let server = Server::start(&args.binary, &data, &extra).await?;
    let addr: SocketAddr = ADDR.parse()?;
    let probing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let probe = {
        let (probing, url) = (probing.clone(), format!("{}/healthz", server.base));
        tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
            let mut slowest = Duration::ZERO;
            while probing.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let ok = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send()).await;
                if !matches!(ok, Ok(Ok(ref r)) if r.status() == 200) {
                    slowest = Duration::from_secs(10);
                }
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            anyhow::Ok(slowest)
        })
    };
    let opened: Vec<_> =
        (0..args.connections).map(|i| tokio::spawn(idle_connection(addr, i % 2 == 0))).collect();
    let mut lags = Vec::new();
    let mut held = 0;
    for connection in opened {
        if let Ok(Ok(closed)) = connection.await {
            held += 1;
            if let Some(after) = closed {
                lags.push(ms(after.saturating_sub(IDLE)));
            }
        }
    }
    probing.store(false, std::sync::atomic::Ordering::Relaxed);
    let slowest = probe.await??;
    let in_time = lags.iter().filter(|lag| **lag <= ms(GRACE) + 1_000.0).count();
    let latest = lags.iter().copied().fold(0.0, f64::max);
    drop(server);
    Ok([ms(slowest), held as f64, in_time as f64, latest])
}

/// Part 4: the fast receiver's delivery latency in ms.
async fn deliveries(args: &Args, run: usize) -> anyhow::Result<f64> {
    let data = args.work.join(format!("deliveries-{run}"));
    let (loud, quiet) = seed(&data).await?;
    let timeout = WEBHOOK_TIMEOUT.as_millis().to_string();
    let hooks = SLOW_WEBHOOKS.to_string();
    let extra = [
        "--allow-private-webhooks",
        "--webhook-timeout-ms",
        &timeout,
        "--max-webhooks-per-workspace",
        &hooks,
    ];
    let server = Server::start(&args.binary, &data, &extra).await?;
    let post = reqwest::Method::POST;
    let slow = silent_receiver().await?;
    for _ in 0..SLOW_WEBHOOKS {
        let hook = json!({"url": slow, "events": ["version.promoted"], "enabled": true});
        server.call(&loud, post.clone(), "/v1/manage/webhooks", hook).await?;
    }
    let (fast, first) = fast_receiver().await?;
    let hook = json!({"url": fast, "events": ["version.promoted"], "enabled": true});
    server.call(&quiet, post.clone(), "/v1/manage/webhooks", hook).await?;
    server.call(&quiet, post.clone(), "/v1/manage/prompts", json!({"name": "quiet"})).await?;
    let versions = "/v1/manage/prompts/quiet/versions";
    server.call(&quiet, post.clone(), versions, json!({"source": "s", "message": "m"})).await?;
    // 200 slow deliveries due first, then the quiet workspace's one.
    server.live_prompt(&loud, "loud", "noise").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let promoted = Instant::now();
    server.call(&quiet, post, &format!("{versions}/1/promote"), json!({})).await?;
    let bound = Instant::now() + WEBHOOK_TIMEOUT * 100;
    loop {
        if let Some(at) = *first.lock().expect("first") {
            return Ok(ms(at.duration_since(promoted)));
        }
        if Instant::now() > bound {
            bail!("the quiet workspace's delivery never came");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work)?;
    let (mut save, mut serve, mut list, mut reads) = (vec![], vec![], vec![], vec![]);
    let (mut refused, mut before, mut after) = (vec![], vec![], vec![]);
    let (mut slowest, mut held, mut in_time, mut latest) = (vec![], vec![], vec![], vec![]);
    let mut delivered = vec![];
    for run in 0..args.runs {
        for (figures, into) in
            braces(&args, run).await?.into_iter().zip([&mut save, &mut serve, &mut list, &mut reads])
        {
            into.push(figures);
        }
        for (figures, into) in
            mcp_bomb(&args, run).await?.into_iter().zip([&mut refused, &mut before, &mut after])
        {
            into.push(figures);
        }
        let connections = idle_connections(&args, run).await?;
        for (figures, into) in
            connections.into_iter().zip([&mut slowest, &mut held, &mut in_time, &mut latest])
        {
            into.push(figures);
        }
        delivered.push(deliveries(&args, run).await?);
    }
    let _ = std::fs::remove_dir_all(&args.work);
    println!("Median of {} runs (range):", args.runs);
    println!(
        "1 MB of braces: save {}, serve {}, list {}",
        summary(&mut save, "ms"),
        summary(&mut serve, "ms"),
        summary(&mut list, "ms")
    );
    println!("  other clients' reads meanwhile: p99 {}", summary(&mut reads, "ms"));
    println!("MCP get of ~200 GB naive output: refused in {}", summary(&mut refused, "ms"));
    println!("  server memory before {}, after {}", summary(&mut before, "MB"), summary(&mut after, "MB"));
    let n = args.connections;
    println!("{n} idle connections from 127.0.0.2 (half HTTP/2, half HTTP/1), idle limit {IDLE:?}:");
    println!(
        "  held {}, closed within the limit + {GRACE:?} grace (+1 s) {}",
        summary(&mut held, ""),
        summary(&mut in_time, "")
    );
    println!("  latest close after the idle limit {}", summary(&mut latest, "ms"));
    println!("  slowest answer to a client on 127.0.0.1 meanwhile {}", summary(&mut slowest, "ms"));
    println!(
        "{SLOW_WEBHOOKS} webhooks to a receiver that never answers ({WEBHOOK_TIMEOUT:?} timeout) in one workspace; \
         another workspace's delivery to a fast receiver: {}",
        summary(&mut delivered, "ms")
    );
    Ok(())
}
