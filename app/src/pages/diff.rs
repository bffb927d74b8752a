//! The diff view: a version against another (by default the one before it), side by side,
//! with line numbers, changed lines paired, changed words marked, and unchanged stretches
//! folded behind a button that unfolds them.

use leptos::prelude::*;
use leptos_router::components::Form;

use super::{ErrorNote, Loading};
use crate::api::{self, DiffRowView, DiffSideView, DiffView, VersionRow};

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
fn DiffTable(diff: DiffView) -> impl IntoView {
    let from = diff.from.map_or_else(|| "nothing".to_owned(), |n| format!("v{n}"));
    view! {
        <p class="diff-summary">
            <span class="added">"+"{diff.added}</span>" "<span class="removed">"−"{diff.removed}</span>
            " lines, from "{from}" to v"{diff.to}
        </p>
        <table class="diff">
            <tbody>
                {diff.rows.into_iter().map(|row| view! { <DiffRowLines row/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn DiffRowLines(row: DiffRowView) -> impl IntoView {
    match row {
        DiffRowView::Same { old_line, new_line, text } => same(old_line, new_line, text).into_any(),
        DiffRowView::Changed { old, new } => view! {
            <tr class="changed">{side(old, "removed")}{side(new, "added")}</tr>
        }
        .into_any(),
        DiffRowView::Folded { old_line, new_line, lines } => {
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

fn side(side: Option<DiffSideView>, class: &'static str) -> impl IntoView {
    match side {
        None => view! { <td class="num"></td><td class="text empty"></td> }.into_any(),
        Some(side) => view! {
            <td class="num">{side.line}</td>
            <td class=format!("text {class}")>
                {side.segments.into_iter().map(|(text, changed)| if changed {
                    view! { <mark>{text}</mark> }.into_any()
                } else {
                    view! { <span>{text}</span> }.into_any()
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
