//! The diff view: a version against another (by default the one before it), side by side,
//! with line numbers, changed lines paired, changed words marked, and unchanged stretches
//! folded behind a button that unfolds them. A chat prompt is compared message by message
//! (added, removed, changed with its words marked), and the config key by key.

use leptos::prelude::*;
use leptos_router::components::Form;

use super::{ErrorNote, Loading};
use types::diff::{ConfigChange, DiffRow, DiffSide, MessageChange};
use types::{ChatMessage, DiffJson};

use crate::api::{self, VersionRow};

/// The panel under version `to`'s row. `against` is the version chosen to compare with.
#[component]
pub(super) fn DiffPanel(
    name: String,
    to: i64,
    against: Option<i64>,
    versions: Vec<VersionRow>,
    page: String,
    /// Query parameters to carry through the "Compare" form (the open draft).
    keep: Vec<(&'static str, String)>,
) -> impl IntoView {
    let diff =
        Resource::new(move || (name.clone(), to, against), |(name, to, from)| api::load_diff(name, to, from));
    let choices = versions.into_iter().filter(|v| v.number != to).collect::<Vec<_>>();
    view! {
        <div class="diff-panel">
            <Form method="GET" action=page>
                {keep.into_iter().map(|(key, value)| view! { <input type="hidden" name=key value=value/> }).collect_view()}
                <input type="hidden" name="diff" value=to/>
                <div class="row">
                    <label>"Compare v"{to}" with"
                        <select name="against">
                            {choices.into_iter().map(|v| {
                                let selected = against == Some(v.number);
                                view! { <option value=v.number selected=selected>{v.label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="small">"Compare"</button>
                </div>
            </Form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match diff.await {
                        Ok(diff) => view! { <DiffTable diff/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub(super) fn DiffTable(diff: DiffJson) -> impl IntoView {
    let from = diff.from.unwrap_or_else(|| "nothing".to_owned());
    let unit = if diff.messages.is_some() { "messages" } else { "lines" };
    let body = match diff.messages {
        Some(changes) => view! { <ChatDiff changes/> }.into_any(),
        None => rows_table(diff.rows).into_any(),
    };
    let config = diff.config;
    let pins = (!diff.pins.is_empty()).then(|| {
        let lines = diff.pins.into_iter().map(|pin| {
            let from = pin.from.unwrap_or_else(|| "nothing".to_owned());
            let to = pin.to.unwrap_or_else(|| "nothing".to_owned());
            view! { <li class="pin-change"><code>{pin.prompt}</code>" "{from}" → "{to}</li> }
        });
        view! {
            <ul class="pin-changes" aria-label="Included prompts">{lines.collect_view()}</ul>
        }
    });
    view! {
        <p class="diff-summary">
            <span class="added">"+"{diff.added}</span>" "<span class="removed">"−"{diff.removed}</span>
            " "{unit}", from "{from}" to "{diff.to}
        </p>
        {pins}
        {body}
        {(!config.is_empty()).then(|| view! { <ConfigDiff changes=config/> })}
    }
}

fn rows_table(rows: Vec<DiffRow>) -> impl IntoView {
    view! {
        <table class="diff">
            <tbody>
                {rows.into_iter().map(|row| view! { <DiffRowLines row/> }).collect_view()}
            </tbody>
        </table>
    }
}

/// A chat prompt's messages side by side with the other version's: unchanged ones folded,
/// added and removed ones whole, changed ones as a line diff of their content. People count
/// messages from 1; the diff's indexes start at 0.
#[component]
fn ChatDiff(changes: Vec<MessageChange>) -> impl IntoView {
    view! {
        <ol class="chat-diff">
            {changes.into_iter().map(|change| match change {
                MessageChange::Same { new_index, message, .. } => view! {
                    <li class="msg same">
                        <details>
                            <summary>{format!("Message {}, unchanged: ", new_index + 1)}{describe(&message)}</summary>
                            <pre class="preview-text">{content(&message)}</pre>
                        </details>
                    </li>
                }.into_any(),
                MessageChange::Added { new_index, message } => view! {
                    <li class="msg added">
                        <p class="msg-head"><span class="added">"+ "</span>{format!("Message {}, added: ", new_index + 1)}{describe(&message)}</p>
                        <pre class="preview-text added">{content(&message)}</pre>
                    </li>
                }.into_any(),
                MessageChange::Removed { old_index, message } => view! {
                    <li class="msg removed">
                        <p class="msg-head"><span class="removed">"− "</span>{format!("Message {}, removed: ", old_index + 1)}{describe(&message)}</p>
                        <pre class="preview-text removed">{content(&message)}</pre>
                    </li>
                }.into_any(),
                MessageChange::Changed { old_index, new_index, old_role, new_role, diff } => {
                    let (old, new) = (old_index + 1, new_index + 1);
                    let role = if old_role == new_role {
                        old_role.as_str().to_owned()
                    } else {
                        format!("{} → {}", old_role.as_str(), new_role.as_str())
                    };
                    let place = if old == new { format!("Message {new}") } else { format!("Message {old} → {new}") };
                    view! {
                        <li class="msg changed">
                            <p class="msg-head">{format!("{place}, changed: ")}<span class="badge kind">{role}</span></p>
                            {rows_table(diff.rows)}
                        </li>
                    }.into_any()
                }
            }).collect_view()}
        </ol>
    }
}

/// A message's role, or that it is a placeholder and its name.
fn describe(message: &ChatMessage) -> impl IntoView + use<> {
    match message {
        ChatMessage::Message { role, .. } => {
            view! { <span class="badge kind">{role.as_str()}</span> }.into_any()
        }
        ChatMessage::Placeholder { name } => {
            view! { <span>"placeholder "<code>{name.clone()}</code></span> }.into_any()
        }
    }
}

fn content(message: &ChatMessage) -> String {
    match message {
        ChatMessage::Message { content, .. } => content.clone(),
        ChatMessage::Placeholder { .. } => "(the application's messages)".to_owned(),
    }
}

/// The config's keys that differ: before and after, as JSON.
#[component]
fn ConfigDiff(changes: Vec<ConfigChange>) -> impl IntoView {
    let shown = |value: Option<serde_json::Value>, class: &'static str| match value {
        Some(json) => {
            view! { <td class=format!("text {class}")><code>{json.to_string()}</code></td> }.into_any()
        }
        None => view! { <td class="text empty">"(absent)"</td> }.into_any(),
    };
    view! {
        <table class="config-diff">
            <caption>"Config"</caption>
            <thead><tr><th scope="col">"Key"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
            <tbody>
                {changes.into_iter().map(|c| view! {
                    <tr><th scope="row"><code>{c.key}</code></th>{shown(c.old, "removed")}{shown(c.new, "added")}</tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn DiffRowLines(row: DiffRow) -> impl IntoView {
    match row {
        DiffRow::Same { old_line, new_line, text } => same(old_line, new_line, text).into_any(),
        DiffRow::Changed { old, new } => view! {
            <tr class="changed">{side(old, "removed")}{side(new, "added")}</tr>
        }
        .into_any(),
        DiffRow::Folded { old_line, new_line, lines } => {
            view! { <Folded old_line new_line lines/> }.into_any()
        }
    }
}

fn same(old_line: usize, new_line: usize, text: String) -> impl IntoView {
    view! {
        <tr class="same">
            <td class="num">{old_line}</td><td class="text">{text.clone()}</td>
            <td class="num">{new_line}</td><td class="text">{text}</td>
        </tr>
    }
}

fn side(side: Option<DiffSide>, class: &'static str) -> impl IntoView {
    match side {
        None => view! { <td class="num"></td><td class="text empty"></td> }.into_any(),
        Some(side) => view! {
            <td class="num">{side.line}</td>
            <td class=format!("text {class}")>
                {side.segments.into_iter().map(|segment| if segment.changed {
                    view! { <mark>{segment.text}</mark> }.into_any()
                } else {
                    view! { <span>{segment.text}</span> }.into_any()
                }).collect_view()}
                {side.no_newline.then(|| view! { <span class="no-newline">" ⏎ no newline at end"</span> })}
            </td>
        }
        .into_any(),
    }
}

/// Unchanged lines, folded until asked for.
#[component]
fn Folded(old_line: usize, new_line: usize, lines: Vec<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    let count = lines.len();
    let lines = StoredValue::new(lines);
    view! {
        {move || if open.get() {
            lines.get_value().into_iter().enumerate()
                .map(|(i, text)| same(old_line + i, new_line + i, text).into_any())
                .collect_view()
                .into_any()
        } else {
            view! {
                <tr class="folded"><td colspan="4">
                    <button type="button" class="quiet" on:click=move |_| open.set(true)>
                        {format!("⋯ show {count} unchanged line{}", if count == 1 { "" } else { "s" })}
                    </button>
                </td></tr>
            }
            .into_any()
        }}
    }
}
