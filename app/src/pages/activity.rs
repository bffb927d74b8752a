//! Activity: everything that changed in the workspace, newest first. The filters and the
//! page live in the URL (`/activity?prompt=…&member=…&kind=…&before=…`), so the page works
//! without WASM and can be linked to.

use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use super::{Loading, Moment, SignedIn, shown, with_query};
use crate::api::{self, ActivityPage};
use types::ActivityKind;

/// The filters the URL names.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    prompt: String,
    member: String,
    kind: String,
}

impl Filters {
    fn query(&self) -> Vec<(&'static str, String)> {
        [("prompt", &self.prompt), ("member", &self.member), ("kind", &self.kind)]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| (key, value.clone()))
            .collect()
    }
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let query = query.read();
        let get = |key: &str| query.get(key).unwrap_or_default().trim().to_owned();
        Filters { prompt: get("prompt"), member: get("member"), kind: get("kind") }
    });
    let before = Memo::new(move |_| query.read().get("before").filter(|c| !c.is_empty()));
    let page = Resource::new(
        move || (filters.get(), before.get()),
        |(f, before)| {
            let some = |value: String| (!value.is_empty()).then_some(value);
            api::load_activity(some(f.prompt), some(f.member), some(f.kind), before)
        },
    );
    view! {
        <SignedIn>
            <div class="page-head">
                <h1>"Activity"</h1>
            </div>
            <Transition fallback=Loading>
                {shown(page, move |page| {
                    view! { <ActivityTable page filters=filters.get_untracked() older=before.get_untracked().is_some()/> }
                        .into_any()
                })}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn ActivityTable(page: ActivityPage, filters: Filters, older: bool) -> impl IntoView {
    let ActivityPage { items, next_cursor } = page;
    let newest = with_query("/activity", &filters.query());
    let next = next_cursor.map(|cursor| {
        let mut query = filters.query();
        query.push(("before", cursor));
        with_query("/activity", &query)
    });
    let filter_form = view! {
        <Form method="get" action="/activity">
            <div class="row filters">
                <label>"Prompt"<input type="text" name="prompt" value=filters.prompt.clone() placeholder="support/triage"/></label>
                <label>"Member"<input type="email" name="member" value=filters.member.clone() placeholder="ada@example.com"/></label>
                <label>"Kind"
                    <select name="kind">
                        <option value="" selected=filters.kind.is_empty()>"Every kind"</option>
                        {ActivityKind::ALL.iter().map(|kind| {
                            let selected = kind.as_str() == filters.kind;
                            view! { <option value=kind.as_str() selected=selected>{kind.as_str()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Filter"</button>
                {(!filters.query().is_empty()).then(|| view! { <A href="/activity">"Clear"</A> })}
            </div>
        </Form>
    };
    let rows = if items.is_empty() {
        view! { <p class="empty">"Nothing has changed that matches."</p> }.into_any()
    } else {
        view! {
            <table class="tokens activity">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Who"</th>
                    <th scope="col">"What"</th><th scope="col">"Prompt"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|row| view! {
                        <tr class="activity-row" data-kind=row.entry.kind.as_str()>
                            <td><Moment when=row.at/></td>
                            <td>{row.entry.actor}</td>
                            <td>{row.summary}</td>
                            <td class="mono">{row.entry.prompt.map(|name| {
                                let href = types::prompt_page(&name);
                                view! { <A href=href>{name}</A> }
                            })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card">
            {filter_form}
            {older.then(|| view! { <p class="hint">"Showing older changes. "<A href=newest>"Back to the newest"</A></p> })}
            {rows}
            {next.map(|href| view! { <p><A href=href attr:class="button">"Older changes"</A></p> })}
        </section>
    }
}
