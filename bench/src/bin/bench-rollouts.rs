//! Rollouts and the fleet under load, against one release server:
//!
//! 1. **Reads during a rollout**: SDK reads (wrk) of a prompt whose live label is split at
//!    10 %, each naming a unit, against reads of a plain prompt of the same size, in
//!    alternating runs of the same invocation; the ratio of their requests/s.
//! 2. **Reports**: reads paced at about 1,000/s alone, then while usage reports arrive paced
//!    at about 5,000/s (each naming one of 100 instances), both from wrk; the reads' p50/p99
//!    both times, and how many reports a second were taken. Then the most reports a second
//!    the server takes (wrk posting as fast as it can).
//! 3. **Promote → Fleet**: 100 SDK clients (each its own instance, cache and stream) hold the
//!    prompt; a promote is timed until the fleet view shows the new version served by all
//!    100.

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
    // Both loads come from wrk, paced by a delay per connection (its `delay` hook): the load
    // generator is light, so what is measured is the server.
    let reads = args.work.join("paced-read.lua");
    write_read_script(&reads, &bench.key, "bench%2Fplain", false)?;
    paced(&reads, READ_DELAY_MS)?;
    let reports = args.work.join("paced-report.lua");
    write_report_script(&reports, &bench.key)?;
    paced(&reports, REPORT_DELAY_MS)?;
    let alone = wrk_with(&bench.server, &reads, READ_CONNECTIONS, args.seconds)?;
    let (server, seconds) = (bench.server.clone(), args.seconds);
    let flood = std::thread::spawn(move || wrk_with(&server, &reports, REPORT_CONNECTIONS, seconds));
    let with = wrk_with(&bench.server, &reads, READ_CONNECTIONS, args.seconds)?;
    let flood = flood.join().map_err(|_| anyhow::anyhow!("the report load panicked"))??;
    println!(
        "reads at {:.0}/s alone: p50 {:.2} ms, p99 {:.2} ms; with {:.0} reports/s: reads at {:.0}/s, p50 {:.2} ms, p99 {:.2} ms (reports p99 {:.2} ms)",
        alone.rps, alone.p50_ms, alone.p99_ms, flood.rps, with.rps, with.p50_ms, with.p99_ms, flood.p99_ms
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

/// Paced loads: reads on 4 connections each waiting 4 ms between requests (about 1,000 a
/// second), reports on 28 connections each waiting 5 ms (about 5,000 a second).
const READ_CONNECTIONS: u32 = 4;
const READ_DELAY_MS: u32 = 4;
const REPORT_CONNECTIONS: u32 = 28;
const REPORT_DELAY_MS: u32 = 5;

/// Makes a wrk script wait `ms` between the requests of each connection.
fn paced(script: &std::path::Path, ms: u32) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(script)?;
    std::fs::write(script, format!("{text}delay = function() return {ms} end\n"))?;
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

/// What a wrk run measured.
struct Run {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

const WRK_DONE: &str = "done = function(s, l, r) io.write(string.format(\"BENCH rps=%.0f p50=%.3f p99=%.3f errors=%d non2xx=%d\\n\", \
    s.requests / (s.duration / 1e6), l:percentile(50) / 1000, l:percentile(99) / 1000, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n";

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
    wrk_with(server, script, 64, args.seconds)
}

/// One wrk run of `script` for `seconds` on one thread and `connections` connections.
fn wrk_with(server: &str, script: &std::path::Path, connections: u32, seconds: u64) -> anyhow::Result<Run> {
    let output = std::process::Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "-s"])
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
    Ok(Run { rps: field("rps=")?, p50_ms: field("p50=")?, p99_ms: field("p99=")? })
}
