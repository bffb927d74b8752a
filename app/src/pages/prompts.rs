//! The prompts list: filter by name or tag, create a prompt.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{Loading, Moment, SignedIn, action_error, shown};
use crate::api::{self, CreatePrompt, PromptList, PromptRow, PromptType};
use types::MAX_PROMPT_NAME_BYTES;

#[component]
pub fn PromptsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = RwSignal::new(query.read_untracked().get("q").unwrap_or_default());
    let create = ServerAction::<CreatePrompt>::new();
    // A name refused without WASM comes back in the error, to be corrected rather than retyped.
    let typed = StoredValue::new(
        create.value().get_untracked().and_then(Result::err).and_then(|e| e.kept("name").map(str::to_owned)),
    );
    let prompts = Resource::new(move || create.version().get(), |_| api::list_prompts());
    view! {
        <SignedIn>
            <div class="page-head">
                <h1>"Prompts"</h1>
                // A GET form: without WASM, Enter filters through the URL; with it, typing does.
                <form method="get" role="search" class="filter">
                    <input
                        type="search"
                        name="q"
                        placeholder="Filter by name or tag"
                        aria-label="Filter prompts by name"
                        prop:value=filter
                        on:input=move |ev| filter.set(event_target_value(&ev))
                    />
                </form>
            </div>
            <Transition fallback=Loading>
                {shown(prompts, move |list| {
                    // Viewers read prompts; only editors and above are offered a new one.
                    let new_prompt = list.can_edit.then(|| view! {
            <section class="card new-prompt" aria-labelledby="new-prompt">
                <h2 id="new-prompt">"New prompt"</h2>
                <ActionForm action=create>
                    <div class="row">
                        <label class="grow">"Name"
                            <input
                                type="text"
                                name="name"
                                required
                                maxlength=MAX_PROMPT_NAME_BYTES
                                value=typed.get_value()
                                placeholder="support/triage"
                                autocomplete="off"
                                spellcheck="false"
                                aria-describedby="name-rules"
                            />
                        </label>
                        <label>"Type"
                            <select name="kind" aria-describedby="type-rules">
                                <option value="text" selected>"Text"</option>
                                <option value="chat">"Chat messages"</option>
                            </select>
                        </label>
                        <button type="submit" class="primary" disabled=move || create.pending().get()>
                            "Create prompt"
                        </button>
                    </div>
                    <p id="name-rules" class="hint">
                        "Lowercase letters, digits, " <code>"-"</code> " and " <code>"_"</code> "; use "
                        <code>"/"</code> " for folders, as in " <code>"support/triage"</code>
                        ". Applications fetch the prompt by this name."
                    </p>
                    <p id="type-rules" class="hint">
                        "A text prompt is one text; a chat prompt is a list of system, user and assistant "
                        "messages, with placeholders where the application inserts its own. The type never changes."
                    </p>
                    {action_error(create)}
                </ActionForm>
            </section>
                    });
                    let table = if list.rows.is_empty() {
                        view! { <p class="empty">"No prompts yet."</p> }.into_any()
                    } else {
                        view! { <PromptTable list filter/> }.into_any()
                    };
                    view! { {table}{new_prompt} }.into_any()
                })}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn PromptTable(list: PromptList, filter: RwSignal<String>) -> impl IntoView {
    let staging = list.staging_enabled;
    let rows = StoredValue::new(list.rows);
    let badge = |label: Option<String>, class: &'static str| match label {
        Some(label) => view! { <span class=class>{label}</span> }.into_any(),
        None => view! { <span class="none">"—"</span> }.into_any(),
    };
    let visible = move || {
        let needle = filter.get().trim().to_lowercase();
        // A name or a tag matching the filter, whatever its case.
        let matches = move |row: &PromptRow| {
            row.prompt.name.to_lowercase().contains(&needle)
                || row.prompt.tags.iter().any(|tag| tag.to_lowercase().contains(&needle))
        };
        rows.get_value().into_iter().filter(matches).collect::<Vec<_>>()
    };
    view! {
        <table class="prompts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Live"</th>
                    {staging.then(|| view! { <th scope="col">"Staging"</th> })}
                    <th scope="col">"Versions"</th>
                    <th scope="col">"Last change"</th>
                </tr>
            </thead>
            <tbody>
                {move || {
                    let visible = visible();
                    if visible.is_empty() {
                        return view! {
                            <tr><td colspan="6" class="empty">"No prompt matches this filter."</td></tr>
                        }
                        .into_any();
                    }
                    visible
                        .into_iter()
                        .map(|PromptRow { prompt: row, updated }| {
                            let href = types::prompt_page(&row.name);
                            let own: Vec<(String, String)> = row
                                .labels
                                .iter()
                                .filter(|(label, _)| !matches!(label.as_str(), "live" | "staging"))
                                .map(|(label, version)| (label.clone(), version.clone()))
                                .collect();
                            let chips = view! {
                                {own.into_iter().map(|(label, version)| view! { " "<span class="badge label">{format!("{label} {version}")}</span> }).collect_view()}
                                {row.tags.iter().map(|tag| view! { " "<span class="badge tag">{tag.clone()}</span> }).collect_view()}
                            };
                            view! {
                                <tr class="prompt-row">
                                    <td class="name">
                                        <A href=href>{row.name}</A>
                                        {(row.kind == PromptType::Chat).then(|| view! { " "<span class="badge kind">"chat"</span> })}
                                        {chips}
                                    </td>
                                    <td>{badge(row.live, "badge live")}</td>
                                    {staging.then(|| view! { <td>{badge(row.staging, "badge staging")}</td> })}
                                    <td>{row.versions}</td>
                                    <td><Moment when=updated/></td>
                                </tr>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </tbody>
        </table>
    }
}
