//! `promptvault import --from-langfuse FILE`: a Langfuse prompt export moved into the token's
//! workspace, with its whole history.

use std::collections::BTreeMap;
use std::path::Path;

use types::{ImportReportJson, ImportedJson};
use vault::LangfuseVersion;

use super::remote::Remote;
use super::{Failure, Outcome};
use crate::api::code::CODE_BODY_LIMIT;

/// Reads and checks the whole export, then sends it: in one request (all of it or none),
/// or, for an export larger than a request may be, prompt by prompt in parts (each all or
/// nothing; running the import again finishes what a failure left).
pub async fn import_from_langfuse(remote: &Remote, path: &Path) -> Result<Outcome, Failure> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::Refused(format!("cannot read {shown}: {e}")))?;
    let export: Vec<LangfuseVersion> = serde_json::from_str(&text).map_err(|e| {
        Failure::Refused(format!(
            "{shown} is not a Langfuse prompt export (a JSON array of prompt versions): {e}"
        ))
    })?;
    vault::check_langfuse_export(&export).map_err(|e| Failure::Refused(format!("{shown}: {e}")))?;
    let parts = parts(export);
    let mut changed = false;
    let (mut added, mut prompts) = (0, 0);
    for part in &parts {
        let report: ImportReportJson =
            remote.post("/manage/imports/langfuse", part).await.map_err(|failure| match failure {
                Failure::Refused(reason) => Failure::Refused(format!("{shown}: {reason}")),
                error => error,
            })?;
        changed |= report.changed;
        for prompt in &report.prompts {
            println!("{}", describe(prompt));
            added += prompt.added.len();
        }
        prompts += report.prompts.len();
    }
    println!("Imported {prompts} prompt(s) from {shown}: {added} version(s) added.");
    Ok(if changed { Outcome::Changed } else { Outcome::NothingToDo })
}

/// The export in requests under the body limit and the vault's count of versions per
/// request: whole prompts in each when they fit in one; a longer history goes in
/// consecutive pieces, oldest first, as the import adds to a history at its end.
fn parts(export: Vec<LangfuseVersion>) -> Vec<Vec<LangfuseVersion>> {
    let mut by_prompt: BTreeMap<String, Vec<LangfuseVersion>> = BTreeMap::new();
    for version in export {
        by_prompt.entry(version.name.clone()).or_default().push(version);
    }
    // Room for the JSON around each version.
    let limit = CODE_BODY_LIMIT - CODE_BODY_LIMIT / 8;
    let max = vault::MAX_ITEMS_PER_WRITE;
    let mut parts: Vec<Vec<LangfuseVersion>> = vec![Vec::new()];
    let mut size = 0;
    for mut versions in by_prompt.into_values() {
        versions.sort_by_key(|v| v.version);
        let sizes: Vec<usize> =
            versions.iter().map(|v| serde_json::to_vec(v).map_or(0, |b| b.len())).collect();
        let total: usize = sizes.iter().sum();
        let count = parts.last().map_or(0, Vec::len);
        let fits_alone = total <= limit && versions.len() <= max;
        if fits_alone && (size + total > limit || count + versions.len() > max) && count > 0 {
            parts.push(Vec::new());
            size = 0;
        }
        for (version, bytes) in versions.into_iter().zip(sizes) {
            let count = parts.last().map_or(0, Vec::len);
            if (size + bytes > limit || count + 1 > max) && count > 0 {
                parts.push(Vec::new());
                size = 0;
            }
            size += bytes;
            if let Some(part) = parts.last_mut() {
                part.push(version);
            }
        }
    }
    parts
}

fn describe(prompt: &ImportedJson) -> String {
    let mut words = Vec::new();
    if prompt.created {
        words.push("created".to_owned());
    }
    if !prompt.added.is_empty() {
        words.push(format!("added {}", prompt.added.join(", ")));
    }
    if !prompt.unchanged.is_empty() {
        words.push(format!("unchanged {}", prompt.unchanged.join(", ")));
    }
    if let Some(live) = &prompt.promoted {
        words.push(format!("live {live}"));
    }
    if let Some(request) = prompt.requested {
        words.push(format!("making the production version live awaits review (request {request})"));
    }
    if let Some(staging) = &prompt.staged {
        words.push(format!("staging {staging}"));
    }
    for (label, version) in &prompt.labelled {
        words.push(format!("{label} {version}"));
    }
    for (label, request) in &prompt.label_requests {
        words.push(format!("moving {label} awaits review (request {request})"));
    }
    if let Some(tags) = &prompt.tagged {
        words.push(if tags.is_empty() {
            "tags cleared".to_owned()
        } else {
            format!("tags {}", tags.join(", "))
        });
    }
    let mut line = format!("{}: {}", prompt.name, words.join(", "));
    if !prompt.left_out.is_empty() {
        line.push_str(&format!("\n  left out: {}", prompt.left_out.join("; ")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_export_goes_in_parts_under_the_count_of_versions_per_request() {
        let version = |name: String| -> LangfuseVersion {
            serde_json::from_value(serde_json::json!({"name": name, "version": 1, "prompt": "text"}))
                .expect("version")
        };
        let export = (0..2_500).map(|n| version(format!("p{n:04}"))).collect();
        let sizes: Vec<usize> = parts(export).iter().map(Vec::len).collect();
        assert_eq!(sizes, [1_000, 1_000, 500]);
    }

    #[test]
    fn a_history_longer_than_a_request_goes_in_consecutive_pieces_oldest_first() {
        let version = |name: &str, number: i64| -> LangfuseVersion {
            serde_json::from_value(serde_json::json!({"name": name, "version": number, "prompt": "text"}))
                .expect("version")
        };
        // 2,300 versions of one prompt, given newest first, beside two short prompts.
        let mut export: Vec<LangfuseVersion> = (1..=2_300).rev().map(|n| version("long", n)).collect();
        export.push(version("a-short", 1));
        export.push(version("z-short", 1));
        let parts = parts(export);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [1_000, 1_000, 302]);
        let long: Vec<i64> = parts.iter().flatten().filter(|v| v.name == "long").map(|v| v.version).collect();
        assert_eq!(long, (1..=2_300).collect::<Vec<_>>(), "oldest first, none left out");
    }
}
