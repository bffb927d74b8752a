//! One prompt: its pointers, the editor, the Versions tab with the actions the rules allow
//! on each version, the diff view and the Deployments timeline. What is open lives in the
//! URL ([`state::View`]), so every step works without WASM and can be linked to.

mod confirm;
mod content;
mod deployments;
mod editor;
mod includes;
mod labels;
mod rollouts;
mod state;
mod versions;
mod where_used;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::diff::DiffPanel;
use super::requests::{RequestActions, RequestList};
use super::{Loading, SearchBox, SignedIn, action_error, shown, with_query};
use crate::api::{
    self, AppError, DeleteDraft, EditorContent, MoveLabel, Promote, PromptOverview, RequestChange,
    RewriteDraft, RollBack, SaveDraft, SetStaging, UpdateDependents,
};
use confirm::Confirmation;
use deployments::DeploymentsCard;
use editor::Editor;
use labels::LabelsCard;
use rollouts::{RolloutActions, RolloutsCard};
use state::View;
use versions::VersionTable;
use where_used::WhereUsedCard;

/// The actions that change the prompt, shared by the parts of the page.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveDraft>,
    rewrite: ServerAction<RewriteDraft>,
    promote: ServerAction<Promote>,
    roll_back: ServerAction<RollBack>,
    stage: ServerAction<SetStaging>,
    delete: ServerAction<DeleteDraft>,
    /// Under review: Promote and Roll back open a request instead.
    request: ServerAction<RequestChange>,
    move_label: ServerAction<MoveLabel>,
    /// New versions of the prompts that include this one ("Used by").
    update_dependents: ServerAction<UpdateDependents>,
    reviews: RequestActions,
    rollouts: RolloutActions,
}

/// The editor's text (or messages), config and message, held above the parts of the page
/// that re-render, so that nothing typed is lost when they do. Reset only when the editor
/// opens on other content.
#[derive(Clone, Copy)]
struct Draft {
    content: content::Content,
    message: RwSignal<String>,
    opened: StoredValue<Option<EditorContent>>,
}

impl Draft {
    fn new() -> Self {
        Draft {
            content: content::Content::new(),
            message: RwSignal::new(String::new()),
            opened: StoredValue::new(None),
        }
    }

    /// Takes the loaded content unless it is what is already open (a re-render). A refused
    /// save that came back without WASM (`refused`) gives back what was typed instead.
    fn open(self, content: &EditorContent, refused: Option<AppError>) {
        if self.opened.with_value(|opened| opened.as_ref() == Some(content)) {
            return;
        }
        let kept = |field: &str, loaded: &str| {
            refused.as_ref().and_then(|e| e.kept(field)).unwrap_or(loaded).to_owned()
        };
        let typed_messages = refused.as_ref().and_then(|e| e.kept("messages"));
        let messages = typed_messages
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| content.messages.clone());
        self.content.kind.set(content.kind);
        self.content.source.set(kept("source", &content.source));
        self.content.set_messages(messages);
        self.content.config.set(kept("config", &content.config));
        self.message.set(kept("message", &content.message));
        self.opened.set_value(Some(content.clone()));
    }
}

