//! The Versions tab: the history, newest first, with the actions the rules allow on each
//! version, "load more" for long histories, and search.

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::{AuthorCell, LoadMore, MarkedText, Moment, StatusMark};
use super::Actions;
use super::state::{Confirm, View};
use crate::api::{self, PromptOverview, VersionRow};

/// The history, newest first, with "load more" for long ones; only the matching versions
/// while searching.
#[component]
pub(super) fn VersionTable(
    overview: StoredValue<PromptOverview>,
    view: Memo<View>,
    actions: Actions,
) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let rows = RwSignal::new(o.versions.clone());
    let next = RwSignal::new(o.next_cursor.clone());
    let (name, q) = (o.name.clone(), v.q.clone());
    let load_more =
        Action::new(move |cursor: &String| api::more_versions(name.clone(), cursor.clone(), q.clone()));
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            rows.update(|rows| rows.extend(page.items));
            next.set(page.next_cursor);
        }
    });
    let older_page = v.before.is_some().then(|| {
        view! {
            <p class="hint">"Showing older versions. "<A href=v.newest()>"Back to the newest"</A></p>
        }
    });
    if o.versions.is_empty() {
        let empty = match &v.q {
            Some(q) => format!("No versions match \u{201c}{q}\u{201d}."),
            None if v.before.is_some() => "No older versions.".to_owned(),
            None => "No versions yet: save the first draft in the editor.".to_owned(),
        };
        return view! { {older_page}<p class="empty">{empty}</p> }.into_any();
    }
    let keep = View { before: None, diff: None, against: None, confirm: None, ..v.clone() }.kept();
    let page = v.page();
    view! {
        {older_page}
        <table class="versions">
            <thead>
                <tr>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Message"</th>
                    <th scope="col">"Author"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|row| row.number let:row>
                    <VersionRowView row overview view actions/>
                </For>
            </tbody>
        </table>
        {move || next.get().map(|cursor| view! {
            <LoadMore action=page.clone() keep=keep.clone() cursor pending=load_more.pending().into()
                load=Callback::new(move |cursor| { load_more.dispatch(cursor); })/>
        })}
    }
    .into_any()
}

#[component]
fn VersionRowView(
    row: VersionRow,
    overview: StoredValue<PromptOverview>,
    view: Memo<View>,
    actions: Actions,
) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let n = row.number;
    let offered = row.offered;
    let is_live = o.live == Some(n);
    let is_staging = o.staging_enabled && o.staging == Some(n);
    let label = row.label.clone();
    let back = v.url();
    let markers = view! {
        <A href=move || view.get().toggling_diff(n) attr:class="label mono" attr:title="Show what changed">{label}</A>
        <StatusMark status=row.status/>
        {is_live.then(|| view! { <span class="badge live">"live"</span> })}
        {is_staging.then(|| view! { <span class="badge staging">"staging"</span> })}
        {o.labels.iter().filter(|l| l.version == Some(n)).map(|l| view! { <span class="badge label">{l.name.clone()}</span> }).collect_view()}
    };
    // What is offered is the vault's answer for this member and version (`row.offered`).
    let stage_form = (offered.stage || offered.unstage).then(|| {
        let (value, text) =
            if offered.unstage { (String::new(), "Unstage") } else { (n.to_string(), "Stage") };
        view! {
            <ActionForm action=actions.stage>
                <input type="hidden" name="name" value=o.name.clone()/>
                <input type="hidden" name="number" value=value/>
                // Read when the form is rendered and whenever the URL changes: rows
                // outlive navigations, and a stale URL would close the open draft.
                <input type="hidden" name="back" prop:value=move || view.get().url() value=back.clone()/>
                <button type="submit" class="small" aria-label=format!("{text} v{n}")>{text}</button>
            </ActionForm>
        }
    });
    let confirm_link = move |what: Confirm, text: &'static str, class: &'static str| {
        view! { <A href=move || view.get().confirming(what, n) attr:class=class>{text}</A> }
    };
    let edit_actions = view! {
        {offered.edit.then(|| view! { <A href=v.editing("edit", n) attr:class="button small">"Edit"</A> })}
        {offered.promote.then(|| confirm_link(Confirm::Promote, "Promote", "button small"))}
        {offered.roll_back.then(|| confirm_link(Confirm::RollBack, "Roll back", "button small"))}
        {stage_form}
        {offered.delete.then(|| confirm_link(Confirm::Delete, "Delete", "button small danger"))}
    };
    let pins = (!row.pins.is_empty()).then(|| {
        view! { <p class="pins hint">"Includes "{row.pins.join(", ")}</p> }
    });
    let usage = (row.uses > 0).then(|| {
        let failed = match row.failures {
            0 => String::new(),
            n => format!(", {n} failed ({:.1} %)", n as f64 * 100.0 / row.uses as f64),
        };
        let days = api::USAGE_DAYS;
        view! { <p class="usage hint">"Used "{row.uses}" times"{failed}" in the last "{days}" days"</p> }
    });
    view! {
        <tr class="version-row" data-version=row.label.clone()>
            <td class="markers">{markers}</td>
            <td class="message"><MarkedText text=row.message/>{pins}{usage}</td>
            <AuthorCell author=row.author email=row.author_email/>
            <td><Moment when=row.created/></td>
            <td><div class="actions">{edit_actions}</div></td>
        </tr>
    }
}
