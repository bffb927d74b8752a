//! Seeds a realistic registry for the read benchmark: 1,000 prompts with 2 KB sources and
//! histories of 100 versions (v95 live, v100 a staged draft, the workspace's label `eu` on
//! v90), a live and a test key and a key of `eu`. Writes the wrk scripts that request every
//! prompt with the live and test keys (`requests.lua`), with the `eu` key
//! (`requests-label.lua`), and the bundle of every prompt (`bundle.lua`); and a sample
//! response body for the baseline server.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Parser;
use vault::{ChangeRule, Fallback, KeyKind, NewDraft, NewLabel, SetUp, SettingsPatch, Vault, VersionNumber};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data_dir: PathBuf,
    #[arg(long, default_value_t = 1000)]
    prompts: usize,
    #[arg(long, default_value_t = 100)]
    versions: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.data_dir)?;
    let vault = Vault::open(&vault::Storage::in_dir(&args.data_dir)).await?;
    let setup = SetUp {
        workspace: "Bench".into(),
        email: "bench@example.com".into(),
        password: "benchmark password".into(),
        name: "Bench".into(),
    };
    let (owner, _) = vault.set_up(setup).await?;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await?;
    let live_key = vault.create_api_key(&owner, KeyKind::Live, "bench live").await?.token;
    let test_key = vault.create_api_key(&owner, KeyKind::Test, "bench test").await?.token;
    let eu = NewLabel {
        name: "eu".into(),
        protected: true,
        rule: ChangeRule::Editors,
        fallback: Some(Fallback::Live),
    };
    vault.create_label(&owner, eu).await?;
    let eu_key = vault.create_label_key(&owner, KeyKind::Live, "bench eu", Some("eu")).await?.token;

    let mut names = Vec::with_capacity(args.prompts);
    for p in 0..args.prompts {
        let name = format!("team-{}/prompt-{p:04}", p % 20);
        vault.create_prompt(&owner, &name).await?;
        for v in 1..=args.versions {
            let draft = NewDraft::text(source(p, v), format!("revision {v}"));
            vault.save_draft(&owner, &name, draft).await?;
        }
        vault.promote(&owner, &name, VersionNumber::new(args.versions - 5)?).await?;
        vault.set_staging(&owner, &name, Some(VersionNumber::new(args.versions)?)).await?;
        vault.move_label(&owner, &name, "eu", Some(VersionNumber::new(args.versions - 10)?)).await?;
        names.push(name);
        if (p + 1) % 100 == 0 {
            eprintln!("seeded {} prompts", p + 1);
        }
    }

    // The wrk script: every prompt with both keys, round robin; with IF_NONE_MATCH set, each
    // request carries the ETag the server will answer, so every answer is a 304.
    let mut lua = String::from("local requests = {}\n");
    for name in &names {
        for key in [&live_key, &test_key] {
            let served = vault.read_prompt(key, name, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let path = format!("/v1/prompts/{}", name.replace('/', "%2F"));
            writeln!(
                lua,
                "requests[#requests + 1] = {{ path = {path:?}, key = {key:?}, etag = {:?} }}",
                served.etag
            )?;
        }
    }
    lua.push_str(WRK_SCRIPT);
    std::fs::write(args.data_dir.join("requests.lua"), lua)?;

    // The same prompts read through the label `eu`.
    let mut lua = String::from("local requests = {}\n");
    for name in &names {
        let served = vault.read_prompt(&eu_key, name, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let path = format!("/v1/prompts/{}", name.replace('/', "%2F"));
        writeln!(
            lua,
            "requests[#requests + 1] = {{ path = {path:?}, key = {eu_key:?}, etag = {:?} }}",
            served.etag
        )?;
    }
    lua.push_str(WRK_SCRIPT);
    std::fs::write(args.data_dir.join("requests-label.lua"), lua)?;

    // The bundle: every prompt the live key reads, in one response.
    let bundle = vault.read_bundle(&live_key).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let lua = format!(
        "local requests = {{ {{ path = \"/v1/prompts\", key = {live_key:?}, etag = {:?} }} }}\n{WRK_SCRIPT}",
        bundle.etag
    );
    std::fs::write(args.data_dir.join("bundle.lua"), lua)?;
    eprintln!("the bundle holds {} prompts, {} bytes", bundle.len(), bundle.body().len());

    let sample = vault.read_prompt(&live_key, &names[0], None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::write(args.data_dir.join("body.json"), &sample.body)?;
    println!(
        "seeded {} prompts x {} versions; sample body {} bytes",
        names.len(),
        args.versions,
        sample.body.len()
    );
    vault.close().await;
    Ok(())
}

/// About 2 KB of prompt text, different per prompt and version.
fn source(prompt: usize, version: i64) -> String {
    let mut text = format!("You are assistant {prompt}, revision {version}. Follow these rules:\n");
    let mut rule = 1;
    while text.len() < 2048 {
        let _ = writeln!(
            text,
            "{rule}. Answer the customer's question about topic {} clearly and briefly.",
            (prompt + rule) % 97
        );
        rule += 1;
    }
    text
}

const WRK_SCRIPT: &str = r#"
local i = 0
local not_modified = os.getenv("IF_NONE_MATCH") ~= nil
request = function()
  i = (i % #requests) + 1
  local r = requests[i]
  local headers = { ["Authorization"] = "Bearer " .. r.key }
  if not_modified then headers["If-None-Match"] = r.etag end
  return wrk.format("GET", r.path, headers)
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 and status ~= 304 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.0f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"#;
