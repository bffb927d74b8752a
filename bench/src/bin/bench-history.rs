//! The long-history benchmark: a workspace of 1,000 prompts and about 1 million versions,
//! one prompt holding 100,000 of them. Prints, server-side (the vault calls the dashboard
//! and the API make), the p50/p99 of the first and the 2,000th page of the big history, of
//! search in that prompt and across the workspace, and how long a full index rebuild takes.
//!
//! Seeding writes the versions with plain SQL in large transactions (a million saves one by
//! one would take most of an hour); the triggers fill the search feed as for any save.
//! A seeded directory is reused; `--reseed` starts again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use sqlx::Connection;
use vault::{Cursor, NewMember, PageRequest, Role, SetUp, Storage, Vault};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/bench-history")]
    data_dir: PathBuf,
    #[arg(long, default_value_t = 1000)]
    prompts: i64,
    /// Versions of the big prompt.
    #[arg(long, default_value_t = 100_000)]
    big: i64,
    /// Versions of each other prompt.
    #[arg(long, default_value_t = 901)]
    each: i64,
    /// Timed calls per figure.
    #[arg(long, default_value_t = 300)]
    runs: usize,
    #[arg(long)]
    reseed: bool,
}

const BIG: &str = "support/big-history";

const WORDS: &[&str] = &[
    "tone",
    "refund",
    "policy",
    "greeting",
    "shorter",
    "answer",
    "customer",
    "escalate",
    "ticket",
    "billing",
    "invoice",
    "apology",
    "friendly",
    "formal",
    "summary",
    "translate",
    "german",
    "french",
    "spanish",
    "dutch",
    "classify",
    "priority",
    "urgent",
    "bug",
    "feature",
    "request",
    "retry",
    "timeout",
    "format",
    "json",
    "markdown",
    "bullet",
    "list",
    "examples",
    "few",
    "shot",
    "system",
    "instructions",
    "clarify",
    "ambiguous",
    "safety",
    "refuse",
    "medical",
    "legal",
    "advice",
    "disclaimer",
    "length",
    "limit",
    "tokens",
    "cost",
    "latency",
    "cache",
    "context",
    "window",
    "history",
    "memory",
    "persona",
    "brand",
    "voice",
    "emoji",
    "typo",
    "fix",
    "revert",
    "experiment",
    "variant",
    "baseline",
    "eval",
    "score",
    "regression",
    "hallucination",
    "citation",
    "source",
    "links",
    "search",
    "tool",
    "function",
    "call",
    "schema",
    "validate",
    "output",
];

const AUTHORS: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Edsger Dijkstra", "edsger@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
    ("Donald Knuth", "donald@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
    ("Ken Thompson", "ken@example.com"),
    ("Frances Allen", "frances@example.com"),
];

/// The queries timed, as people type them: a common word, a rare one, two words, a name,
/// an email, a phrase.
const QUERIES: &[&str] = &[
    "refund",
    "hallucination citation",
    "tone shorter",
    "hopper",
    "grace@example.com",
    "\"few shot\"",
    "json",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let marker = args.data_dir.join("seeded");
    if args.reseed || !marker.exists() {
        let _ = std::fs::remove_dir_all(&args.data_dir);
        std::fs::create_dir_all(&args.data_dir)?;
        seed(&args).await?;
        std::fs::write(&marker, "")?;
    }

    // A full rebuild, as at a start-up that finds the index missing.
    let _ = std::fs::remove_dir_all(args.data_dir.join("search-index"));
    let started = Instant::now();
    let vault = Vault::open(&Storage::in_dir(&args.data_dir)).await?;
    vault.search_caught_up().await?;
    let rebuild = started.elapsed();
    let here = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let owner = vault.sign_in(AUTHORS[0].1, "benchmark password", here).await?.0;
    let versions = vault.prompt(&owner, BIG).await?.versions;
    println!("workspace: {} prompts; {BIG}: {versions} versions", vault.prompts(&owner).await?.len());
    println!("index rebuild from the database: {:.1} s", rebuild.as_secs_f64());
    println!();
    println!("{:<44} {:>9} {:>9}", "server-side, over the vault calls", "p50 ms", "p99 ms");

    let deep = Cursor::parse(&encode_before(51))?; // 100,000 / 50: the 2,000th page
    let page = |cursor: Option<Cursor>, search: Option<&str>| PageRequest {
        limit: Some(50),
        cursor,
        search: search.map(str::to_owned),
    };
    let (v, o, runs) = (&vault, &owner, args.runs);
    let first_page = time("history, first page (dashboard)", runs, move |_| async move {
        v.history(o, BIG, page(None, None)).await.map(|p| p.items.len())
    })
    .await?;
    let deep_page = time("history, page 2,000 (dashboard)", runs, move |_| async move {
        v.history(o, BIG, page(Some(deep), None)).await.map(|p| p.items.len())
    })
    .await?;
    time("versions, first page (API, with sources)", runs, move |_| async move {
        v.versions(o, BIG, page(None, None)).await.map(|p| p.items.len())
    })
    .await?;
    time("versions, page 2,000 (API, with sources)", runs, move |_| async move {
        v.versions(o, BIG, page(Some(deep), None)).await.map(|p| p.items.len())
    })
    .await?;
    time("search in the 100,000-version prompt", runs, move |i| async move {
        v.history(o, BIG, page(None, Some(QUERIES[i % QUERIES.len()]))).await.map(|p| p.items.len())
    })
    .await?;
    time("search across the 1,000,000 versions", runs, move |i| async move {
        v.search(o, page(None, Some(QUERIES[i % QUERIES.len()]))).await.map(|p| p.items.len())
    })
    .await?;
    println!();
    println!("search across the workspace, by query:");
    for query in QUERIES {
        time(&format!("  {query}"), runs / 3, move |_| async move {
            v.search(o, page(None, Some(query))).await.map(|p| p.items.len())
        })
        .await?;
    }
    println!();
    println!("page 2,000 / first page (p50): {:.2}", deep_page.as_secs_f64() / first_page.as_secs_f64());
    vault.close().await;
    Ok(())
}

