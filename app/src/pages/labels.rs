//! Settings → Labels: `live`, `staging` and the workspace's own labels with their rules;
//! admins add labels, change their rules, and delete them (with the keys that read them,
//! when asked). Moving a label is done on a prompt's page.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Loading, SignedIn, action_error, shown};
use crate::api::{self, CreateLabel, DeleteLabel, LabelsView, UpdateLabel};
use types::{ChangeRule, Fallback, LabelJson};

#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateLabel>,
    update: ServerAction<UpdateLabel>,
    delete: ServerAction<DeleteLabel>,
}

#[component]
pub fn LabelsPage() -> impl IntoView {
    let actions =
        Actions { create: ServerAction::new(), update: ServerAction::new(), delete: ServerAction::new() };
    let labels = Resource::new(
        move || {
            (actions.create.version().get(), actions.update.version().get(), actions.delete.version().get())
        },
        |_| api::load_labels(),
    );
    view! {
        <SignedIn>
            <p class="crumbs"><A href="/settings">"← Settings"</A></p>
            <h1>"Labels"</h1>
            <p class="hint">
                "A label points at one version of each prompt; a key made for a label reads that version. "
                "A protected label points only at published versions (moving it to a draft publishes the draft); "
                "a preview label may point at drafts. Its rule says who moves it; its fallback, what its keys read "
                "where it points nowhere."
            </p>
            <Transition fallback=Loading>
                {shown(labels, move |view| view! { <LabelsBody view actions/> }.into_any())}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn LabelsBody(view: LabelsView, actions: Actions) -> impl IntoView {
    let admin = view.can_administer;
    let add = admin.then(|| view! { <AddLabel action=actions.create/> });
    view! {
        <section class="card" aria-labelledby="labels-title">
            <h2 id="labels-title">"The workspace's labels"</h2>
            <table class="labels">
                <thead><tr>
                    <th scope="col">"Label"</th><th scope="col">"Kind"</th><th scope="col">"Who moves it"</th>
                    <th scope="col">"Fallback"</th><th scope="col">"Keys"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {view.labels.into_iter().map(|label| view! { <LabelRow label admin actions/> }).collect_view()}
                </tbody>
            </table>
            {action_error(actions.update)}
            {action_error(actions.delete)}
        </section>
        {add}
    }
}

fn rule_words(rule: ChangeRule) -> &'static str {
    match rule {
        ChangeRule::Editors => "editors",
        ChangeRule::Admins => "admins and owners",
        ChangeRule::Review => "by review",
    }
}

#[component]
fn LabelRow(label: LabelJson, admin: bool, actions: Actions) -> impl IntoView {
    let kind = if label.protected { "protected" } else { "preview" };
    let fallback = match label.fallback {
        Some(Fallback::Live) => "live",
        None => "none",
    };
    let editing = (admin && !label.built_in).then(|| {
        let (name, keys) = (label.name.clone(), label.keys);
        let (save, delete) = (format!("Save {name}"), format!("Delete {name}"));
        let (update_name, delete_name) = (name.clone(), name);
        let revoke = (keys > 0).then(|| {
            view! {
                <label class="check">
                    <input type="checkbox" name="revoke_keys"/>
                    {format!("and revoke its {keys} key(s)")}
                </label>
            }
        });
        view! {
            <ActionForm action=actions.update attr:class="row">
                <input type="hidden" name="name" value=update_name/>
                <LabelFields protected=label.protected rule=label.rule fallback=label.fallback/>
                <button type="submit" class="small" aria-label=save>"Save"</button>
            </ActionForm>
            <ActionForm action=actions.delete attr:class="row">
                <input type="hidden" name="name" value=delete_name/>
                {revoke}
                <button type="submit" class="small danger" aria-label=delete>"Delete"</button>
            </ActionForm>
        }
    });
    let (row, shown_name) = (label.name.clone(), label.name.clone());
    view! {
        <tr class="label-row" data-label=row>
            <td><span class="badge">{shown_name}</span>{label.built_in.then(|| view! { <span class="hint">" built in"</span> })}</td>
            <td>{kind}</td>
            <td>{rule_words(label.rule)}</td>
            <td>{fallback}</td>
            <td>{label.keys}</td>
            <td><div class="actions">{editing}</div></td>
        </tr>
    }
}

/// A label's rules as form fields: protected, rule, fallback.
#[component]
fn LabelFields(protected: bool, rule: ChangeRule, fallback: Option<Fallback>) -> impl IntoView {
    view! {
        <label class="check"><input type="checkbox" name="protected" checked=protected/>"Protected"</label>
        <label>"Who moves it"
            <select name="rule">
                {ChangeRule::ALL.iter().map(|r| view! {
                    <option value=r.as_str() selected=*r == rule>{rule_words(*r)}</option>
                }).collect_view()}
            </select>
        </label>
        <label>"Fallback"
            <select name="fallback">
                <option value="" selected=fallback.is_none()>"none"</option>
                <option value="live" selected=fallback == Some(Fallback::Live)>"live"</option>
            </select>
        </label>
    }
}

#[component]
fn AddLabel(action: ServerAction<CreateLabel>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="add-label-title">
            <h2 id="add-label-title">"Add a label"</h2>
            <ActionForm action=action>
                <div class="row">
                    <label class="grow">"Name"
                        <input type="text" name="name" required maxlength="36" placeholder="eu"
                            pattern="[a-z0-9_.\\-]+" title="lowercase letters, digits, -, _ and ."/>
                    </label>
                    <LabelFields protected=true rule=ChangeRule::Editors fallback=None/>
                    <button type="submit" class="primary" disabled=move || action.pending().get()>"Add label"</button>
                </div>
                {action_error(action)}
            </ActionForm>
        </section>
    }
}
