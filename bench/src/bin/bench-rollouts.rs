//! Rollouts and the fleet under load, against one release server:
//!
//! 1. **Reads during a rollout**: SDK reads (wrk) of a prompt whose live label is split at
//!    10 %, each naming a unit, against reads of a plain prompt of the same size, in
//!    alternating runs of the same invocation; the ratio of their requests/s.
//! 2. **Reports**: reads at a steady 1,000/s alone, then while usage reports arrive at a
//!    steady 5,000/s (each naming one of 100 instances); the reads' p50/p99 both times, and
//!    how many reports a second were accepted. Then the most reports a second the server
//!    takes (wrk posting as fast as it can).
//! 3. **Promote → Fleet**: 100 SDK clients (each its own instance, cache and stream) hold the
//!    prompt; a promote is timed until the fleet view shows the new version served by all
//!    100.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    server: String,
    /// Seconds per wrk run and per steady phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where to write the wrk scripts.
    #[arg(long)]
    work: std::path::PathBuf,
    /// Alternating pairs of read runs (plain, split).
    #[arg(long, default_value_t = 3)]
    pairs: usize,
    /// SDK instances for the promote → fleet measure.
    #[arg(long, default_value_t = 100)]
    instances: usize,
    /// Promotes timed.
    #[arg(long, default_value_t = 5)]
    promotes: u64,
}

/// What a workspace set up for the benchmark holds.
struct Bench {
    client: reqwest::Client,
    server: String,
    token: String,
    key: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bench = set_up(&args.server).await?;
    reads_during_a_rollout(&args, &bench)?;
    reports_while_reading(&args, &bench).await?;
    promote_to_fleet(&args, &bench).await?;
    Ok(())
}

/// A workspace with `bench/plain` and `bench/split` (the same text), both live at v1, v2 of
/// the split one rolled out to 10 %, `bench/fleet` live at v1, and a live key.
async fn set_up(server: &str) -> anyhow::Result<Bench> {
    let client = reqwest::Client::new();
    let setup = json!({"workspace": "Bench", "email": "bench@example.com", "password": "benchmark password", "name": "Bench"});
    let body: Value = client.post(format!("{server}/v1/setup")).json(&setup).send().await?.json().await?;
    let token = body["token"].as_str().ok_or_else(|| anyhow::anyhow!("setup failed: {body}"))?.to_owned();
    let bench = Bench { client, server: server.to_owned(), token, key: String::new() };
    let text = "You are a support agent for {{product}}. ".repeat(50);
    for name in ["bench/plain", "bench/split", "bench/fleet"] {
        bench.post("/v1/manage/prompts", json!({"name": name})).await?;
        let path = format!("/v1/manage/prompts/{}", name.replace('/', "%2F"));
        bench.post(&format!("{path}/versions"), json!({"source": text})).await?;
        bench.post(&format!("{path}/versions/1/promote"), json!({})).await?;
    }
    bench
        .post("/v1/manage/prompts/bench%2Fsplit/versions", json!({"source": format!("{text}(new)")}))
        .await?;
    bench
        .post("/v1/manage/prompts/bench%2Fsplit/labels/live/rollout", json!({"version": 2, "percent": 10.0}))
        .await?;
    let key = bench.post("/v1/manage/keys", json!({"kind": "live", "name": "bench"})).await?;
    let key = key["token"].as_str().ok_or_else(|| anyhow::anyhow!("no key: {key}"))?.to_owned();
    Ok(Bench { key, ..bench })
}

impl Bench {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(format!("{}{path}", self.server))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }
}

fn reads_during_a_rollout(args: &Args, bench: &Bench) -> anyhow::Result<()> {
    let plain = args.work.join("plain.lua");
    let split = args.work.join("split.lua");
    write_read_script(&plain, &bench.key, "bench%2Fplain", false)?;
    write_read_script(&split, &bench.key, "bench%2Fsplit", true)?;
    wrk(args, &bench.server, &plain)?; // warming up
    let mut ratios = Vec::new();
    for _ in 0..args.pairs {
        let base = wrk(args, &bench.server, &plain)?;
        let during = wrk(args, &bench.server, &split)?;
        println!(
            "reads: plain {:.0}/s (p99 {:.2} ms), split at 10 % by unit {:.0}/s (p99 {:.2} ms): ratio {:.2}",
            base.rps,
            base.p99_ms,
            during.rps,
            during.p99_ms,
            during.rps / base.rps
        );
        ratios.push(during.rps / base.rps);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "reads during a rollout / plain reads: median {:.2} (spread {:.2}–{:.2}) over {} pairs",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        ratios.len()
    );
    Ok(())
}