/// Times `call` `runs` times after a warm-up, prints p50 and p99, returns the p50.
async fn time<F, Fut>(what: &str, runs: usize, call: F) -> anyhow::Result<Duration>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = vault::Result<usize>>,
{
    let mut found = 0;
    for i in 0..20 {
        found += call(i).await?;
    }
    anyhow::ensure!(found > 0, "{what}: nothing found");
    let mut timings = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        call(i).await?;
        timings.push(started.elapsed());
    }
    timings.sort();
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{what:<44} {:>9.2} {:>9.2}", ms(at(0.50)), ms(at(0.99)));
    Ok(at(0.50))
}

/// The cursor the server hands out for the page after version `number`.
fn encode_before(number: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("before:{number}"))
}

async fn seed(args: &Args) -> anyhow::Result<()> {
    let vault = Vault::open(&Storage::in_dir(&args.data_dir)).await?;
    let setup = SetUp {
        workspace: "Bench".into(),
        email: AUTHORS[0].1.into(),
        password: "benchmark password".into(),
        name: AUTHORS[0].0.into(),
    };
    let (owner, _) = vault.set_up(setup).await?;
    let mut authors = vec![owner.account_id];
    for (name, email) in &AUTHORS[1..] {
        let member = NewMember {
            email: (*email).into(),
            password: "benchmark password".into(),
            name: (*name).into(),
            role: Role::Editor,
        };
        authors.push(vault.add_member(&owner, member).await?.account_id);
    }
    vault.create_prompt(&owner, BIG).await?;
    for p in 1..args.prompts {
        vault.create_prompt(&owner, &format!("team-{}/prompt-{p:04}", p % 20)).await?;
    }
    vault.close().await;

    let started = Instant::now();
    let total = write_versions(&args.data_dir, args, &authors).await?;
    println!("seeded {total} versions in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Writes every prompt's versions with multi-row inserts, 50,000 rows a transaction.
async fn write_versions(dir: &Path, args: &Args, authors: &[i64]) -> anyhow::Result<i64> {
    let mut conn = sqlx::SqliteConnection::connect(&Vault::sqlite_url(dir)).await?;
    let prompts: Vec<(i64, String)> =
        sqlx::query_as("select id, name from prompts").fetch_all(&mut conn).await?;
    let mut random = Lcg(42);
    let mut total = 0;
    let start_ms = 1_700_000_000_000_i64;
    for (id, name) in prompts {
        let count = if name == BIG { args.big } else { args.each };
        let mut tx = conn.begin().await?;
        for chunk_start in (1..=count).step_by(100) {
            let chunk_end = (chunk_start + 99).min(count);
            let mut sql = String::from(
                "insert into versions (prompt_id, number, status, source, message, author_id, created_at) values ",
            );
            let rows: Vec<String> = (chunk_start..=chunk_end)
                .map(|n| {
                    let message = random.message();
                    let author = authors[random.below(authors.len())];
                    let status = if n % 10 == 0 { "live" } else { "draft" };
                    format!(
                        "({id}, {n}, '{status}', 'You are a helpful assistant. Revision {n}.', '{message}', {author}, {})",
                        start_ms + n * 60_000
                    )
                })
                .collect();
            sql.push_str(&rows.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            if chunk_end % 50_000 == 0 {
                tx.commit().await?;
                tx = conn.begin().await?;
            }
        }
        let live = count - count % 10;
        sqlx::query("update prompts set last_number = $1, live_number = $2 where id = $3")
            .bind(count)
            .bind(live)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        total += count;
    }
    Ok(total)
}

/// A small deterministic generator: the same registry on every machine.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    /// 3 to 8 words, the first capitalised, like a commit message.
    fn message(&mut self) -> String {
        let words = 3 + self.below(6);
        let mut message: Vec<&str> = (0..words).map(|_| WORDS[self.below(WORDS.len())]).collect();
        let first = message[0];
        let capitalised = format!("{}{}", first[..1].to_uppercase(), &first[1..]);
        message[0] = &capitalised;
        message.join(" ")
    }
}
