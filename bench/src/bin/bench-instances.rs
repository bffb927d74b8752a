//! Propagation across instances: with two PromptVault servers on one PostgreSQL database,
//! promotes a new version through the first, then reads through the second until it serves
//! it, 100 times; then, with a live-update stream open on the second, promotes through the
//! first 100 times more and times each event's arrival on the stream; prints the delays
//! (p50, p99, max). Also writes the wrk script that the throughput half of
//! `scripts/bench-instances.sh` drives both servers with.

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The instance changes are made through.
    #[arg(long)]
    first: String,
    /// The instance reads are made through.
    #[arg(long)]
    second: String,
    #[arg(long, default_value_t = 100)]
    promotes: i64,
    /// Where to write the wrk script reading the prompt with the key.
    #[arg(long)]
    wrk_script: std::path::PathBuf,
}

const PROMPT: &str = "bench%2Fpropagation";

/// The version number of the stream's next `prompt` event (comments skipped).
async fn next_version(stream: &mut reqwest::Response, buffer: &mut String) -> anyhow::Result<i64> {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let data = block.lines().find_map(|line| line.strip_prefix("data: "));
            if let Some(number) =
                data.and_then(|d| serde_json::from_str::<Value>(d).ok()).and_then(|j| j["number"].as_i64())
            {
                return Ok(number);
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .map_err(|_| anyhow::anyhow!("no event within 10 s"))??
            .ok_or_else(|| anyhow::anyhow!("the stream ended"))?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Prints p50, p99 and the maximum of `delays`; returns the p99.
fn report(what: &str, delays: &mut [Duration], ms: impl Fn(Duration) -> String) -> Duration {
    delays.sort();
    let at = |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1];
    println!("{what}: p50 {}, p99 {}, max {}", ms(at(0.50)), ms(at(0.99)), ms(at(1.0)));
    at(0.99)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::new();
    let setup = json!({"workspace": "Bench", "email": "bench@example.com", "password": "benchmark password", "name": "Bench"});
    let body: Value =
        client.post(format!("{}/v1/setup", args.first)).json(&setup).send().await?.json().await?;
    let token = body["token"].as_str().ok_or_else(|| anyhow::anyhow!("setup failed: {body}"))?.to_owned();
    let post = |path: String, body: Value| {
        let request = client.post(format!("{}{path}", args.first)).bearer_auth(&token).json(&body);
        async move {
            let response = request.send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            Ok::<Value, anyhow::Error>(response.json().await?)
        }
    };
    post("/v1/manage/prompts".into(), json!({"name": "bench/propagation"})).await?;
    let key = post("/v1/manage/keys".into(), json!({"kind": "live", "name": "bench"})).await?;
    let key = key["token"].as_str().unwrap_or_default().to_owned();

    let (mut delays, mut since_sent) = (Vec::new(), Vec::new());
    for n in 1..=args.promotes {
        post(format!("/v1/manage/prompts/{PROMPT}/versions"), json!({"source": format!("version {n}")}))
            .await?;
        let sent = Instant::now();
        post(format!("/v1/manage/prompts/{PROMPT}/versions/{n}/promote"), json!({})).await?;
        let promoted = Instant::now();
        let wanted = format!("v{n}");
        loop {
            let read =
                client.get(format!("{}/v1/prompts/{PROMPT}", args.second)).bearer_auth(&key).send().await?;
            let served = if read.status().is_success() {
                read.json::<Value>().await?["version"].clone()
            } else {
                Value::Null
            };
            if served == wanted.as_str() {
                break;
            }
            anyhow::ensure!(
                promoted.elapsed() < Duration::from_secs(10),
                "{wanted} not served by the second instance after 10 s"
            );
        }
        delays.push(promoted.elapsed());
        since_sent.push(sent.elapsed());
    }
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "propagation over {} promotes through the first instance, read through the second:",
        delays.len()
    );
    let p99 = report("  after the promote answered", &mut delays, ms);
    report("  after the promote was sent (includes the promote itself)", &mut since_sent, ms);
    let goal = if p99 < Duration::from_millis(100) {
        "goal met (and the < 100 ms aim)"
    } else if p99 < Duration::from_secs(1) {
        "goal met (< 1 s)"
    } else {
        "goal missed"
    };
    println!("p99 goal < 1 s: {goal}");

    // A stream on the second instance; each promote through the first, timed to its event.
    let mut stream = client
        .get(format!("{}/v1/stream?prompts=bench/propagation", args.second))
        .bearer_auth(&key)
        .send()
        .await?;
    anyhow::ensure!(stream.status().is_success(), "stream refused: {}", stream.status());
    let mut buffer = String::new();
    next_version(&mut stream, &mut buffer).await?; // what the key reads now
    let mut pushed = Vec::new();
    for n in args.promotes + 1..=args.promotes * 2 {
        post(format!("/v1/manage/prompts/{PROMPT}/versions"), json!({"source": format!("version {n}")}))
            .await?;
        let sent = Instant::now();
        post(format!("/v1/manage/prompts/{PROMPT}/versions/{n}/promote"), json!({})).await?;
        while next_version(&mut stream, &mut buffer).await? != n {}
        pushed.push(sent.elapsed());
    }
    println!(
        "live updates over {} promotes through the first instance, streamed by the second:",
        pushed.len()
    );
    report("  promote sent → event received", &mut pushed, ms);

    let script = format!(
        "wrk.path = \"/v1/prompts/{PROMPT}\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n\
         done = function(s, l, r) io.write(string.format(\"BENCH rps=%.0f errors=%d non2xx=%d\\n\", \
         s.requests / (s.duration / 1e6), s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n"
    );
    std::fs::write(&args.wrk_script, script)?;
    Ok(())
}