#[component]
pub fn PromptPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let view_state = Memo::new(move |_| {
        let query = query.read();
        View::parse(params.read().get("name").unwrap_or_default(), |key| query.get(key))
    });
    let revision = Memo::new(move |_| query.read().get("r"));
    // The search box re-renders only when what it shows changes, not on every navigation.
    let search_state = Memo::new(move |_| view_state.with(|v| (v.page(), v.q.clone(), v.editor_kept())));
    let actions = Actions {
        save: ServerAction::new(),
        rewrite: ServerAction::new(),
        promote: ServerAction::new(),
        roll_back: ServerAction::new(),
        stage: ServerAction::new(),
        delete: ServerAction::new(),
        request: ServerAction::new(),
        move_label: ServerAction::new(),
        update_dependents: ServerAction::new(),
        reviews: RequestActions::new(),
        rollouts: RolloutActions::new(),
    };
    // The overview follows every action; the editor only the URL, so an action that fails
    // (or one on another version) never replaces what the person typed.
    let overview = Resource::new(
        move || {
            (
                view_state.with(|v| (v.name.clone(), v.q.clone(), v.before.clone())),
                actions.save.version().get(),
                actions.rewrite.version().get(),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
                actions.stage.version().get(),
                actions.delete.version().get(),
                actions.move_label.version().get(),
                actions.reviews.version(),
                actions.rollouts.versions(),
            )
        },
        |((name, q, before), ..)| api::load_overview(name, q, before),
    );
    let requests = Resource::new(
        move || {
            (
                view_state.with(|v| v.name.clone()),
                actions.request.version().get(),
                actions.move_label.version().get(),
                actions.reviews.version(),
                actions.rollouts.versions(),
            )
        },
        |(name, ..)| api::load_requests(Some(name), Some(types::RequestState::Open)),
    );
    let draft = Draft::new();
    // Keyed on the editor's part of the URL only: opening a confirmation leaves it alone.
    let editor_key = Memo::new(move |_| {
        let v = view_state.get();
        (v.name, v.edit, v.from, v.rolled_back, revision.get())
    });
    let editor = Resource::new(
        move || editor_key.get(),
        |(name, edit, from, rolled_back, _)| api::load_editor(name, edit, from, rolled_back),
    );
    let with_overview = move |body: fn(PromptOverview, Memo<View>, Actions) -> AnyView| {
        shown(overview, move |o| body(o, view_state, actions))
    };

    view! {
        <SignedIn>
            <p class="crumbs"><A href="/prompts">"← All prompts"</A></p>
            // Transitions keep what is shown while it reloads after an action: the page
            // updates in place, with no "Loading…" in between.
            <Transition fallback=Loading>
                {with_overview(|o, view, actions| view! { <PromptHead overview=o view actions/> }.into_any())}
            </Transition>
            <Transition fallback=|| ()>
                {shown(requests, move |rows| {
                    (!rows.is_empty()).then(|| view! {
                        <section class="card requests-card" aria-labelledby="requests-title">
                            <h2 id="requests-title">"Open requests"</h2>
                            <RequestList rows actions=actions.reviews show_prompt=false/>
                        </section>
                    }).into_any()
                })}
            </Transition>
            <Transition fallback=|| ()>
                {with_overview(|o, view, _| view! { <DiffCard overview=o view/> }.into_any())}
            </Transition>
            <div class="prompt-grid">
                // The editor is outside the overview's Transition: the overview reloads after
                // every action, and must never replace what the person typed.
                <section class="card editor" aria-labelledby="editor-title">
                    <Transition fallback=Loading>
                        {shown(editor, move |content| {
                            view! { <Editor content draft view=view_state actions/> }.into_any()
                        })}
                    </Transition>
                </section>
                <section class="card history" aria-labelledby="versions-title">
                    <h2 id="versions-title">"Versions"</h2>
                    {move || {
                        let (page, q, keep) = search_state.get();
                        let clear = with_query(&page, &keep);
                        view! {
                            <SearchBox action=page q=q.unwrap_or_default() keep
                                label="Search messages and authors" clear/>
                        }
                    }}
                    {action_error(actions.stage)}
                    <Transition fallback=Loading>
                        {with_overview(|o, view, actions| {
                            view! { <VersionTable overview=StoredValue::new(o) view actions/> }.into_any()
                        })}
                    </Transition>
                </section>
            </div>
            <RolloutsCard view=view_state actions/>
            <DeploymentsCard view=view_state actions/>
            <WhereUsedCard view=view_state actions/>
        </SignedIn>
    }
}

/// The prompt's name, its pointers, and the confirmation the URL asks for.
#[component]
fn PromptHead(overview: PromptOverview, view: Memo<View>, actions: Actions) -> impl IntoView {
    let live = match overview.live {
        Some(n) => view! { <span class="badge live">"live v"{n}</span> }.into_any(),
        None => view! { <span class="badge none">"nothing live yet"</span> }.into_any(),
    };
    let staging = overview.staging_enabled.then(|| match overview.staging {
        Some(n) => view! { <span class="badge staging">"staging v"{n}</span> }.into_any(),
        None => view! { <span class="badge none" title="Test keys read the live version">"staging reads live"</span> }
            .into_any(),
    });
    let name = overview.name.clone();
    let tags = (!overview.tags.is_empty()).then(|| {
        let tags = overview.tags.clone();
        view! { <p class="tags">{tags.into_iter().map(|tag| view! { <span class="badge tag">{tag}</span> }).collect_view()}</p> }
    });
    let labels = view! { <LabelsCard overview=overview.clone() view action=actions.move_label/> };
    let overview = StoredValue::new(overview);
    view! {
        <div class="page-head">
            <h1 class="mono">{name}</h1>
            <div class="pointers">{live}{staging}</div>
        </div>
        {tags}
        {labels}
        {move || view.get().confirm.map(|(what, n)| view! { <Confirmation overview view what n actions/> })}
    }
}

/// The open diff (`?diff=`), over the page's full width, above the editor and the history.
#[component]
fn DiffCard(overview: PromptOverview, view: Memo<View>) -> impl IntoView {
    move || {
        let v = view.get();
        v.diff.map(|n| {
            let close = v.toggling_diff(n);
            let keep = View { diff: None, against: None, ..v.clone() }.kept();
            let (name, versions) = (overview.name.clone(), overview.versions.clone());
            view! {
                <section class="card diff" aria-labelledby="diff-title">
                    <div class="row spread">
                        <h2 id="diff-title">"What changed in v"{n}</h2>
                        <A href=close attr:class="button small">"Close the diff"</A>
                    </div>
                    <DiffPanel name to=n against=v.against versions page=v.page() keep/>
                </section>
            }
        })
    }
}
