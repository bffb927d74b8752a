//! Live updates under load: opens 2,000 streams (`GET /v1/stream`) on one release server,
//! then promotes a new version again and again and times how long each promote takes to
//! reach every stream (p50, p99, max over all streams and promotes); prints the server's
//! memory per open stream, and the SDK read throughput (wrk) with no stream open against
//! with all of them open.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    server: String,
    /// The server's process id, to read its memory.
    #[arg(long)]
    pid: u32,
    #[arg(long, default_value_t = 2000)]
    streams: usize,
    #[arg(long, default_value_t = 20)]
    promotes: i64,
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where to write the wrk script.
    #[arg(long)]
    wrk_script: std::path::PathBuf,
}

const PROMPT: &str = "bench%2Fstream";

/// When each stream received each version: `arrivals[n]` for version `n`.
type Arrivals = Arc<Mutex<Vec<Vec<Instant>>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::new();
    let (token, key) = set_up(&client, &args.server).await?;
    write_wrk_script(&args.wrk_script, &key)?;

    // A first run warms the server up, so that the two measured runs compare like with like.
    wrk(&args, "warming up")?;
    let without = wrk(&args, "no stream open")?;
    let before = rss_kib(args.pid)?;
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![Vec::new(); args.promotes as usize + 2]));
    for _ in 0..args.streams {
        open_stream(&client, &args.server, &key, arrivals.clone()).await?;
    }
    // Every stream has its first event (v1) before the measurements start.
    wait_for(&arrivals, 1, args.streams, Duration::from_secs(60)).await?;
    let after = rss_kib(args.pid)?;

    let post = |path: String, body: Value| {
        let request = client.post(format!("{}{path}", args.server)).bearer_auth(&token).json(&body);
        async move {
            let response = request.send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            Ok::<(), anyhow::Error>(())
        }
    };
    let mut delays = Vec::with_capacity(args.streams * args.promotes as usize);
    for n in 2..args.promotes + 2 {
        post(format!("/v1/manage/prompts/{PROMPT}/versions"), json!({"source": format!("version {n}")}))
            .await?;
        let sent = Instant::now();
        post(format!("/v1/manage/prompts/{PROMPT}/versions/{n}/promote"), json!({})).await?;
        wait_for(&arrivals, n as usize, args.streams, Duration::from_secs(30)).await?;
        let seen = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[n as usize].clone();
        delays.extend(seen.iter().map(|at| at.duration_since(sent)));
    }
    let with = wrk(&args, &format!("{} streams open", args.streams))?;

    delays.sort();
    let at = |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "promote → event, {} streams × {} promotes ({} events): p50 {}, p99 {}, max {}",
        args.streams,
        args.promotes,
        delays.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
    println!(
        "p99 goal < 100 ms on one instance: {}",
        if at(0.99) < Duration::from_millis(100) { "met" } else { "missed" }
    );
    let per_stream = (after.saturating_sub(before)) as f64 / args.streams as f64;
    println!(
        "server memory: {before} KiB before, {after} KiB with the streams open: {per_stream:.1} KiB per stream"
    );
    println!(
        "SDK reads (wrk, 64 connections, {} s): {without:.0}/s with no stream, {with:.0}/s with {} open: ratio {:.2}",
        args.seconds,
        args.streams,
        with / without
    );
    Ok(())
}

/// A workspace with the prompt live at v1 and a live key; returns the owner's token and the key.
async fn set_up(client: &reqwest::Client, server: &str) -> anyhow::Result<(String, String)> {
    let setup = json!({"workspace": "Bench", "email": "bench@example.com", "password": "benchmark password", "name": "Bench"});
    let body: Value = client.post(format!("{server}/v1/setup")).json(&setup).send().await?.json().await?;
    let token = body["token"].as_str().ok_or_else(|| anyhow::anyhow!("setup failed: {body}"))?.to_owned();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{server}{path}")).bearer_auth(&token).json(&body);
        async move { Ok::<Value, anyhow::Error>(request.send().await?.json().await?) }
    };
    post("/v1/manage/prompts", json!({"name": "bench/stream"})).await?;
    post(&format!("/v1/manage/prompts/{PROMPT}/versions"), json!({"source": "version 1"})).await?;
    post(&format!("/v1/manage/prompts/{PROMPT}/versions/1/promote"), json!({})).await?;
    let key = post("/v1/manage/keys", json!({"kind": "live", "name": "bench"})).await?;
    let key = key["token"].as_str().ok_or_else(|| anyhow::anyhow!("no key: {key}"))?.to_owned();
    Ok((token, key))
}

/// Opens one stream, and records in `arrivals` when each version reaches it.
async fn open_stream(
    client: &reqwest::Client,
    server: &str,
    key: &str,
    arrivals: Arrivals,
) -> anyhow::Result<()> {
    let mut response = client.get(format!("{server}/v1/stream")).bearer_auth(key).send().await?;
    anyhow::ensure!(response.status().is_success(), "stream refused: {}", response.status());
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let now = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let version = block
                    .lines()
                    .find_map(|line| line.strip_prefix("data: "))
                    .and_then(|data| serde_json::from_str::<Value>(data).ok())
                    .and_then(|json| json["number"].as_u64());
                if let Some(n) = version
                    && let Ok(mut arrivals) = arrivals.lock()
                    && let Some(seen) = arrivals.get_mut(n as usize)
                {
                    seen.push(now);
                }
            }
        }
    });
    Ok(())
}

async fn wait_for(arrivals: &Arrivals, n: usize, streams: usize, limit: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let count = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[n].len();
        if count >= streams {
            return Ok(());
        }
        anyhow::ensure!(started.elapsed() < limit, "v{n} reached {count} of {streams} streams in {limit:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}

fn write_wrk_script(path: &std::path::Path, key: &str) -> anyhow::Result<()> {
    let script = format!(
        "wrk.path = \"/v1/prompts/{PROMPT}\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n\
         done = function(s, l, r) io.write(string.format(\"BENCH rps=%.0f errors=%d non2xx=%d\\n\", \
         s.requests / (s.duration / 1e6), s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n"
    );
    std::fs::write(path, script)?;
    Ok(())
}

/// Requests a second of SDK reads by wrk (64 connections) against the server.
fn wrk(args: &Args, while_: &str) -> anyhow::Result<f64> {
    let output = std::process::Command::new("wrk")
        .args(["-t1", "-c64", &format!("-d{}s", args.seconds), "-s"])
        .arg(&args.wrk_script)
        .arg(&args.server)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line =
        text.lines().find(|line| line.starts_with("BENCH")).ok_or_else(|| anyhow::anyhow!("wrk: {text}"))?;
    anyhow::ensure!(line.contains("errors=0 non2xx=0"), "reads failed {while_}: {line}");
    let rps = line
        .split_whitespace()
        .find_map(|field| field.strip_prefix("rps="))
        .and_then(|rps| rps.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("wrk: {line}"))?;
    Ok(rps)
}
