//! Search across the workspace: every prompt's versions whose message or author matches,
//! newest first, with the matched words marked. The words live in the URL (`/search?q=`).

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_query_map;

use super::{
    AuthorCell, ErrorNote, LoadMore, Loading, MarkedText, Moment, SearchBox, SignedIn, StatusMark, with_query,
};
use crate::api::{self, FoundRow, SearchResults};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default().trim().to_owned());
    let before = Memo::new(move |_| query.read().get("before").filter(|c| !c.is_empty()));
    let results =
        Resource::new(move || (q.get(), before.get()), |(q, before)| api::search_versions(q, before));
    view! {
        <SignedIn>
            <div class="page-head">
                <h1>"Search versions"</h1>
            </div>
            {move || view! {
                <SearchBox action="/search".to_owned() q=q.get() keep=Vec::new()
                    label="Words from a message, an author's name or email" clear="/search".to_owned()/>
            }}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match results.await {
                        Err(e) if e.signed_out() => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(_) if q.get_untracked().is_empty() => view! {
                            <p class="empty">"Search every prompt's versions by the words of their messages, or by who wrote them."</p>
                        }
                        .into_any(),
                        Ok(found) => {
                            let (q, before) = (q.get_untracked(), before.get_untracked());
                            view! { <Results found q before/> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </SignedIn>
    }
}

#[component]
fn Results(found: SearchResults, q: String, before: Option<String>) -> impl IntoView {
    let older_page = before.is_some().then(|| {
        let newest = with_query("/search", &[("q", q.clone())]);
        view! { <p class="hint">"Showing older matches. "<A href=newest>"Back to the newest"</A></p> }
    });
    if found.items.is_empty() {
        let empty = format!("No versions match \u{201c}{q}\u{201d}.");
        return view! { {older_page}<p class="empty">{empty}</p> }.into_any();
    }
    let hits = RwSignal::new(found.items);
    let next = RwSignal::new(found.next_cursor);
    let search = q.clone();
    let load_more =
        Action::new(move |cursor: &String| api::search_versions(search.clone(), Some(cursor.clone())));
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            hits.update(|hits| hits.extend(page.items));
            next.set(page.next_cursor);
        }
    });
    let keep = vec![("q", q.clone())];
    view! {
        {older_page}
        <table class="versions search-results">
            <thead>
                <tr>
                    <th scope="col">"Prompt"</th>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Message"</th>
                    <th scope="col">"Author"</th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || hits.get() key=|hit| (hit.prompt.clone(), hit.row.number) let:hit>
                    <HitRow hit q=q.clone()/>
                </For>
            </tbody>
        </table>
        {move || next.get().map(|cursor| view! {
            <LoadMore action="/search".to_owned() keep=keep.clone() cursor pending=load_more.pending().into()
                load=Callback::new(move |cursor| { load_more.dispatch(cursor); })/>
        })}
    }
    .into_any()
}

#[component]
fn HitRow(hit: FoundRow, q: String) -> impl IntoView {
    let FoundRow { prompt, row } = hit;
    let page = types::prompt_page(&prompt);
    let in_prompt = with_query(&page, &[("q", q)]);
    let diff = with_query(&page, &[("diff", row.number.to_string())]);
    let (prompt_attr, label_attr) = (prompt.clone(), row.label.clone());
    view! {
        <tr class="search-hit" data-prompt=prompt_attr data-version=label_attr>
            <td><A href=in_prompt attr:class="mono">{prompt}</A></td>
            <td class="markers">
                <A href=diff attr:class="label mono" attr:title="Show what changed">{row.label}</A>
                <StatusMark status=row.status/>
            </td>
            <td class="message"><MarkedText text=row.message/></td>
            <AuthorCell author=row.author email=row.author_email/>
            <td><Moment when=row.created/></td>
        </tr>
    }
}