async fn reports_while_reading(args: &Args, bench: &Bench) -> anyhow::Result<()> {
    let seconds = Duration::from_secs(args.seconds);
    let read = || {
        let request =
            bench.client.get(format!("{}/v1/prompts/bench%2Fplain", bench.server)).bearer_auth(&bench.key);
        async move { request.send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    };
    let alone = steady(1_000, seconds, read).await;
    let reports = {
        let (client, server, key) = (bench.client.clone(), bench.server.clone(), bench.key.clone());
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        tokio::spawn(steady(5_000, seconds, move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = json!({"app": "bench", "instance": format!("i-{}", n % 100),
                "items": [{"prompt": "bench/plain", "version": "v1", "uses": 3, "failures": u64::from(n.is_multiple_of(10))}]});
            let request = client.post(format!("{server}/v1/reports")).bearer_auth(&key).json(&body);
            async move { request.send().await.map(|r| r.status().as_u16() == 202).unwrap_or(false) }
        }))
    };
    let with = steady(1_000, seconds, read).await;
    let reports = reports.await?;
    println!(
        "reads at 1,000/s alone: p50 {:.2} ms, p99 {:.2} ms ({} failed); with reports at 5,000/s: p50 {:.2} ms, p99 {:.2} ms ({} failed)",
        alone.percentile(0.5),
        alone.percentile(0.99),
        alone.failed,
        with.percentile(0.5),
        with.percentile(0.99),
        with.failed
    );
    println!(
        "reports accepted: {:.0}/s ({} of {} sent, p99 {:.2} ms)",
        reports.ok as f64 / args.seconds as f64,
        reports.ok,
        reports.ok + reports.failed,
        reports.percentile(0.99)
    );
    let script = args.work.join("report.lua");
    write_report_script(&script, &bench.key)?;
    let most = wrk(args, &bench.server, &script)?;
    println!(
        "reports as fast as wrk sends them (64 connections): {:.0}/s, p99 {:.2} ms",
        most.rps, most.p99_ms
    );
    Ok(())
}

async fn promote_to_fleet(args: &Args, bench: &Bench) -> anyhow::Result<()> {
    let mut clients = Vec::new();
    for _ in 0..args.instances {
        let client = promptvault::Client::builder(bench.server.as_str(), bench.key.as_str())
            .app("bench-fleet")
            .live_updates()
            .build()?;
        client.prompt("bench/fleet").await?;
        clients.push(client);
    }
    wait_for_fleet(bench, 1, args.instances, Duration::from_secs(30)).await?;
    let mut times = Vec::new();
    for n in 2..args.promotes + 2 {
        bench
            .post("/v1/manage/prompts/bench%2Ffleet/versions", json!({"source": format!("version {n}")}))
            .await?;
        let sent = Instant::now();
        bench.post(&format!("/v1/manage/prompts/bench%2Ffleet/versions/{n}/promote"), json!({})).await?;
        wait_for_fleet(bench, n, args.instances, Duration::from_secs(30)).await?;
        times.push(sent.elapsed());
    }
    times.sort();
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "promote → the fleet view shows v(n) served by all {} SDK instances: median {}, max {} over {} promotes (goal < 2 s: {})",
        args.instances,
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len(),
        if times[times.len() - 1] < Duration::from_secs(2) { "met" } else { "missed" }
    );
    drop(clients);
    Ok(())
}

