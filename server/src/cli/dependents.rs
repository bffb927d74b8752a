//! `promptvault prompts dependents NAME [--update [--publish]]`: where a prompt is included,
//! and updating the prompts whose live version pins an older version of it.

use types::{DependentJson, Items, UpdatedDependentJson};

use super::remote::segment;
use super::{Failure, Outcome, Remote};

/// Prints the prompts that include `name`, per label with the version of `name` each pins;
/// with `update`, makes a new version of each one behind (drafts, or live with `publish`).
pub async fn dependents(
    remote: &Remote,
    name: &str,
    update: bool,
    publish: bool,
) -> Result<Outcome, Failure> {
    let path = format!("/manage/prompts/{}/dependents", segment(name));
    if !update {
        let used: Items<DependentJson> = remote.get(&path).await?;
        if used.items.is_empty() {
            println!("No prompt includes {name}.");
        }
        for dependent in &used.items {
            let labels: Vec<String> = dependent
                .labels
                .iter()
                .map(|l| format!("{} {} pins {}", l.label, l.version, l.pins))
                .collect();
            let behind = if dependent.behind { "  (behind)" } else { "" };
            println!("{}: {}{behind}", dependent.prompt, labels.join(", "));
        }
        return Ok(Outcome::Done);
    }
    let body = serde_json::json!({ "publish": publish });
    let updated: Items<UpdatedDependentJson> = remote.post(&format!("{path}/update"), &body).await?;
    for item in &updated.items {
        match (&item.to, &item.skipped) {
            (Some(to), _) => {
                let how = if item.published { "live" } else { "a draft" };
                println!("{}: {} → {to} ({how})", item.prompt, item.from);
            }
            (None, Some(why)) => println!("{}: left at {} ({why})", item.prompt, item.from),
            (None, None) => println!("{}: left at {}", item.prompt, item.from),
        }
    }
    let changed = updated.items.iter().any(|item| item.to.is_some());
    if !changed {
        println!("Every prompt that includes {name} pins its live version already.");
    }
    Ok(if changed { Outcome::Changed } else { Outcome::NothingToDo })
}
