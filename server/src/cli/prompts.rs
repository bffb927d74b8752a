//! `promptvault prompts pull|push|diff DIR`: a folder of prompt files kept next to the code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use types::{Body, PromptType, PushAction, PushReportJson, PushedJson, VersionJson};

use super::file::{self, Content, Pulled};
use super::folder;
use super::remote::{Remote, segment};
use super::{Failure, Outcome, printable};
use crate::api::code::{CODE_BODY_LIMIT, PromptFileJson, PushRequest};
use crate::api::dto::{Items, PromptJson};

/// Which version of each prompt `pull` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PullChannel {
    /// The live version; prompts with none are skipped.
    Live,
    /// The staged version; prompts with none are skipped.
    Staging,
    /// The newest version, draft or published.
    Latest,
}

/// Writes one file per prompt of the token's workspace (whose name starts with `prefix`).
/// Every version is fetched before any file is written, so a server that fails mid-way
/// leaves the folder as it was.
pub async fn pull(
    remote: &Remote,
    dir: &Path,
    channel: PullChannel,
    prefix: Option<&str>,
) -> Result<Outcome, Failure> {
    let prompts: Items<PromptJson> = remote.get("/manage/prompts").await?;
    let wanted: Vec<&PromptJson> =
        prompts.items.iter().filter(|p| prefix.is_none_or(|prefix| p.name.starts_with(prefix))).collect();
    // Every name is checked before anything is fetched or written: one bad name refuses all.
    let paths = wanted
        .iter()
        .map(|prompt| folder::path_of(dir, &prompt.name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::Refused)?;
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    for (prompt, path) in wanted.into_iter().zip(paths) {
        let Some(version) = chosen(remote, prompt, channel).await? else {
            skipped.push(prompt.name.as_str());
            continue;
        };
        let version: VersionJson = remote
            .get(&format!("/manage/prompts/{}/versions/{}", segment(&prompt.name), segment(&version)))
            .await?;
        let pulled =
            Pulled { version: Some(version.version.clone()), message: Some(version.message.clone()) };
        let text = file::render(&content_of(version, &prompt.tags), &pulled);
        files.push((path, text, &prompt.name, pulled.version.unwrap_or_default()));
    }
    // Checked for every file first, so that a refused pull writes nothing.
    for (path, ..) in &files {
        folder::refuse_links(dir, path)
            .map_err(|e| Failure::Error(format!("cannot write {}: {e}", path.display())))?;
    }
    for (path, text, name, version) in &files {
        folder::write_under(dir, path, text)
            .map_err(|e| Failure::Error(format!("cannot write {}: {e}", path.display())))?;
        println!("{} ← {name} {}", shown(path), printable(version));
    }
    if !skipped.is_empty() {
        let channel = format!("{channel:?}").to_lowercase();
        println!("Skipped, without a {channel} version: {}", skipped.join(", "));
    }
    println!("Pulled {} prompt(s) into {}", files.len(), dir.display());
    Ok(Outcome::Done)
}

/// The version of `prompt` the channel names, if it has one.
async fn chosen(
    remote: &Remote,
    prompt: &PromptJson,
    channel: PullChannel,
) -> Result<Option<String>, Failure> {
    Ok(match channel {
        PullChannel::Live => prompt.live.clone(),
        PullChannel::Staging => prompt.staging.clone(),
        PullChannel::Latest if prompt.versions == 0 => None,
        PullChannel::Latest => {
            let newest: Items<VersionJson> =
                remote.get(&format!("/manage/prompts/{}/versions?limit=1", segment(&prompt.name))).await?;
            newest.items.into_iter().next().map(|v| v.version)
        }
    })
}

/// A version's content as a file holds it.
fn content_of(version: VersionJson, tags: &[String]) -> Content {
    let body = match version.kind {
        PromptType::Text => Body::Text(version.source.unwrap_or_default()),
        PromptType::Chat => Body::Chat(version.messages.unwrap_or_default()),
    };
    Content { body, config: version.config.unwrap_or_default(), tags: Some(tags.to_vec()) }
}

/// What `push` is asked to do besides saving drafts.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    pub stage: bool,
    pub promote: bool,
    /// Labels of the workspace's own to move to each file's version.
    pub labels: Vec<String>,
    pub dry_run: bool,
}

