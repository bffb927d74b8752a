//! "Live moves from v7 to v4": the confirmation that says what will change, before it does.

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::action_error;
use super::Actions;
use super::state::{Confirm, View};
use crate::api::{PromptOverview, Status};

/// "Live moves from v7 to v4": what will change, before it does.
#[component]
pub(super) fn Confirmation(
    overview: StoredValue<PromptOverview>,
    view: Memo<View>,
    what: Confirm,
    n: i64,
    actions: Actions,
) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let cancel = v.url();
    let back = match what {
        // Deleting the open draft closes it; promoting it freezes it, so the editor moves on
        // to a new draft based on it.
        Confirm::Delete if v.edit == Some(n) => View { edit: None, ..v.clone() }.url(),
        Confirm::Promote if v.edit == Some(n) => v.editing("from", n),
        _ => v.url(),
    };
    let from = o.live.map_or_else(|| "nothing".to_owned(), |l| format!("v{l}"));
    let is_draft = o.versions.iter().find(|r| r.number == n).is_some_and(|r| r.status == Status::Draft);
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_button.get() {
            let _ = button.focus();
        }
    });
    let (title, explanation, label, class) = match what {
        Confirm::Promote => (
            format!("Promote v{n}?"),
            format!(
                "Live moves from {from} to v{n}: applications with live keys read v{n} from now on.{}",
                if is_draft {
                    format!(" v{n} is published and frozen: it can no longer be edited or deleted.")
                } else {
                    String::new()
                }
            ),
            format!("Promote v{n}"),
            "primary",
        ),
        Confirm::RollBack => (
            format!("Roll back to v{n}?"),
            format!(
                "Live moves back from {from} to v{n}. Newer versions stay in the history and can be promoted again. The editor opens with v{n}'s source."
            ),
            format!("Roll back to v{n}"),
            "primary",
        ),
        Confirm::Delete => (
            format!("Delete draft v{n}?"),
            format!(
                "v{n} is deleted for good; its number is not used again.{}",
                if o.staging == Some(n) && o.staging_enabled {
                    " Staging points at it and is cleared."
                } else {
                    ""
                }
            ),
            format!("Delete v{n}"),
            "danger",
        ),
    };
    let hidden = move || {
        view! {
            <input type="hidden" name="name" value=o.name.clone()/>
            <input type="hidden" name="number" value=n/>
        }
    };
    // Under review, promote and rollback are requests: a note, and another member approves.
    if o.review && what != Confirm::Delete {
        let (action, label, title) = match what {
            Confirm::Promote => {
                ("promote", format!("Request promotion of v{n}"), format!("Request to promote v{n}?"))
            }
            _ => ("rollback", format!("Request rollback to v{n}"), format!("Request to roll back to v{n}?")),
        };
        let request = actions.request;
        return view! {
            <section class="card confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
                <h2 id="confirm-title">{title}</h2>
                <p id="confirm-text">{explanation}" This workspace reviews changes to live: another member approves your request before anything changes."</p>
                <ActionForm action=request>
                    {hidden()}<input type="hidden" name="action" value=action/>
                    <input type="hidden" name="back" value=cancel.clone()/>
                    <label>"Note for the reviewer"
                        <input type="text" name="note" maxlength="2000" placeholder="What changes, and why?"/>
                    </label>
                    {action_error(request)}
                    <div class="row">
                        <button type="submit" class="primary" node_ref=confirm_button>{label}</button>
                        <A href=cancel.clone() attr:class="button">"Cancel"</A>
                    </div>
                </ActionForm>
            </section>
        }
        .into_any();
    }
    let buttons = move |error: AnyView| {
        view! {
            {error}
            <div class="row">
                <button type="submit" class=class node_ref=confirm_button>{label.clone()}</button>
                <A href=cancel.clone() attr:class="button">"Cancel"</A>
            </div>
        }
    };
    let form = match what {
        Confirm::Promote => view! {
            <ActionForm action=actions.promote>
                {hidden()}<input type="hidden" name="back" value=back/>
                {buttons(action_error(actions.promote).into_any())}
            </ActionForm>
        }
        .into_any(),
        Confirm::RollBack => view! {
            <ActionForm action=actions.roll_back>
                {hidden()}
                {buttons(action_error(actions.roll_back).into_any())}
            </ActionForm>
        }
        .into_any(),
        Confirm::Delete => view! {
            <ActionForm action=actions.delete>
                {hidden()}<input type="hidden" name="back" value=back/>
                {buttons(action_error(actions.delete).into_any())}
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="card confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
            <h2 id="confirm-title">{title}</h2>
            <p id="confirm-text">{explanation}</p>
            {form}
        </section>
    }
    .into_any()
}
