//! The composition benchmark, in the release build, on SQLite in a fresh data directory:
//!
//! - reads of a prompt that includes prompts 5 levels deep against reads of a plain prompt
//!   of the same size, through the SDK read path (`Vault::read_prompt`, what
//!   `GET /v1/prompts/{name}` calls), alternated in rounds: the composed prompt was resolved
//!   when it was published, so its reads should cost what plain ones do (ratio ≈ 1);
//! - updating the 100 prompts that include a piece (and `level1`, which does too), published in one release
//!   (`Vault::update_dependents`), after each new version of the piece.
//!
//! Prints each round, then the medians and their spread.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use vault::{KeyKind, NewDraft, SetUp, Storage, Vault};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/bench-composition")]
    data_dir: PathBuf,
    /// Rounds of each measure.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Reads of each prompt per round.
    #[arg(long, default_value_t = 200_000)]
    reads: usize,
    /// Prompts that include the piece.
    #[arg(long, default_value_t = 100)]
    dependents: usize,
}

/// About 400 bytes of text per level: the composed prompt serves about 2.4 KB.
fn words(level: usize) -> String {
    format!("Level {level}: answer the customer politely and precisely. ").repeat(7)
}

fn reference(name: &str) -> String {
    format!("@@@langfusePrompt:name={name}|label=production@@@")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = std::fs::remove_dir_all(&args.data_dir);
    std::fs::create_dir_all(&args.data_dir)?;
    let vault = Vault::open(&Storage::in_dir(&args.data_dir)).await?;
    let setup = SetUp {
        workspace: "Bench".into(),
        email: "bench@example.com".into(),
        password: "correct horse battery".into(),
        name: "Bench".into(),
    };
    let (owner, _) = vault.set_up(setup).await?;
    let token = vault.create_api_key(&owner, KeyKind::Live, "bench").await?.token;
    let publish = |name: String, text: String| {
        let (vault, owner) = (vault.clone(), owner.clone());
        async move {
            if vault.prompt(&owner, &name).await.is_err() {
                vault.create_prompt(&owner, &name).await?;
            }
            let saved = vault.save_draft(&owner, &name, NewDraft::text(text, "bench")).await?;
            vault.promote(&owner, &name, saved.number).await?;
            anyhow::Ok(saved.number)
        }
    };

    // level0 is plain; leveln includes level(n-1); level5 holds five levels of includes.
    publish("level0".into(), words(0)).await?;
    for level in 1..=5 {
        publish(
            format!("level{level}"),
            format!("{}{}", words(level), reference(&format!("level{}", level - 1))),
        )
        .await?;
    }
    let composed = vault.read_prompt(&token, "level5", None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let size = composed.body.len();
    // The plain prompt serves the same number of bytes.
    let plain_text = "x".repeat(words(0).len() * 6);
    publish("plain".into(), plain_text).await?;

    println!("reads: {} per prompt per round, composed body {size} bytes", args.reads);
    let mut ratios = Vec::new();
    for round in 1..=args.rounds {
        let plain = time_reads(&vault, &token, "plain", args.reads).await?;
        let composed = time_reads(&vault, &token, "level5", args.reads).await?;
        let ratio = composed.as_secs_f64() / plain.as_secs_f64();
        println!(
            "  round {round}: plain {:.0} ns/read, 5 levels {:.0} ns/read, ratio {ratio:.3}",
            per_read(plain, args.reads),
            per_read(composed, args.reads)
        );
        ratios.push(ratio);
    }
    let (median, low, high) = spread(&mut ratios);
    println!("read time, 5 levels / plain: median {median:.3} (spread {low:.3}–{high:.3})");

    for i in 0..args.dependents {
        publish(format!("dependents/{i:03}"), format!("Prompt {i}. {}", reference("level0"))).await?;
    }
    let mut updates = Vec::new();
    let mut made = 0;
    for round in 1..=args.rounds {
        publish("level0".into(), format!("{} (round {round})", words(0))).await?;
        let started = Instant::now();
        let updated = vault.update_dependents(&owner, "level0", true).await?;
        let took = started.elapsed();
        made = updated.iter().filter(|u| u.published).count();
        println!(
            "  round {round}: {made} prompts updated in one release in {:.0} ms",
            took.as_secs_f64() * 1e3
        );
        updates.push(took.as_secs_f64() * 1e3);
    }
    let (median, low, high) = spread(&mut updates);
    println!(
        "updating {made} dependents (one release): median {median:.0} ms (spread {low:.0}–{high:.0} ms)"
    );
    Ok(())
}

async fn time_reads(vault: &Vault, token: &str, name: &str, reads: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..reads {
        let served = vault.read_prompt(token, name, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        bytes += served.body.len();
    }
    let took = started.elapsed();
    std::hint::black_box(bytes);
    Ok(took)
}

fn per_read(took: Duration, reads: usize) -> f64 {
    took.as_secs_f64() * 1e9 / reads as f64
}

/// The median, lowest and highest of `values`.
fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 2], values[0], values[values.len() - 1])
}
