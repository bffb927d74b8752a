//! The prompt's labels of the workspace's own: where each points, the diff from its version
//! to another, and moving it (or, under review, requesting the move).

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::action_error;
use super::state::View;
use crate::api::{MoveLabel, PromptLabel, PromptOverview};

/// One row per label of the workspace's own; nothing when it has none.
#[component]
pub(super) fn LabelsCard(
    overview: PromptOverview,
    view: Memo<View>,
    action: ServerAction<MoveLabel>,
) -> impl IntoView {
    if overview.labels.is_empty() {
        return ().into_any();
    }
    let numbers: Vec<i64> = overview.versions.iter().map(|row| row.number).collect();
    let name = overview.name.clone();
    view! {
        <section class="card labels-card" aria-labelledby="labels-title">
            <div class="row spread">
                <h2 id="labels-title">"Labels"</h2>
                <A href="/settings/labels" attr:class="hint">"The workspace's labels"</A>
            </div>
            <ul class="plain">
                {overview.labels.into_iter().map(|label| {
                    view! { <LabelLine label name=name.clone() numbers=numbers.clone() view action/> }
                }).collect_view()}
            </ul>
            {action_error(action)}
        </section>
    }
    .into_any()
}

#[component]
fn LabelLine(
    label: PromptLabel,
    name: String,
    numbers: Vec<i64>,
    view: Memo<View>,
    action: ServerAction<MoveLabel>,
) -> impl IntoView {
    let at = label.version.map_or_else(|| "points nowhere".to_owned(), |n| format!("on v{n}"));
    let kind = if label.protected { "protected" } else { "preview" };
    let options = move |selected: Option<i64>| {
        numbers
            .iter()
            .map(|n| view! { <option value=n.to_string() selected=Some(*n) == selected>{format!("v{n}")}</option> })
            .collect_view()
    };
    // The diff from where the label is to the version chosen: the page's own diff view.
    let compare_text = format!("Compare {} with", label.name);
    let compare = label.version.map(|current| {
        let v = view.get_untracked();
        let keep = View { diff: None, against: None, confirm: None, ..v.clone() }.kept();
        let page = v.page();
        view! {
            <form method="get" action=page class="row">
                {keep.into_iter().map(|(key, value)| view! { <input type="hidden" name=key value=value/> }).collect_view()}
                <input type="hidden" name="against" value=current.to_string()/>
                <label>{compare_text}
                    <select name="diff">{options(None)}</select>
                </label>
                <button type="submit" class="small">"Show the diff"</button>
            </form>
        }
    });
    let moving = label.may_move.then(|| moving(&label, &name, options(label.version), view, action));
    let line_name = label.name.clone();
    view! {
        <li class="label-line" data-label=line_name>
            <div class="row">
                <span class="badge">{label.name}</span>
                <span>{at}</span>
                <span class="hint">{kind}{label.by_request.then_some(", under review")}</span>
            </div>
            {compare}
            {moving}
        </li>
    }
}

/// The forms that move `label` of prompt `name` (to one of `options`) or take it off.
fn moving<O: IntoView + 'static>(
    label: &PromptLabel,
    name: &str,
    options: O,
    view: Memo<View>,
    action: ServerAction<MoveLabel>,
) -> impl IntoView + use<O> {
    let verb = if label.by_request { "Request the move" } else { "Move" };
    let back = move || view.get().url();
    let note = label.by_request.then(|| {
        view! {
            <input type="text" name="note" maxlength="2000" placeholder="Note for the reviewer" aria-label="Note for the reviewer"/>
        }
    });
    let take_off = (!label.by_request && label.version.is_some()).then(|| {
        let (name, label, aria) = (name.to_owned(), label.name.clone(), format!("Take {} off", label.name));
        view! {
            <ActionForm action=action>
                <input type="hidden" name="name" value=name/>
                <input type="hidden" name="label" value=label/>
                <input type="hidden" name="number" value=""/>
                <input type="hidden" name="back" prop:value=back value=back()/>
                <button type="submit" class="small danger" aria-label=aria>"Take off"</button>
            </ActionForm>
        }
    });
    let (name, label_name, field) = (name.to_owned(), label.name.clone(), format!("Move {} to", label.name));
    view! {
        <ActionForm action=action attr:class="row">
            <input type="hidden" name="name" value=name/>
            <input type="hidden" name="label" value=label_name/>
            <input type="hidden" name="back" prop:value=back value=back()/>
            <label>{field}<select name="number">{options}</select></label>
            {note}
            <button type="submit" class="small">{verb}</button>
        </ActionForm>
        {take_off}
    }
}
