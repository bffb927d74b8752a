//! "Used by": the prompts that include this one, what each of their labels pins, what an
//! update to this prompt's live version would change in each prompt that is behind, and
//! the one action that updates them all (drafts, or one release).

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::diff::DiffTable;
use super::super::{Loading, action_error, shown};
use super::{Actions, View};
use crate::api::{self, UsedBy, WhereUsed};

#[component]
pub(super) fn WhereUsedCard(view: Memo<View>, actions: Actions) -> impl IntoView {
    let used = Resource::new(
        move || {
            (
                view.with(|v| v.name.clone()),
                actions.update_dependents.version().get(),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
            )
        },
        |(name, ..)| api::load_where_used(name),
    );
    view! {
        <section class="card where-used" aria-labelledby="where-used-title">
            <h2 id="where-used-title">"Used by"</h2>
            <Transition fallback=Loading>
                {shown(used, move |used| view! { <WhereUsedList used view actions/> }.into_any())}
            </Transition>
        </section>
    }
}

#[component]
fn WhereUsedList(used: WhereUsed, view: Memo<View>, actions: Actions) -> impl IntoView {
    let name = view.with_untracked(|v| v.name.clone());
    if used.dependents.is_empty() {
        let tag = format!("@@@langfusePrompt:name={name}|label=production@@@");
        return view! {
            <p class="empty">"No prompt includes this one. To include it, write "<code>{tag}</code>
                " in another text prompt or chat message."</p>
        }
        .into_any();
    }
    let behind = used.dependents.iter().filter(|d| d.dependent.behind).count();
    let update = (behind > 0 && used.may_update).then(|| {
        let live = used.live.map(|n| format!("v{n}")).unwrap_or_default();
        let back = move || view.get().url();
        let publish = used.may_publish.then(|| {
            view! {
                <label class="check"><input type="checkbox" name="publish" value="on"/>
                    " Publish them now, in one release (all or none)"</label>
            }
        });
        view! {
            <ActionForm action=actions.update_dependents attr:class="row update-dependents">
                <input type="hidden" name="name" value=name.clone()/>
                <input type="hidden" name="back" prop:value=back value=back()/>
                {publish}
                <button type="submit" class="primary small">
                    {format!("Update {behind} prompt(s) to {name} {live}")}
                </button>
            </ActionForm>
            {action_error(actions.update_dependents)}
        }
    });
    let made = move || {
        actions.update_dependents.value().get().and_then(Result::ok).map(|updated| {
            let lines = updated.into_iter().map(|u| {
                let what = match (u.to, u.skipped) {
                    (Some(to), _) if u.published => format!("{} {} → {to}, live", u.prompt, u.from),
                    (Some(to), _) => format!("{} {} → {to}, a draft", u.prompt, u.from),
                    (None, why) => format!("{} left at {} ({})", u.prompt, u.from, why.unwrap_or_default()),
                };
                view! { <li>{what}</li> }
            });
            view! { <ul class="updated-dependents" aria-live="polite">{lines.collect_view()}</ul> }
        })
    };
    view! {
        <table class="tokens dependents">
            <thead><tr>
                <th scope="col">"Prompt"</th><th scope="col">"Labels"</th><th scope="col">"Update"</th>
            </tr></thead>
            <tbody>{used.dependents.into_iter().map(dependent_row).collect_view()}</tbody>
        </table>
        {update}
        {made}
    }
    .into_any()
}

fn dependent_row(used: UsedBy) -> impl IntoView {
    let UsedBy { dependent, change } = used;
    let labels = dependent
        .labels
        .iter()
        .map(|l| format!("{} {} pins {}", l.label, l.version, l.pins))
        .collect::<Vec<_>>()
        .join(", ");
    let status = match (dependent.behind, change) {
        (false, _) => view! { <span class="hint">"up to date"</span> }.into_any(),
        (true, Some(diff)) => view! {
            <details class="dependent-change">
                <summary>"Behind: what an update changes"</summary>
                <DiffTable diff/>
            </details>
        }
        .into_any(),
        (true, None) => view! { <span class="badge">"behind"</span> }.into_any(),
    };
    let page = types::prompt_page(&dependent.prompt);
    let row = dependent.prompt.clone();
    view! {
        <tr class="dependent-row" data-prompt=row>
            <td><A href=page attr:class="mono">{dependent.prompt}</A></td>
            <td class="mono">{labels}</td>
            <td>{status}</td>
        </tr>
    }
}