/// Polls the fleet view every 20 ms until version `n` of `bench/fleet` is served now by
/// `instances` instances.
async fn wait_for_fleet(bench: &Bench, n: u64, instances: usize, limit: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let url = format!("{}/v1/manage/fleet?prompt=bench%2Ffleet&label=live", bench.server);
    loop {
        let fleet: Value = bench.client.get(&url).bearer_auth(&bench.token).send().await?.json().await?;
        let serving = fleet["items"][0]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["version"] == format!("v{n}"))
            .and_then(|v| v["instances_now"].as_u64())
            .unwrap_or(0);
        if serving as usize >= instances {
            return Ok(());
        }
        anyhow::ensure!(started.elapsed() < limit, "v{n}: {serving} of {instances} instances in {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Latencies of requests sent at a steady rate, and how many failed.
struct Steady {
    latencies: Vec<Duration>,
    ok: u64,
    failed: u64,
}

impl Steady {
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
        sorted.get(at).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Sends `per_second` requests a second (in bursts every 10 ms) for `length`, each made by
/// `send` and answering whether it succeeded; an open loop: a slow answer does not slow the
/// sending.
async fn steady<F, Fut>(per_second: u64, length: Duration, send: F) -> Steady
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let results = Arc::new(Mutex::new(Steady { latencies: Vec::new(), ok: 0, failed: 0 }));
    let mut every = tokio::time::interval(Duration::from_millis(10));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut running = Vec::new();
    while started.elapsed() < length {
        every.tick().await;
        let due = (started.elapsed().as_secs_f64() * per_second as f64) as u64;
        while sent < due {
            sent += 1;
            let (request, results) = (send(), results.clone());
            running.push(tokio::spawn(async move {
                let at = Instant::now();
                let ok = request.await;
                let took = at.elapsed();
                if let Ok(mut results) = results.lock() {
                    results.latencies.push(took);
                    if ok { results.ok += 1 } else { results.failed += 1 }
                }
            }));
        }
    }
    for request in running {
        let _ = request.await;
    }
    Arc::try_unwrap(results).ok().and_then(|m| m.into_inner().ok()).unwrap_or(Steady {
        latencies: Vec::new(),
        ok: 0,
        failed: 0,
    })
}

/// What a wrk run measured.
struct Run {
    rps: f64,
    p99_ms: f64,
}

const WRK_DONE: &str = "done = function(s, l, r) io.write(string.format(\"BENCH rps=%.0f p99=%.3f errors=%d non2xx=%d\\n\", \
    s.requests / (s.duration / 1e6), l:percentile(99) / 1000, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n";

/// Reads of `prompt`, each naming a unit of its own when `by_unit`.
fn write_read_script(path: &std::path::Path, key: &str, prompt: &str, by_unit: bool) -> anyhow::Result<()> {
    let request = if by_unit {
        format!(
            "counter = 0\nrequest = function() counter = counter + 1 return wrk.format(nil, \"/v1/prompts/{prompt}?unit=user-\" .. counter) end\n"
        )
    } else {
        format!("wrk.path = \"/v1/prompts/{prompt}\"\n")
    };
    std::fs::write(path, format!("{request}wrk.headers[\"Authorization\"] = \"Bearer {key}\"\n{WRK_DONE}"))?;
    Ok(())
}

/// Usage reports, each from one of 100 instances.
fn write_report_script(path: &std::path::Path, key: &str) -> anyhow::Result<()> {
    let script = format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         counter = 0\nrequest = function() counter = counter + 1 return wrk.format(nil, \"/v1/reports\", nil, \
         '{{\"app\":\"bench\",\"instance\":\"w-' .. (counter % 100) .. '\",\"items\":[{{\"prompt\":\"bench/plain\",\"version\":\"v1\",\"uses\":3,\"failures\":0}}]}}') end\n{WRK_DONE}"
    );
    std::fs::write(path, script)?;
    Ok(())
}

/// One wrk run of `script` (one thread, 64 connections).
fn wrk(args: &Args, server: &str, script: &std::path::Path) -> anyhow::Result<Run> {
    let output = std::process::Command::new("wrk")
        .args(["-t1", "-c64", &format!("-d{}s", args.seconds), "-s"])
        .arg(script)
        .arg(server)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line =
        text.lines().find(|line| line.starts_with("BENCH")).ok_or_else(|| anyhow::anyhow!("wrk: {text}"))?;
    anyhow::ensure!(line.contains("errors=0 non2xx=0"), "{}: {line}", script.display());
    let field = |name: &str| -> anyhow::Result<f64> {
        line.split_whitespace()
            .find_map(|field| field.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("wrk: {line}"))
    };
    Ok(Run { rps: field("rps=")?, p99_ms: field("p99=")? })
}