/// Pushes every prompt file under `dir`: all of them are read and checked before one
/// request carries them all; the server applies all of it or nothing.
pub async fn push(
    remote: &Remote,
    dir: &Path,
    message: &str,
    options: PushOptions,
) -> Result<Outcome, Failure> {
    let files = read_folder(dir)?;
    let report = send(remote, &files, message, &options).await?;
    for pushed in &report.prompts {
        println!("{}: {}", shown(&files[&pushed.name].path), describe(pushed));
    }
    let changed = report.prompts.iter().filter(|p| !p.steps.is_empty()).count();
    let unchanged = report.prompts.len() - changed;
    if report.dry_run {
        println!("Dry run: {changed} prompt(s) would change, {unchanged} unchanged; nothing was saved.");
    } else {
        println!("Pushed {} file(s): {changed} changed, {unchanged} unchanged.", report.prompts.len());
    }
    Ok(if report.changed { Outcome::Changed } else { Outcome::NothingToDo })
}

/// Prints, as a unified diff, what a push of `dir` would change (a dry run on the server).
pub async fn diff(remote: &Remote, dir: &Path) -> Result<Outcome, Failure> {
    let files = read_folder(dir)?;
    let options = PushOptions { dry_run: true, ..PushOptions::default() };
    let report = send(remote, &files, "diff", &options).await?;
    let mut differs = false;
    for pushed in report.prompts.iter().filter(|p| p.steps.iter().any(|s| s.action == PushAction::Saved)) {
        differs = true;
        let local = &files[&pushed.name];
        let (old, label) = match &pushed.previous {
            Some(previous) => {
                let label = format!("{} {}", pushed.name, previous.version);
                // The same tags on both sides: this diff is of the content (tags show as `tagged`).
                let mut content = content_of(previous.clone(), &[]);
                content.tags = local.content.tags.clone();
                (file::render(&content, &Pulled::default()), label)
            }
            None => (String::new(), "/dev/null".to_owned()),
        };
        let new = file::render(&local.content, &Pulled::default());
        let diff = similar::TextDiff::from_lines(&old, &new);
        print!("{}", diff.unified_diff().context_radius(3).header(&label, &shown(&local.path)));
    }
    Ok(if differs { Outcome::Changed } else { Outcome::NothingToDo })
}

/// A prompt file read from a folder.
struct LocalFile {
    path: PathBuf,
    content: Content,
}

/// Every prompt file under `dir`, by prompt name, each checked by the rules a version
/// follows; every problem is reported, and none is sent while there is one.
fn read_folder(dir: &Path) -> Result<BTreeMap<String, LocalFile>, Failure> {
    let found =
        folder::find(dir).map_err(|e| Failure::Refused(format!("cannot read {}: {e}", dir.display())))?;
    if found.is_empty() {
        let shown = dir.display();
        return Err(Failure::Refused(format!("{shown} holds no prompt files (*.{})", file::EXTENSION)));
    }
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, name) in found {
        match read_file(&path, &name) {
            Ok(content) => {
                files.insert(name, LocalFile { path, content });
            }
            Err(problem) => problems.push(format!("{}: {problem}", shown(&path))),
        }
    }
    if !problems.is_empty() {
        let count = problems.len();
        return Err(Failure::Refused(format!(
            "{count} file(s) cannot be pushed:\n  {}",
            problems.join("\n  ")
        )));
    }
    Ok(files)
}

fn read_file(path: &Path, name: &str) -> Result<Content, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let (content, _) = file::parse(&text)?;
    let config = Some(Value::Object(content.config.clone()));
    let checked = vault::PromptFile {
        name: name.to_owned(),
        kind: content.body.kind(),
        body: content.body.clone().into(),
        config,
        tags: content.tags.clone(),
    };
    checked.check().map_err(|e| e.to_string())?;
    Ok(content)
}

async fn send(
    remote: &Remote,
    files: &BTreeMap<String, LocalFile>,
    message: &str,
    options: &PushOptions,
) -> Result<PushReportJson, Failure> {
    let prompts = files.iter().map(|(name, file)| prompt_json(name, &file.content)).collect();
    let mut report = PushReportJson { dry_run: options.dry_run, changed: false, prompts: Vec::new() };
    for prompts in push_parts(prompts) {
        let request = PushRequest {
            message: message.to_owned(),
            prompts,
            stage: options.stage,
            promote: options.promote,
            labels: options.labels.clone(),
            dry_run: options.dry_run,
        };
        let part: PushReportJson =
            remote.post("/manage/push", &request).await.map_err(|failure| naming_files(failure, files))?;
        report.changed |= part.changed;
        report.prompts.extend(part.prompts);
    }
    Ok(report)
}

