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
    },
    /// Set the share of units that read the new version.
    Set { percent: f64 },
    /// Complete it: the label points at the new version.
    Complete,
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
        Some(RolloutAction::Start { version, percent, ramp, every, max_failure_increase, min_uses }) => {
            let number: u64 = version.trim_start_matches('v').parse().map_err(|_| {
                Failure::Refused(format!("VERSION is a version number (4 or v4), not {version:?}"))
            })?;
            let schedule: Vec<StepJson> =
                ramp.into_iter().map(|percent| StepJson { percent, after_minutes: every }).collect();
            let guard = max_failure_increase
                .map(|points| GuardJson { max_failure_increase: points / 100.0, min_uses });
            let body = serde_json::json!({ "version": number, "percent": percent, "schedule": schedule, "guard": guard });
            remote.post(&path, &body).await?
        }
        Some(RolloutAction::Set { percent }) => {
            remote.patch(&path, &serde_json::json!({ "percent": percent })).await?
        }
        Some(RolloutAction::Complete) => {
            remote.post(&format!("{path}/complete"), &serde_json::json!({})).await?
        }
        Some(RolloutAction::Abort { reason }) => {
            remote.post(&format!("{path}/abort"), &serde_json::json!({ "reason": reason })).await?
        }
    };
    print(&rollout);
    Ok(Outcome::Changed)
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
