//! `promptvault prompts rollout NAME [--label L] [start|set|complete|abort]`: a label's
//! rollout, shown or steered; and `promptvault prompts fleet [NAME]`: what the applications
//! serve.

use types::fleet::FleetJson;
use types::rollouts::{GuardJson, RolloutJson, StepJson};

use super::remote::segment;
use super::{Failure, Outcome, Remote};

/// What to do with the rollout (nothing: show it).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum RolloutAction {
    /// Start rolling VERSION (a draft is published) out at --percent of units.
    Start {
        /// The new version (`4` or `v4`).
        version: String,
        /// The share of units that reads it first (steps of 0.01).
        #[arg(long, default_value_t = 10.0)]
        percent: f64,
        /// The shares to come, comma-separated (`25,50,100`), one every --every minutes.
        #[arg(long, value_delimiter = ',')]
        ramp: Vec<f64>,
        /// Minutes between the ramp's steps.
        #[arg(long, default_value_t = 30)]
        every: u32,
        /// Abort by itself when the new version fails more often than the old one by more
        /// than this many points (`2`: two percentage points) …
        #[arg(long)]
        max_failure_increase: Option<f64>,
        /// … once it has been used at least this many times.
        #[arg(long, default_value_t = 500, requires = "max_failure_increase")]
        min_uses: u64,
        /// Under review: ask for it, with this note for the reviewer.
        #[arg(long, value_name = "NOTE")]
        request: Option<String>,
    },
    /// Set the share of units that read the new version.
    Set {
        percent: f64,
        /// Under review: ask for it, with this note for the reviewer.
        #[arg(long, value_name = "NOTE")]
        request: Option<String>,
    },
    /// Complete it: the label points at the new version.
    Complete {
        /// Under review: ask for it, with this note for the reviewer.
        #[arg(long, value_name = "NOTE")]
        request: Option<String>,
    },
    /// Abort it: the label reads its old version alone.
    Abort {
        /// Why, for the record.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Shows or steers the rollout of `label` of prompt `name`.
pub async fn rollout(
    remote: &Remote,
    name: &str,
    label: &str,
    action: Option<RolloutAction>,
) -> Result<Outcome, Failure> {
    let path = format!("/manage/prompts/{}/labels/{}/rollout", segment(name), segment(label));
    let rollout: RolloutJson = match action {
        None => {
            let rollout = remote.get(&path).await?;
            print(&rollout);
            return Ok(Outcome::Done);
        }
        Some(RolloutAction::Start {
            version,
            percent,
            ramp,
            every,
            max_failure_increase,
            min_uses,
            request,
        }) => {
            let number: u64 = version.trim_start_matches('v').parse().map_err(|_| {
                Failure::Refused(format!("VERSION is a version number (4 or v4), not {version:?}"))
            })?;
            let schedule: Vec<StepJson> =
                ramp.into_iter().map(|percent| StepJson { percent, after_minutes: every }).collect();
            let guard = max_failure_increase
                .map(|points| GuardJson { max_failure_increase: points / 100.0, min_uses });
            let body = serde_json::json!({ "version": number, "percent": percent, "schedule": schedule, "guard": guard });
            match request {
                Some(note) => return ask(remote, &format!("{path}/request"), with_note(body, note)).await,
                None => remote.post(&path, &body).await?,
            }
        }
        Some(RolloutAction::Set { percent, request }) => match request {
            Some(note) => {
                let running: RolloutJson = remote.get(&path).await?;
                let body = serde_json::json!({ "version": running.to, "percent": percent, "note": note });
                return ask(remote, &format!("{path}/request"), body).await;
            }
            None => remote.patch(&path, &serde_json::json!({ "percent": percent })).await?,
        },
        Some(RolloutAction::Complete { request }) => match request {
            Some(note) => {
                // Completing under review is a request to move the label onto the new version.
                let running: RolloutJson = remote.get(&path).await?;
                let action = if label == "live" { "promote" } else { "move" };
                let body = serde_json::json!({ "action": action, "version": running.to, "label": label, "note": note });
                return ask(remote, &format!("/manage/prompts/{}/requests", segment(name)), body).await;
            }
            None => remote.post(&format!("{path}/complete"), &serde_json::json!({})).await?,
        },
        Some(RolloutAction::Abort { reason }) => {
            remote.post(&format!("{path}/abort"), &serde_json::json!({ "reason": reason })).await?
        }
    };
    print(&rollout);
    Ok(Outcome::Changed)
}

/// Opens a request; prints it.
async fn ask(remote: &Remote, path: &str, body: serde_json::Value) -> Result<Outcome, Failure> {
    let request: types::RequestJson = remote.post(path, &body).await?;
    println!(
        "requested (request {}): another member approves it in the dashboard or with the API",
        request.id
    );
    Ok(Outcome::Changed)
}

fn with_note(mut body: serde_json::Value, note: String) -> serde_json::Value {
    body["note"] = note.into();
    body
}

fn print(rollout: &RolloutJson) {
    let RolloutJson { prompt, label, from, to, percent, state, .. } = rollout;
    match state.as_str() {
        "running" => {
            println!("{prompt} {label}: rolling {to} out, {percent} % of units read it, the rest {from}")
        }
        "completed" => println!("{prompt} {label}: the rollout of {to} completed; {label} is on {to}"),
        _ => println!(
            "{prompt} {label}: the rollout of {to} was aborted{}; {label} reads {from}",
            rollout
                .reason
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    }
    for step in &rollout.schedule {
        println!("  then {} % after {} minutes", step.percent, step.after_minutes);
    }
    if let Some(guard) = &rollout.guard {
        println!(
            "  stops by itself if {to} fails more than {} points more often than {from}, after {} uses",
            guard.max_failure_increase * 100.0,
            guard.min_uses
        );
    }
}

/// Prints what the applications serve (of prompt `name`, or every prompt used).
pub async fn fleet(remote: &Remote, name: Option<&str>) -> Result<Outcome, Failure> {
    let path = match name {
        Some(name) => format!(
            "/manage/fleet?prompt={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        ),
        None => "/manage/fleet".to_owned(),
    };
    let fleet: FleetJson = remote.get(&path).await?;
    if fleet.items.iter().all(|item| item.versions.is_empty()) {
        println!("No application has reported in the last hour.");
    }
    for item in fleet.items.iter().filter(|item| !item.versions.is_empty()) {
        println!("{} {} (on {}):", item.prompt, item.label, item.version.as_deref().unwrap_or("nothing"));
        for v in &item.versions {
            println!(
                "  {}: {} instances now, {} in 5 min; {} uses in 5 min, {} in 60 ({} failed)",
                v.version, v.instances_now, v.instances, v.uses_5m, v.uses_60m, v.failures_60m
            );
        }
        for s in &item.stale {
            println!("  still on {}: {} {} (last seen {})", s.version, s.app, s.instance, s.last_seen);
        }
    }
    Ok(Outcome::Done)
}