/// The files in requests under the body limit and the vault's count of files per write,
/// in name order. A request is all or nothing; a folder that needs several is pushed part
/// by part: a refused part leaves the parts before it pushed, and pushing again finishes
/// (a file the server already holds changes nothing).
fn push_parts(prompts: Vec<PromptFileJson>) -> Vec<Vec<PromptFileJson>> {
    // Room for the JSON around the files.
    let limit = CODE_BODY_LIMIT - CODE_BODY_LIMIT / 8;
    let mut parts: Vec<Vec<PromptFileJson>> = vec![Vec::new()];
    let mut size = 0;
    for prompt in prompts {
        let bytes = serde_json::to_vec(&prompt).map_or(0, |b| b.len());
        let count = parts.last().map_or(0, Vec::len);
        if (size + bytes > limit || count + 1 > vault::MAX_ITEMS_PER_WRITE) && count > 0 {
            parts.push(Vec::new());
            size = 0;
        }
        size += bytes;
        if let Some(part) = parts.last_mut() {
            part.push(prompt);
        }
    }
    parts
}

fn prompt_json(name: &str, content: &Content) -> PromptFileJson {
    let (source, messages) = match &content.body {
        Body::Text(text) => (Some(text.clone()), None),
        Body::Chat(messages) => (None, serde_json::to_value(messages).ok()),
    };
    PromptFileJson {
        name: name.to_owned(),
        kind: Some(content.body.kind().as_str().to_owned()),
        source,
        messages,
        config: Some(Value::Object(content.config.clone())),
        tags: content.tags.clone(),
    }
}

/// A server refusal that names a prompt, with the prompt's file named first.
fn naming_files(failure: Failure, files: &BTreeMap<String, LocalFile>) -> Failure {
    let Failure::Refused(reason) = failure else { return failure };
    // The server says `field: prompt: …` or `prompt …`; the longest name that fits wins
    // (`support/triage-v2` before `support/triage`).
    let about = |name: &str| {
        reason.starts_with(name) || reason.split_once(": ").is_some_and(|(_, rest)| rest.starts_with(name))
    };
    let named = files.iter().filter(|(name, _)| about(name)).max_by_key(|(name, _)| name.len());
    match named {
        Some((_, file)) => Failure::Refused(format!("{}: {reason}", shown(&file.path))),
        None => Failure::Refused(reason),
    }
}

/// One prompt's line of the push's report.
fn describe(pushed: &PushedJson) -> String {
    if pushed.steps.is_empty() {
        return match pushed.awaiting_review {
            Some(request) => {
                format!("unchanged ({}); promotion awaiting review (request {request})", pushed.version)
            }
            None => format!("unchanged ({})", pushed.version),
        };
    }
    let steps: Vec<String> = pushed
        .steps
        .iter()
        .map(|step| match (step.action, &step.version, step.request) {
            (PushAction::Saved, Some(v), _) => format!("saved {v} (draft)"),
            (PushAction::Requested, Some(v), Some(request)) => match &step.label {
                Some(label) => {
                    format!("move of {label} to {v} requested (request {request}, awaiting review)")
                }
                None => format!("promotion of {v} requested (request {request}, awaiting review)"),
            },
            (PushAction::Labelled, Some(v), _) => {
                format!("{} on {v}", step.label.as_deref().unwrap_or("a label"))
            }
            (action, Some(v), _) => format!("{action} {v}"),
            (action, None, _) => action.as_str().to_owned(),
        })
        .collect();
    steps.join(", ")
}

/// A path as the user gave it (relative paths stay relative).
fn shown(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: String, source: String) -> PromptFileJson {
        PromptFileJson {
            name,
            kind: Some("text".into()),
            source: Some(source),
            messages: None,
            config: None,
            tags: None,
        }
    }

    #[test]
    fn a_big_folder_goes_in_parts_under_the_count_and_the_body_limit_in_name_order() {
        let many = (0..2_500).map(|n| text(format!("p{n:04}"), "hi".into())).collect();
        let parts = push_parts(many);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [1_000, 1_000, 500]);
        assert_eq!((parts[1][0].name.as_str(), parts[2][499].name.as_str()), ("p1000", "p2499"));
        // Twenty files of a megabyte: no request over the body limit.
        let big = (0..20).map(|n| text(format!("big{n:02}"), "x".repeat(1024 * 1024))).collect();
        let parts = push_parts(big);
        assert!(parts.len() >= 2 && parts.iter().all(|part| part.len() * 1024 * 1024 < CODE_BODY_LIMIT));
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 20);
    }
}
